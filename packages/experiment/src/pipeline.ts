import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { arrayDataset, combineLabels, type ArrayDataset, type LabelledRows } from '@losslab/data';
import * as losses from '@losslab/losses';
import { hashOf, labelBlock, labelLayout, LosslabError, type LabelLayout } from '@losslab/runtime';
import type { Evaluation, ExamplePredictions, LossSpec, RunSpec, Split } from '@losslab/schema';
import { readsLogits } from './checks.js';
import { blockClasses, predictAll } from './kinds/evaluations.js';
import { messageOf } from './message.js';
import type { EvaluationContext, LossContext, Registry, RowsBySplit } from './kinds/table.js';
import { trainDefaults } from './resolve.js';

/**
 * A run's steps, each asking the kind table: load the data (source, then transforms, then label
 * blocks), build the model, loss and optimiser, evaluate.
 */

export interface LoadedData {
  readonly layout: LabelLayout;
  readonly splits: Partial<Record<Split, ArrayDataset>>;
  /** File name → sha256, or generator → hash of its parameters; transforms by position. */
  readonly fingerprint: Record<string, string>;
  /** Class names of each label block. */
  readonly classNames: Readonly<Record<string, readonly string[]>>;
}

/** Label rows of one split laid out as the definition declares. */
function layOut(
  spec: RunSpec,
  registry: Registry,
  layout: LabelLayout,
  rows: LabelledRows,
  split: Split,
): ArrayDataset {
  const blocks = Object.fromEntries(
    Object.entries(spec.labels).map(([name, block]) => {
      try {
        return [name, registry.labels.get(block.kind).derive(block, rows)];
      } catch (error) {
        throw new LosslabError('DATA_FORMAT', `labels.${name} (${split} split): ${messageOf(error)}`);
      }
    }),
  );
  return arrayDataset({
    features: rows.features,
    featureShape: rows.featureShape,
    labels: combineLabels(layout, blocks, rows.size),
    labelWidth: layout.width,
  });
}

/** Loads the splits of a run: the data source, its transforms in order, then the label blocks. */
export async function loadData(spec: RunSpec, registry: Registry, baseDir = process.cwd()): Promise<LoadedData> {
  const loaded = await registry.data.get(spec.data.kind).load(spec.data, { baseDir });
  let splits: RowsBySplit = loaded.splits;
  for (const transform of spec.transforms ?? [])
    splits = registry.transforms.get(transform.kind).apply(transform, splits);
  // Each block's entry is asked once for its width and class names.
  const blocks = Object.entries(spec.labels).map(([name, block]) => {
    const entry = registry.labels.get(block.kind);
    const width = entry.width(block);
    return {
      name,
      width,
      classNames: entry.classNames?.(block) ?? Array.from({ length: Math.max(width, 2) }, (_, i) => String(i)),
    };
  });
  const layout = labelLayout(Object.fromEntries(blocks.map((b) => [b.name, b.width])));
  const datasets: Partial<Record<Split, ArrayDataset>> = {};
  for (const [split, rows] of Object.entries(splits) as [Split, LabelledRows | undefined][]) {
    if (rows !== undefined) datasets[split] = layOut(spec, registry, layout, rows, split);
  }
  const classNames = Object.fromEntries(blocks.map((b) => [b.name, b.classNames]));
  const counts = Object.fromEntries(
    Object.entries(datasets).map(([split, data]) => [`${split}.rows`, String(data.size)]),
  );
  // The transforms' settings (seeds included) identify the rows as much as the files do.
  const transforms: Record<string, string> =
    spec.transforms === undefined || spec.transforms.length === 0 ? {} : { transforms: hashOf(spec.transforms) };
  return { layout, splits: datasets, fingerprint: { ...loaded.fingerprint, ...transforms, ...counts }, classNames };
}

/** Builds the per-sample loss of a definition; class weights come from the train split. */
export function buildLoss(spec: LossSpec, layout: LabelLayout, train: ArrayDataset, registry: Registry): losses.Loss {
  const context = (target: string | undefined): LossContext => ({
    layout,
    train,
    target,
    build: (inner, innerTarget) => registry.losses.get(inner.kind).build(inner, context(innerTarget)),
    elementwise(inner, field) {
      const entry = registry.losses.get(inner.kind);
      if (entry.elementwise === undefined)
        throw new LosslabError('INVALID_DEFINITION', `loss.${field}.kind: "${inner.kind}" has no element-wise form`);
      return entry.elementwise(inner);
    },
    classCounts: (block) =>
      losses.classCounts(blockClasses(train, layout, block), Math.max(labelBlock(layout, block).width, 2)),
    targetOf: (inner) => registry.losses.get(inner.kind).target?.(inner),
  });
  return registry.losses.get(spec.kind).build(spec, context(undefined));
}

/** Builds the model, its input shape taken from the data. */
export const buildModel = (
  spec: RunSpec,
  registry: Registry,
  inputShape: readonly number[],
  seed: number,
): tfl.LayersModel => registry.models.get(spec.model.kind).build(spec.model, { inputShape, seed });

export const buildOptimizer = (spec: RunSpec, registry: Registry): tf.Optimizer =>
  registry.optimizers.get(spec.optimizer.kind).build(spec.optimizer);

/** What an evaluation kind sees of a trained model on one split. */
export function evaluationContext(
  spec: RunSpec,
  registry: Registry,
  loaded: LoadedData,
  split: Split,
  model: tfl.LayersModel,
  loss: losses.Loss,
): EvaluationContext {
  const data = loaded.splits[split];
  if (data === undefined) throw new LosslabError('INVALID_DEFINITION', `evaluation: split "${split}" was not loaded`);
  return {
    model,
    data,
    layout: loaded.layout,
    loss,
    fromLogits: readsLogits(spec.loss, registry)?.fromLogits ?? false,
    train: spec.train,
    reduction: trainDefaults(spec.train).reduction,
    classNames: (block) => loaded.classNames[block] ?? [],
    metrics: registry.metrics,
  };
}

/** The final evaluation of a trained model, as stored in the run record. */
export function evaluate(
  spec: RunSpec,
  registry: Registry,
  loaded: LoadedData,
  model: tfl.LayersModel,
  loss: losses.Loss,
): Evaluation {
  const entry = registry.evaluations.get(spec.evaluation.kind);
  const context = evaluationContext(spec, registry, loaded, entry.split(spec.evaluation), model, loss);
  // One forward pass over the split serves the loss and the metrics.
  return entry.evaluate(spec.evaluation, { ...context, scores: predictAll(model, context.data) });
}

/** {@link evaluate} and, when the evaluation kind keeps them, the per-example predictions (one forward pass). */
export function evaluateWithPredictions(
  spec: RunSpec,
  registry: Registry,
  loaded: LoadedData,
  model: tfl.LayersModel,
  loss: losses.Loss,
): { evaluation: Evaluation; predictions?: ExamplePredictions } {
  const entry = registry.evaluations.get(spec.evaluation.kind);
  const context = evaluationContext(spec, registry, loaded, entry.split(spec.evaluation), model, loss);
  const scored = { ...context, scores: predictAll(model, context.data) };
  const evaluation = entry.evaluate(spec.evaluation, scored);
  const predictions = entry.predictions?.(spec.evaluation, scored);
  return predictions === undefined ? { evaluation } : { evaluation, predictions };
}
