import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { arrayDataset, combineLabels, type ArrayDataset, type LabelledRows } from '@losslab/data';
import * as losses from '@losslab/losses';
import { canonicalJson, deriveSeed, hashOf, labelLayout, LosslabError, type LabelLayout } from '@losslab/runtime';
import type { ComputedClassWeights, Evaluation, ExamplePredictions, LossSpec, RunSpec, Split } from '@losslab/schema';
import { readsLogits } from './checks.js';
import { blockCounts, drawnFingerprint, trainingClassCounts } from './drawn.js';
import { predictAll } from './kinds/evaluations.js';
import { messageOf } from './message.js';
import type { EvaluationContext, LoadedRows, LossContext, Registry, RowsBySplit } from './kinds/table.js';
import { trainDefaults } from './resolve.js';

/**
 * A run's steps, each asking the kind table: load the data (source, then transforms, then label
 * blocks), build the model, loss and optimiser, evaluate.
 */

export interface LoadedData {
  readonly layout: LabelLayout;
  readonly splits: Partial<Record<Split, ArrayDataset>>;
  /**
   * File name → sha256, or generator → hash of its parameters; the transforms' settings; rows per
   * split; and, when transforms ran, `<split>.drawn`: the sha256 of the rows they left (so runs on
   * different draws have different fingerprints).
   */
  readonly fingerprint: Record<string, string>;
  /** Class names of each label block. */
  readonly classNames: Readonly<Record<string, readonly string[]>>;
  /** Train rows per class of each classification block, after the transforms (see `trainingClassCounts`). */
  readonly trainingCounts: Readonly<Record<string, readonly number[]>>;
}

/** Where a run's data comes from: relative paths start at `baseDir`; unseeded transforms draw from the run `seed`. */
export interface LoadOptions {
  /** The run seed: a transform that fixes no seed of its own draws from `deriveSeed(seed, 'data', position)`. */
  readonly seed: number;
  /** Default: the working directory. */
  readonly baseDir?: string;
  /** Reads the data source instead of its kind's `load` (a queue worker's cache). */
  readonly source?: SourceLoader;
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

/** Reads a run's data source; a queue worker passes one that keeps the rows of its last job. */
export type SourceLoader = (data: RunSpec['data'], baseDir: string) => Promise<LoadedRows>;

/**
 * A source that knows the names of its class ids (image folders) and a `oneHot` block that names
 * its columns must agree, or the report would name every class wrongly.
 */
function checkNamedClasses(spec: RunSpec, known: readonly string[] | undefined): void {
  if (known === undefined) return;
  for (const [name, block] of Object.entries(spec.labels)) {
    const classes: unknown = (block as { classes?: unknown }).classes;
    if (block.kind !== 'oneHot' || !Array.isArray(classes) || classes.join('\n') === known.join('\n')) continue;
    throw new LosslabError(
      'INVALID_DEFINITION',
      `labels.${name}: classes [${classes.join(', ')}] are not the data's classes in class-id order [${known.join(', ')}]; list them in that order (or declare the data's classNames)`,
    );
  }
}

/**
 * Loads the splits of a run: the data source, its transforms in order (each unseeded one drawing
 * from the run seed), then the label blocks.
 */
export async function loadData(spec: RunSpec, registry: Registry, options: LoadOptions): Promise<LoadedData> {
  const baseDir = options.baseDir ?? process.cwd();
  const loaded = await (options.source === undefined
    ? registry.data.get(spec.data.kind).load(spec.data, { baseDir })
    : options.source(spec.data, baseDir));
  let splits: RowsBySplit = loaded.splits;
  // What a transform measured on its input (standardize's statistics) is recorded beside the files.
  const recorded: Record<string, string> = {};
  for (const [position, transform] of (spec.transforms ?? []).entries()) {
    const entry = registry.transforms.get(transform.kind);
    for (const [key, value] of Object.entries(entry.recorded?.(transform, splits) ?? {}))
      recorded[`transforms[${position}].${key}`] = value;
    splits = entry.apply(transform, splits, { seed: deriveSeed(options.seed, 'data', position) });
  }
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
  checkNamedClasses(spec, loaded.classNames);
  const datasets: Partial<Record<Split, ArrayDataset>> = {};
  for (const [split, rows] of Object.entries(splits) as [Split, LabelledRows | undefined][]) {
    if (rows !== undefined) datasets[split] = layOut(spec, registry, layout, rows, split);
  }
  const classNames = Object.fromEntries(blocks.map((b) => [b.name, b.classNames]));
  const counts = Object.fromEntries(
    Object.entries(datasets).map(([split, data]) => [`${split}.rows`, String(data.size)]),
  );
  // The transforms' settings identify how rows were drawn, and the drawn rows which ones were.
  const transforms: Record<string, string> =
    spec.transforms === undefined || spec.transforms.length === 0
      ? {}
      : { transforms: hashOf(spec.transforms), ...drawnFingerprint(splits) };
  // Training batches are augmented as declared (seeded per run seed and epoch).
  const augment: Record<string, string> =
    spec.train.augment === undefined || spec.train.augment.length === 0 ? {} : { augment: hashOf(spec.train.augment) };
  return {
    layout,
    splits: datasets,
    fingerprint: { ...loaded.fingerprint, ...transforms, ...recorded, ...augment, ...counts },
    classNames,
    trainingCounts: trainingClassCounts(spec, registry, layout, datasets.train),
  };
}

/** A built loss and the class weights it computed from the train split (in the order it asked). */
export interface BuiltLoss {
  readonly loss: losses.Loss;
  readonly classWeights: readonly ComputedClassWeights[];
}

/**
 * Builds the per-sample loss of a definition; class weights come from the train split. `epoch`
 * (1-based) is the training epoch it is for, when it changes with the epoch (deferred re-weighting:
 * `weighted` with `startEpoch`); absent, the loss after training.
 */
export function buildLoss(
  spec: LossSpec,
  layout: LabelLayout,
  train: ArrayDataset,
  registry: Registry,
  epoch?: number,
): losses.Loss {
  return buildLossNoting(spec, layout, train, registry, epoch).loss;
}

/** {@link buildLoss}, also returning the class weights its strategies computed (for the record). */
export function buildLossNoting(
  spec: LossSpec,
  layout: LabelLayout,
  train: ArrayDataset,
  registry: Registry,
  epoch?: number,
): BuiltLoss {
  const noted: ComputedClassWeights[] = [];
  const context = (target: string | undefined): LossContext => ({
    ...(epoch === undefined ? {} : { epoch }),
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
    classCounts: (block) => blockCounts(train, layout, block),
    classWeights(block, strategy) {
      const weights = losses.classWeights(blockCounts(train, layout, block), strategy);
      noted.push({ block, strategy: canonicalJson(strategy), weights });
      return weights;
    },
    targetOf: (inner) => registry.losses.get(inner.kind).target?.(inner),
  });
  return { loss: registry.losses.get(spec.kind).build(spec, context(undefined)), classWeights: noted };
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
    classCounts: (block) => {
      const train = loaded.splits.train;
      if (train === undefined) throw new LosslabError('INVALID_DEFINITION', 'evaluation: the data has no train split');
      return blockCounts(train, loaded.layout, block);
    },
    splitScores: (other) => {
      const data = loaded.splits[other];
      return data === undefined ? undefined : { data, scores: predictAll(model, data) };
    },
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
