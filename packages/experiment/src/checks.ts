import type { LossSpec, RunSpec, Split } from '@losslab/schema';
import type { DataProvides, Registry } from './kinds/table.js';

/**
 * Checks that the parts of a run fit together, beyond what each codec can see alone: the label
 * blocks that losses and evaluations name exist with the widths they need, the model outputs the
 * width of the loss's target block, the splits read exist. Everything it knows about a kind comes
 * from that kind's table entry. Returns one line per problem, `path: what is wrong`.
 */
export function checkRunSpec(spec: RunSpec, registry: Registry): string[] {
  const problems: string[] = [];
  const at = (path: string, lines: readonly string[] | undefined) =>
    (lines ?? []).forEach((line) => problems.push(`${path}.${line}`));

  const data = registry.data.get(spec.data.kind);
  at('data', data.problems?.(spec.data));
  let provided: DataProvides = data.provides(spec.data);
  (spec.transforms ?? []).forEach((transform, i) => {
    const result = registry.transforms.get(transform.kind).provides(transform, provided);
    at(`transforms.${i}`, result.problems);
    provided = result.provides;
  });

  const widths: Record<string, number> = {};
  for (const [name, block] of Object.entries(spec.labels)) {
    const entry = registry.labels.get(block.kind);
    widths[name] = entry.width(block);
    at(`labels.${name}`, entry.problems?.(block, provided));
  }
  const blockWidth = (name: string): number | undefined => (Object.hasOwn(widths, name) ? widths[name] : undefined);
  const blockList = Object.entries(widths)
    .map(([name, width]) => `${name}: ${width}`)
    .join(', ');
  const needBlock = (path: string, name: string, width?: number): void => {
    const actual = blockWidth(name);
    if (actual === undefined) problems.push(`${path}: block "${name}" is not in labels {${blockList}}`);
    else if (width !== undefined && actual !== width)
      problems.push(`${path}: block "${name}" must have width ${width}, it has ${actual}`);
  };

  // Walk the loss: every named block must exist; the innermost target decides the output width.
  const labelWidth = Object.values(widths).reduce((a, b) => a + b, 0);
  let targetWidth = labelWidth;
  let targetName = 'the whole label';
  const walk = (loss: LossSpec, path: string, enclosing: string | undefined): void => {
    const entry = registry.losses.get(loss.kind);
    entry.blocks?.(loss).forEach((use) => needBlock(`${path}.${use.field}`, use.block, use.width));
    const target = entry.target?.(loss);
    const width = target === undefined ? undefined : blockWidth(target);
    if (target !== undefined && width !== undefined) {
      targetWidth = width;
      targetName = `loss target block "${target}"`;
    }
    const inner = entry.inner?.(loss);
    const innerEntry = inner === undefined ? undefined : registry.losses.get(inner.kind);
    const seen = enclosing === undefined ? undefined : blockWidth(enclosing);
    at(
      path,
      entry.problems?.(loss, {
        inner: innerEntry,
        blockWidth,
        target: enclosing,
        width: seen ?? labelWidth,
        epochs: spec.train.epochs,
      }),
    );
    if (inner !== undefined) walk(inner, `${path}.loss`, target ?? enclosing);
  };
  walk(spec.loss, 'loss', undefined);

  const model = registry.models.get(spec.model.kind);
  const outputUnits = model.outputUnits(spec.model);
  const activation = model.outputActivation?.(spec.model);
  // Where the output layer is in the model's settings (`output`, or `layers.<i>` of a sequential model).
  const outputField = model.outputField?.(spec.model) ?? 'output';
  const reads = readsLogits(spec.loss, registry);
  if (activation !== undefined && reads !== undefined) {
    const { kind, path } = reads.loss;
    const named = `loss "${kind}"${path === 'loss' ? '' : ` (at ${path})`}`;
    if (reads.fromLogits && activation !== 'linear')
      problems.push(
        `model.${outputField}.activation: "${activation}" outputs probabilities, but ${named} reads logits (fromLogits): give the model a "linear" output`,
      );
    else if (!reads.fromLogits && activation === 'linear')
      problems.push(
        `model.${outputField}.activation: "linear" outputs logits, but ${named} reads probabilities: give the model a "softmax" (or "sigmoid") output, or use a loss that reads logits`,
      );
  }

  if (Number.isFinite(outputUnits) && outputUnits !== targetWidth) {
    problems.push(
      `model.${outputField}.units: the model outputs ${outputUnits} columns but ${targetName} has width ${targetWidth}`,
    );
  }

  const evaluation = registry.evaluations.get(spec.evaluation.kind);
  const needSplit = (path: string, split: Split): void => {
    if (!provided.splits.includes(split))
      problems.push(`${path}: the data has no "${split}" split (it has ${provided.splits.join(', ')})`);
  };
  needSplit('evaluation.split', evaluation.split(spec.evaluation));
  const validationSplit = evaluation.validationSplit?.(spec.evaluation);
  if (validationSplit !== undefined) needSplit('evaluation.validationSplit', validationSplit);
  evaluation.readsSplits?.(spec.evaluation).forEach(({ field, split }) => needSplit(`evaluation.${field}`, split));
  if (spec.train.earlyStopping !== undefined && (validationSplit === undefined || evaluation.validate === undefined))
    problems.push(
      `train.earlyStopping: needs per-epoch validation, and evaluation "${spec.evaluation.kind}" has none here (give binaryDetection a validationSplit)`,
    );
  evaluation.blocks(spec.evaluation).forEach((use) => {
    needBlock(`evaluation.${use.field}`, use.block, use.width);
    // The evaluated block is compared with the model's outputs column for column.
    const width = blockWidth(use.block);
    if (use.field === 'target' && width !== undefined && width !== outputUnits)
      problems.push(
        `evaluation.target: block "${use.block}" has width ${width} but the model outputs ${outputUnits} columns`,
      );
  });
  at('evaluation', evaluation.problems?.(spec.evaluation, blockWidth));
  return problems;
}

/**
 * Whether a loss reads logits (Keras' `from_logits`): its kind's `fromLogits`, or for a combinator
 * its wrapped loss's. Undefined when the loss takes any output (regression losses, user kinds
 * that do not say).
 */
export function readsLogits(
  loss: LossSpec,
  registry: Registry,
  path = 'loss',
): { fromLogits: boolean; loss: { kind: string; path: string } } | undefined {
  const entry = registry.losses.get(loss.kind);
  const inner = entry.inner?.(loss);
  if (inner !== undefined) return readsLogits(inner, registry, `${path}.loss`);
  const fromLogits = entry.fromLogits?.(loss);
  return fromLogits === undefined ? undefined : { fromLogits, loss: { kind: loss.kind, path } };
}
