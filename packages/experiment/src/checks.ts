import { defaultBlinkSplitConfig, resolveBlinkStreamConfig } from '@losslab/data';
import { validateModelSpec } from '@losslab/models';
import type { DataSpec, LossSpec, RunSpec } from './definition';
import { messageOf } from './message';

/** Label blocks (name → width) and splits each data source can provide. */
export function dataProvides(data: DataSpec): { blocks: Record<string, number>; splits: readonly string[] } {
  switch (data.kind) {
    case 'mnist':
      return { blocks: { digit: 10, isOdd: 1, isEven: 1 }, splits: ['train', 'test'] };
    case 'blinkStream':
      return { blocks: { class: 2 }, splits: ['train', 'validation', 'test'] };
  }
}

/**
 * What the data and model packages would reject when the run starts, asked of them now (with the
 * packages' own rules, not copies of them), so a bad value stops before any run begins.
 */
function componentProblems(spec: RunSpec): string[] {
  const problems: string[] = [];
  if (spec.data.kind === 'blinkStream') {
    const { kind: _kind, dataSeed: _seed, subjects: _subjects, windowLength, stride: _stride, ...stream } = spec.data;
    try {
      const config = resolveBlinkStreamConfig(stream);
      const frames = Math.round(config.durationSeconds * config.fps);
      const window = windowLength ?? defaultBlinkSplitConfig.windowLength;
      if (window > frames) {
        problems.push(
          `data.windowLength: ${window} frames is longer than a recording of ${config.durationSeconds} s (${frames} frames at ${config.fps} frames/s)`,
        );
      }
    } catch (error) {
      // "blink config positiveRate: expected …" → "data.positiveRate: expected …"
      problems.push(
        messageOf(error).replace(/^blink config:? ?(\w+)?:?/, (_, field: string | undefined) =>
          field ? `data.${field}:` : 'data:',
        ),
      );
    }
  }
  // The input shape comes from the data at run time; any valid shape of the right rank checks the rest.
  const inputShape = spec.model.kind === 'lstm' ? ([1, 1] as [number, number]) : [1];
  try {
    validateModelSpec({ ...spec.model, inputShape } as Parameters<typeof validateModelSpec>[0]);
  } catch (error) {
    problems.push(`model.${messageOf(error).replace(/\[(\d+)\]/g, '.$1')}`);
  }
  return problems;
}

/** Base losses that also exist element-wise (one value per column), as column weighting needs. */
const ELEMENTWISE_LOSSES = ['meanAbsoluteError', 'meanSquaredError', 'binaryCrossentropy'] as const;

/** The label block a loss reads its target from (`undefined`: the whole label). */
export function lossTarget(loss: LossSpec): string | undefined {
  switch (loss.kind) {
    case 'sliced':
    case 'masked':
    case 'weighted':
      return loss.target;
    default:
      return undefined;
  }
}

/**
 * Checks that the parts of a run fit together, beyond what each codec can see alone. Returns
 * one line per problem, `path: what is wrong`, empty when all is well.
 */
export function checkRunSpec(spec: RunSpec): string[] {
  const problems: string[] = componentProblems(spec);
  const provided = dataProvides(spec.data);
  const blocks = spec.labels;
  const blockList = Object.entries(blocks)
    .map(([name, width]) => `${name}: ${width}`)
    .join(', ');
  const layoutWidth = Object.values(blocks).reduce((a, b) => a + b, 0);

  for (const [name, width] of Object.entries(blocks)) {
    const available = provided.blocks[name];
    if (available === undefined) {
      problems.push(
        `labels.${name}: ${spec.data.kind} data has no label block "${name}" (it provides ${Object.keys(provided.blocks).join(', ')})`,
      );
    } else if (available !== width) {
      problems.push(
        `labels.${name}: ${spec.data.kind} data gives block "${name}" width ${available}, the layout declares ${width}`,
      );
    }
  }

  const needBlock = (path: string, name: string, width?: number): void => {
    const actual = blocks[name];
    if (actual === undefined) problems.push(`${path}: block "${name}" is not in labels {${blockList}}`);
    else if (width !== undefined && actual !== width)
      problems.push(`${path}: block "${name}" must have width ${width}, it has ${actual}`);
  };

  // Walk the loss: every named block must exist; the innermost target decides the output width.
  let targetWidth = layoutWidth;
  let targetName = 'the whole label';
  const walk = (loss: LossSpec, path: string): void => {
    switch (loss.kind) {
      case 'sliced':
      case 'masked':
      case 'weighted': {
        needBlock(`${path}.target`, loss.target);
        const width = blocks[loss.target];
        if (width !== undefined) {
          targetWidth = width;
          targetName = `loss target block "${loss.target}"`;
        }
        if (loss.kind === 'masked') needBlock(`${path}.mask`, loss.mask, 1);
        if (loss.kind === 'weighted') {
          if (loss.per === 'column' && !(ELEMENTWISE_LOSSES as readonly string[]).includes(loss.loss.kind)) {
            problems.push(
              `${path}.loss.kind: column weighting needs an element-wise loss (${ELEMENTWISE_LOSSES.join(', ')}), got "${loss.loss.kind}"`,
            );
          }
          const classes = width === 1 ? 2 : width;
          if (
            loss.classWeights.kind === 'explicit' &&
            classes !== undefined &&
            loss.classWeights.values.length !== classes
          ) {
            problems.push(
              `${path}.classWeights.values: expected ${classes} weights (one per class of "${loss.target}"), got ${loss.classWeights.values.length}`,
            );
          }
        }
        const innerTarget = lossTarget(loss.loss);
        if (innerTarget !== undefined) {
          if (loss.kind !== 'masked') {
            problems.push(
              `${path}.loss: a ${loss.kind} loss takes a base loss (put masked outside it), got a "${loss.loss.kind}" loss`,
            );
          } else if (innerTarget !== loss.target) {
            problems.push(
              `${path}.target: "${loss.target}" differs from the target "${innerTarget}" of the loss inside it`,
            );
          }
        }
        walk(loss.loss, `${path}.loss`);
        return;
      }
      default:
        return;
    }
  };
  walk(spec.loss, 'loss');

  const outputUnits = spec.model.output.units;
  if (outputUnits !== targetWidth) {
    problems.push(
      `model.output.units: the model outputs ${outputUnits} columns but ${targetName} has width ${targetWidth}`,
    );
  }

  const evaluation = spec.evaluation;
  const needSplit = (path: string, split: string): void => {
    if (!provided.splits.includes(split))
      problems.push(`${path}: ${spec.data.kind} data has no "${split}" split (it has ${provided.splits.join(', ')})`);
  };
  needSplit('evaluation.split', evaluation.split);
  needBlock('evaluation.target', evaluation.target);
  if (evaluation.kind === 'groupedClassification') {
    evaluation.groups.forEach((group, i) => needBlock(`evaluation.groups.${i}.block`, group.block));
  } else {
    if (evaluation.validationSplit !== undefined) needSplit('evaluation.validationSplit', evaluation.validationSplit);
    const width = blocks[evaluation.target];
    if (width !== undefined && evaluation.positiveClass >= Math.max(width, 2)) {
      problems.push(
        `evaluation.positiveClass: expected a class below ${Math.max(width, 2)} of block "${evaluation.target}", got ${evaluation.positiveClass}`,
      );
    }
  }
  return problems;
}
