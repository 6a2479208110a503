import { LosslabError } from '@losslab/runtime';
import type { ModelSummary, RunSpec } from '@losslab/schema';
import type { Registry } from './kinds/table.js';
import { messageOf } from './message.js';
import type { ResolvedExperiment } from './resolve.js';

/**
 * The model of a run on the data's sample shape: its summary, or the shape problem that stops the
 * run (`model.layers.0: conv2d needs [height, width, channels] input (rank 3), got [16, 2]`).
 * Undefined when the model kind cannot tell (a user kind without `summary`).
 */
export function modelSummary(
  spec: RunSpec,
  registry: Registry,
  sampleShape: readonly number[],
): { summary: ModelSummary } | { problem: string } | undefined {
  const entry = registry.models.get(spec.model.kind);
  if (entry.summary === undefined) return undefined;
  let summary: ModelSummary;
  try {
    summary = entry.summary(spec.model, sampleShape);
  } catch (error) {
    if (error instanceof LosslabError && error.code === 'SHAPE_MISMATCH') return { problem: `model.${error.message}` };
    throw error;
  }
  const output = summary.layers.at(-1)?.outputShape ?? summary.inputShape;
  if (output.length !== 1)
    return {
      problem: `model.layers.${summary.layers.length - 1}: the model outputs [${output.join(', ')}] per sample, and a loss reads [width] (flatten or pool first)`,
    };
  return { summary };
}

/** A summary as lines: one per layer with its output shape and parameters, then the total. */
export function summaryLines(summary: ModelSummary): string[] {
  const rows = [
    ['layer', 'output shape', 'parameters'],
    ['input', `[${summary.inputShape.join(', ')}]`, ''],
    ...summary.layers.map((layer, index) => [
      `${index} ${layer.kind}`,
      `[${layer.outputShape.join(', ')}]`,
      String(layer.parameters),
    ]),
  ];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
  return [
    ...rows.map(([name = '', shape = '', parameters = '']) =>
      `${name.padEnd(widths[0]!)}  ${shape.padEnd(widths[1]!)}  ${parameters}`.trimEnd(),
    ),
    `${summary.parameters} parameters`,
  ];
}

/**
 * Each variant's model on its data's sample shape (read from file headers at most, no data
 * loaded): the summaries by variant name, and every shape problem as `model.…`, prefixed with
 * `variants.<name> → ` when not every variant has it.
 */
export async function modelShapes(
  resolved: ResolvedExperiment,
  registry: Registry,
  baseDir: string,
): Promise<{ summaries: ReadonlyMap<string, ModelSummary>; problems: string[] }> {
  const summaries = new Map<string, ModelSummary>();
  const byVariant = await Promise.all(
    resolved.variants.map(async ({ name, spec }): Promise<string[]> => {
      const data = registry.data.get(spec.data.kind);
      if (data.sampleShape === undefined) return [];
      let shape: readonly number[];
      try {
        shape = await data.sampleShape(spec.data, { baseDir });
      } catch (error) {
        return [`data: ${messageOf(error)}`];
      }
      const result = modelSummary(spec, registry, shape);
      if (result === undefined) return [];
      if ('problem' in result) return [result.problem];
      summaries.set(name, result.summary);
      return [];
    }),
  );
  const everywhere = (problem: string) => byVariant.every((problems) => problems.includes(problem));
  const problems = resolved.variants.flatMap(({ name }, index) =>
    (byVariant[index] ?? []).map((problem) => (everywhere(problem) ? problem : `variants.${name} → ${problem}`)),
  );
  return { summaries, problems: [...new Set(problems)] };
}
