import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  blinkSplits,
  defaultBlinkSplitConfig,
  combineLabels,
  loadMnist,
  oneHot,
  scalePixels,
  take,
  type ArrayDataset,
} from '@losslab/data';
import * as losses from '@losslab/losses';
import { accuracy, argMaxRows, binaryMetrics, evaluateGroups, predictScores } from '@losslab/metrics';
import { createModel } from '@losslab/models';
import type { Evaluation, GroupEvaluation } from '@losslab/schema';
import { labelBlock, labelLayout, LosslabError, type LabelLayout } from '@losslab/runtime';
import type { ClassWeightsSpec, DataSpec, LossSpec, RunSpec, Split } from './definition';
import { lossTarget } from './checks';

/**
 * The registry: maps each `kind` of the definition to its implementation in the packages below.
 * This is the only file that knows both the data shape of a definition and the code that runs it.
 */

export interface LoadedData {
  readonly layout: LabelLayout;
  readonly splits: Partial<Record<Split, ArrayDataset>>;
  /** File name → sha256, or generator → hash of its parameters. */
  readonly fingerprint: Record<string, string>;
}

const mnistCache = new Map<
  string,
  Promise<{ features: Float32Array; digits: Uint8Array; count: number; sha: Record<string, string> }>
>();

function mnistSplit(file: 'train' | 'test') {
  let cached = mnistCache.get(file);
  if (cached === undefined) {
    cached = loadMnist({ split: file }).then((m) => ({
      features: scalePixels(m.images),
      digits: m.labels,
      count: m.count,
      sha: Object.fromEntries(m.files.map((f) => [f.path.split('/').pop() ?? f.path, f.sha256])),
    }));
    mnistCache.set(file, cached);
  }
  return cached;
}

async function loadMnistData(
  spec: Extract<DataSpec, { kind: 'mnist' }>,
  layout: LabelLayout,
  needed: readonly Split[],
): Promise<LoadedData> {
  const splits: Partial<Record<Split, ArrayDataset>> = {};
  const fingerprint: Record<string, string> = {};
  const trainFiles = spec.trainFiles ?? 'train';
  for (const split of needed) {
    const file = split === 'train' ? trainFiles : trainFiles === 'train' ? 'test' : 'train';
    const m = await mnistSplit(file);
    const digits = Array.from(m.digits);
    const blocks: Record<string, Float32Array> = {
      digit: oneHot(digits, 10),
      isOdd: Float32Array.from(digits, (d) => d % 2),
      isEven: Float32Array.from(digits, (d) => 1 - (d % 2)),
    };
    const wanted = Object.fromEntries(layout.blocks.map((b) => [b.name, blocks[b.name] ?? new Float32Array()]));
    let dataset: ArrayDataset = {
      features: m.features,
      featureShape: [28, 28],
      labels: combineLabels(layout, wanted, m.count),
      labelWidth: layout.width,
      size: m.count,
    };
    if (spec.limit !== undefined && spec.limit < dataset.size) dataset = take(dataset, spec.limit);
    splits[split] = dataset;
    Object.assign(fingerprint, m.sha);
  }
  if (spec.limit !== undefined) fingerprint.limit = String(spec.limit);
  return { layout, splits, fingerprint };
}

/** Loads the splits a run needs, with labels laid out as the definition declares. */
export async function loadData(spec: RunSpec): Promise<LoadedData> {
  const layout = labelLayout(spec.labels);
  const needed = neededSplits(spec);
  switch (spec.data.kind) {
    case 'mnist':
      return loadMnistData(spec.data, layout, needed);
    case 'blinkStream': {
      const { kind: _kind, dataSeed, subjects, ...config } = spec.data;
      const generated = blinkSplits(
        { ...config, ...(subjects ? { subjects: { ...defaultBlinkSplitConfig.subjects, ...subjects } } : {}) },
        dataSeed ?? 0,
      );
      return {
        layout,
        splits: { train: generated.train, validation: generated.validation, test: generated.test },
        fingerprint: { blinkStream: generated.fingerprint },
      };
    }
  }
}

/** The splits a run reads: train, the evaluation split and, for detection, the validation split. */
function neededSplits(spec: RunSpec): Split[] {
  const splits = new Set<Split>(['train', spec.evaluation.split]);
  if (spec.evaluation.kind === 'binaryDetection' && spec.evaluation.validationSplit)
    splits.add(spec.evaluation.validationSplit);
  return [...splits];
}

/** Class ids of block `target` for every row of `dataset` (argMax; a one-column block thresholds at 0.5). */
export function blockClasses(dataset: ArrayDataset, layout: LabelLayout, target: string): Int32Array {
  const block = labelBlock(layout, target);
  const classes = new Int32Array(dataset.size);
  for (let row = 0; row < dataset.size; row++) {
    const offset = row * dataset.labelWidth + block.start;
    if (block.width === 1) {
      classes[row] = (dataset.labels[offset] ?? 0) >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let j = 1; j < block.width; j++) {
      if ((dataset.labels[offset + j] ?? 0) > (dataset.labels[offset + best] ?? 0)) best = j;
    }
    classes[row] = best;
  }
  return classes;
}

function classWeightsFor(spec: ClassWeightsSpec, train: ArrayDataset, layout: LabelLayout, target: string): number[] {
  const width = labelBlock(layout, target).width;
  return losses.classWeights(losses.classCounts(blockClasses(train, layout, target), Math.max(width, 2)), spec);
}

function baseLoss(spec: LossSpec): losses.Loss {
  switch (spec.kind) {
    case 'categoricalCrossentropy':
      return losses.categoricalCrossentropy();
    case 'binaryCrossentropy':
      return losses.binaryCrossentropy();
    case 'meanAbsoluteError':
      return losses.meanAbsoluteError();
    case 'meanSquaredError':
      return losses.meanSquaredError();
    case 'huber':
      return losses.huber(spec.delta === undefined ? {} : { delta: spec.delta });
    case 'focal':
      return losses.focal({
        ...(spec.gamma === undefined ? {} : { gamma: spec.gamma }),
        ...(spec.alpha === undefined ? {} : { alpha: spec.alpha }),
      });
    default:
      throw new LosslabError('INVALID_DEFINITION', `loss.kind: "${spec.kind}" is a combinator, not a base loss`);
  }
}

function elementwiseLoss(spec: LossSpec): losses.ElementwiseLoss {
  switch (spec.kind) {
    case 'meanAbsoluteError':
      return losses.absoluteError();
    case 'meanSquaredError':
      return losses.squaredError();
    case 'binaryCrossentropy':
      return losses.binaryCrossentropyElementwise();
    default:
      throw new LosslabError(
        'INVALID_DEFINITION',
        `loss.kind: column weighting needs an element-wise loss, got "${spec.kind}"`,
      );
  }
}

/** Builds the per-sample loss of a definition; class weights are computed from the train split. */
export function buildLoss(spec: LossSpec, layout: LabelLayout, train: ArrayDataset): losses.Loss {
  switch (spec.kind) {
    case 'sliced':
      return losses.sliced(buildLoss(spec.loss, layout, train), layout, spec.target);
    case 'masked':
      // A targeted inner loss (e.g. class weights on the same block) reads the whole label
      // itself; the mask then only multiplies. checkRunSpec makes sure the targets agree.
      return lossTarget(spec.loss) === undefined
        ? losses.masked(buildLoss(spec.loss, layout, train), layout, { target: spec.target, mask: spec.mask })
        : losses.masked(buildLoss(spec.loss, layout, train), layout, { mask: spec.mask });
    case 'weighted': {
      const weights = classWeightsFor(spec.classWeights, train, layout, spec.target);
      return spec.per === 'column'
        ? losses.columnWeighted(elementwiseLoss(spec.loss), weights, { layout, target: spec.target })
        : losses.classWeighted(buildLoss(spec.loss, layout, train), weights, { layout, target: spec.target });
    }
    default:
      return baseLoss(spec);
  }
}

/** Builds the model, its input shape taken from the data. */
export function buildModel(spec: RunSpec, featureShape: readonly number[], seed: number): tfl.LayersModel {
  const model = spec.model;
  if (model.kind === 'mlp') {
    return createModel(
      { kind: 'mlp', inputShape: [...featureShape], hidden: model.hidden, output: model.output },
      seed,
    );
  }
  const [timesteps, features] = featureShape;
  if (featureShape.length !== 2 || timesteps === undefined || features === undefined) {
    throw new LosslabError(
      'INVALID_DEFINITION',
      `model.kind: "lstm" needs sequence data shaped [timesteps, features], got [${featureShape.join(', ')}]`,
    );
  }
  return createModel(
    {
      kind: 'lstm',
      inputShape: [timesteps, features],
      layers: model.layers,
      output: model.output,
      ...(model.dropout === undefined ? {} : { dropout: model.dropout }),
    },
    seed,
  );
}

const PREDICT_BATCH = 1024;

/** Rows `start .. end - 1` of a dataset as tensors (views, no copy of the arrays). */
function rowTensors(data: ArrayDataset, start: number, end: number): { x: tf.Tensor; y: tf.Tensor2D } {
  const perSample = data.featureShape.reduce((a, b) => a * b, 1);
  return {
    x: tf.tensor(data.features.subarray(start * perSample, end * perSample), [end - start, ...data.featureShape]),
    y: tf.tensor2d(data.labels.subarray(start * data.labelWidth, end * data.labelWidth), [
      end - start,
      data.labelWidth,
    ]),
  };
}

/** Model outputs for every row of `data`, row-major [size, outputWidth]. */
const predictAll = (model: tfl.LayersModel, data: ArrayDataset): Float32Array =>
  predictScores(model, { values: data.features, sampleShape: data.featureShape }, PREDICT_BATCH);

/**
 * The loss over a whole dataset under the training's reduction, computed batch by batch without
 * leaks, so evaluation and validation losses are on the training loss's scale:
 * `sumOverBatchSize` Σl/N, `sumOverWeights` Σl/Σw, `sumOverNonzeroWeights` Σl/#{w ≠ 0} (the
 * weights are the loss's own sample weights; none means all 1), and `sum` — a per-batch sum in
 * training — Σl/N × batchSize, the sum of an average training batch.
 */
export function datasetLoss(
  model: tfl.LayersModel,
  loss: losses.Loss,
  data: ArrayDataset,
  reduction: losses.ScalarReduction = 'sumOverBatchSize',
  batchSize = 1,
  scores?: Float32Array,
): number {
  let total = 0;
  let weightSum = 0;
  let nonzero = 0;
  for (let start = 0; start < data.size; start += PREDICT_BATCH) {
    const end = Math.min(start + PREDICT_BATCH, data.size);
    const [batchTotal, batchWeights, batchNonzero] = tf.tidy(() => {
      const { x, y } = rowTensors(data, start, end);
      // Scores already predicted (the same batches of PREDICT_BATCH rows, so the same values), or
      // one predict batch (predict's default of 32 slices x, and each slice copies all of x on wasm).
      const predicted =
        scores === undefined
          ? (model.predict(x, { batchSize: end - start }) as tf.Tensor2D)
          : tf.tensor2d(scores.subarray(start * (scores.length / data.size), end * (scores.length / data.size)), [
              end - start,
              scores.length / data.size,
            ]);
      const perSample = loss(y, predicted);
      const weights = loss.sampleWeights?.(y) ?? tf.onesLike(perSample);
      return [tf.sum(perSample), tf.sum(weights), tf.sum(tf.cast(tf.notEqual(weights, 0), 'float32'))].map(
        (t) => t.dataSync()[0] ?? Number.NaN,
      );
    });
    total += batchTotal ?? Number.NaN;
    weightSum += batchWeights ?? Number.NaN;
    nonzero += batchNonzero ?? Number.NaN;
  }
  switch (reduction) {
    case 'sum':
      return (total / data.size) * batchSize;
    case 'sumOverBatchSize':
      return total / data.size;
    case 'sumOverWeights':
      return weightSum === 0 ? 0 : total / weightSum;
    case 'sumOverNonzeroWeights':
      return nonzero === 0 ? 0 : total / nonzero;
  }
}

/** The rates a detection run is judged by; counts go into the evaluation's confusion matrix instead. */
const DETECTION_METRICS = [
  'accuracy',
  'balancedAccuracy',
  'precision',
  'recall',
  'f1',
  'prAuc',
  'majorityAccuracy',
] as const;

/**
 * Binary detection over a whole split (never averaged batch by batch): the rates of
 * {@link DETECTION_METRICS} and the confusion of [other, positive class] as a group.
 */
export function detection(
  model: tfl.LayersModel,
  data: ArrayDataset,
  layout: LabelLayout,
  evaluation: Extract<RunSpec['evaluation'], { kind: 'binaryDetection' }>,
  predictedScores?: Float32Array,
): { metrics: Record<string, number>; group: GroupEvaluation } {
  const outputWidth = model.outputs[0]?.shape[1] ?? 1;
  const scores = predictedScores ?? predictAll(model, data);
  const positive = new Float32Array(data.size);
  for (let i = 0; i < data.size; i++) {
    // One output unit scores class 1; class 0 is its complement.
    const score = outputWidth === 1 ? (scores[i] ?? 0) : (scores[i * outputWidth + evaluation.positiveClass] ?? 0);
    positive[i] = outputWidth === 1 && evaluation.positiveClass === 0 ? 1 - score : score;
  }
  const truth = Int32Array.from(blockClasses(data, layout, evaluation.target), (c) =>
    c === evaluation.positiveClass ? 1 : 0,
  );
  const m = binaryMetrics(truth, positive, evaluation.threshold ?? 0.5);
  const metrics = Object.fromEntries(DETECTION_METRICS.map((name) => [name, m[name]]));
  const group: GroupEvaluation = {
    name: evaluation.split,
    size: data.size,
    accuracy: m.accuracy,
    confusion: [
      [m.trueNegatives, m.falsePositives],
      [m.falseNegatives, m.truePositives],
    ],
    trueCounts: [m.trueNegatives + m.falsePositives, m.falseNegatives + m.truePositives],
    predictedCounts: [m.trueNegatives + m.falseNegatives, m.falsePositives + m.truePositives],
  };
  return { metrics, group };
}

/** The final evaluation of a trained model, as stored in the run record. */
export function evaluate(model: tfl.LayersModel, spec: RunSpec, loaded: LoadedData, loss: losses.Loss): Evaluation {
  const evaluation = spec.evaluation;
  const data = loaded.splits[evaluation.split];
  if (data === undefined)
    throw new LosslabError('INVALID_DEFINITION', `evaluation.split: split "${evaluation.split}" was not loaded`);
  // One forward pass over the split serves the loss and the metrics.
  const scores = predictAll(model, data);
  const meanLoss = datasetLoss(model, loss, data, spec.train.reduction, spec.train.batchSize, scores);
  if (evaluation.kind === 'binaryDetection') {
    const { metrics, group } = detection(model, data, loaded.layout, evaluation, scores);
    return {
      split: evaluation.split,
      size: data.size,
      metrics: { loss: meanLoss, ...metrics },
      groups: [group],
      classNames: ['other', evaluation.positiveName ?? `class ${evaluation.positiveClass}`],
    };
  }
  const width = labelBlock(loaded.layout, evaluation.target).width;
  const predicted = argMaxRows(scores, width);
  const truth = blockClasses(data, loaded.layout, evaluation.target);
  const groups = evaluation.groups.map((group) => {
    const block = labelBlock(loaded.layout, group.block);
    const members = blockClasses(data, loaded.layout, group.block);
    return {
      name: group.name,
      member: (i: number) =>
        block.width === 1
          ? (data.labels[i * data.labelWidth + block.start] ?? Number.NaN) === group.equals
          : members[i] === group.equals,
    };
  });
  const grouped = evaluateGroups(truth, predicted, groups, width);
  const metrics: Record<string, number> = { loss: meanLoss, accuracy: accuracy(truth, predicted) };
  return {
    split: evaluation.split,
    size: data.size,
    metrics,
    groups: grouped,
    classNames: Array.from({ length: width }, (_, i) => String(i)),
  };
}
