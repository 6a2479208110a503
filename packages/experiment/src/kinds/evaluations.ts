import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ArrayDataset } from '@losslab/data';
import type * as losses from '@losslab/losses';
import {
  argMaxRows,
  binaryMetrics,
  confusionMatrix,
  evaluateGroups,
  perClassMetrics,
  predictScores,
} from '@losslab/metrics';
import { labelBlock, LosslabError, type LabelLayout } from '@losslab/runtime';
import {
  BinaryDetectionEvaluation,
  classificationCodec,
  type ClassificationEvaluation,
  type EvaluationSpec,
  type ExamplePredictions,
  type GroupEvaluation,
  type MetricSpec,
  type PosthocEvaluation,
} from '@losslab/schema';
import type * as t from 'io-ts';
import { builderOf, specBuilder, type Settings } from './define.js';
import { adjustedPredictions, chooseTau, priorsOf } from '../posthoc-adjustment.js';
import type { EvaluationContext, EvaluationKind } from './table.js';

/**
 * The evaluation family (each entry beside its builder), and the whole-split loss and predictions
 * its entries share.
 */

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
export const predictAll = (model: tfl.LayersModel, data: ArrayDataset): Float32Array =>
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
      const width = scores === undefined ? 0 : scores.length / data.size;
      const predicted =
        scores === undefined
          ? (model.predict(x, { batchSize: end - start }) as tf.Tensor2D)
          : tf.tensor2d(scores.subarray(start * width, end * width), [end - start, width]);
      const perSample = loss(y, predicted);
      const weights = loss.sampleWeights?.(y) ?? tf.onesLike(perSample);
      return [tf.sum(perSample), tf.sum(weights), tf.sum(tf.cast(tf.notEqual(weights, 0), 'float32'))].map(
        (value) => value.dataSync()[0] ?? Number.NaN,
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

/** Class ids of block `target` for every row (argMax; a one-column block thresholds at 0.5). */
export function blockClasses(data: ArrayDataset, layout: LabelLayout, target: string): Int32Array {
  const block = labelBlock(layout, target);
  const values = new Float32Array(data.size * block.width);
  for (let row = 0; row < data.size; row++) {
    const offset = row * data.labelWidth + block.start;
    values.set(data.labels.subarray(offset, offset + block.width), row * block.width);
  }
  return scoreClasses(values, block.width);
}

/** Predicted class per row of row-major scores: argMax, or ≥ 0.5 for one column. */
const scoreClasses = (scores: Float32Array, width: number): Int32Array =>
  width === 1 ? Int32Array.from(scores, (score) => (score >= 0.5 ? 1 : 0)) : argMaxRows(scores, width);

/** Softmax of each row of row-major scores `[rows, width]` (max subtracted, so large logits stay finite). */
function softmaxRows(scores: Float32Array, width: number): Float32Array {
  const probabilities = new Float32Array(scores.length);
  for (let start = 0; start < scores.length; start += width) {
    const row = scores.subarray(start, start + width);
    const top = Math.max(...row);
    let sum = 0;
    row.forEach((score, j) => {
      const e = Math.exp(score - top);
      probabilities[start + j] = e;
      sum += e;
    });
    for (let j = 0; j < width; j++) probabilities[start + j] = (probabilities[start + j] ?? 0) / sum;
  }
  return probabilities;
}

/** What the metrics read: the scores, or softmax(scores) when the loss reads logits. */
const probabilitiesOf = (context: EvaluationContext, scores: Float32Array): Float32Array =>
  context.fromLogits === true ? softmaxRows(scores, scores.length / Math.max(context.data.size, 1)) : scores;

const lossOf = (context: EvaluationContext, scores: Float32Array): number =>
  datasetLoss(context.model, context.loss, context.data, context.reduction, context.train.batchSize, scores);

/** Examples `0 .. size - 1` of the split with their true classes and `[size, classes]` probabilities. */
const examplePredictions = (truth: Int32Array, probabilities: Float32Array, classes: number): ExamplePredictions => ({
  index: Uint32Array.from(truth, (_, i) => i),
  truth,
  probabilities,
  classes,
});

/** Two columns [1 - p, p] from one probability per row. */
function complementColumns(positive: Float32Array): Float32Array {
  const rows = new Float32Array(positive.length * 2);
  positive.forEach((p, i) => {
    rows[2 * i] = 1 - p;
    rows[2 * i + 1] = p;
  });
  return rows;
}

type Classification = ClassificationEvaluation;

/** The headline metrics repeated for adjusted predictions (the record's `adjustment` has their per-class table). */
const ADJUSTED_METRICS = ['accuracy', 'balancedAccuracy', 'macroF1'] as const;

/**
 * The post-hoc logit-adjusted predictions of a classification (see `posthoc-adjustment.ts`): their
 * headline metrics as `adjusted.<metric>`, and how τ was set.
 */
function posthoc(
  adjust: NonNullable<Classification['adjust']>,
  target: string,
  context: EvaluationContext,
  scores: Float32Array,
  truth: Int32Array,
  classNames: readonly string[],
): { metrics: Record<string, number>; adjustment: PosthocEvaluation } {
  const counts = context.classCounts?.(target);
  if (counts === undefined)
    throw new LosslabError('INVALID_DEFINITION', 'evaluation.adjust: the training class counts are not available');
  const priors = priorsOf(counts);
  const fromLogits = context.fromLogits === true;
  const choice = chooseTau(adjust, priors, fromLogits, () => {
    const validation = context.splitScores?.('validation');
    return validation === undefined
      ? undefined
      : { scores: validation.scores, truth: blockClasses(validation.data, context.layout, target) };
  });
  const predicted = adjustedPredictions(scores, priors.length, priors, choice.tau, fromLogits);
  const confusion = confusionMatrix(truth, predicted, priors.length);
  const { classes, ...averages } = perClassMetrics(confusion, [...classNames]);
  return {
    // τ beside the metrics it gave (a grid's choice may differ from seed to seed)
    metrics: {
      ...Object.fromEntries(ADJUSTED_METRICS.map((name) => [`adjusted.${name}`, averages[name]])),
      'adjusted.tau': choice.tau,
    },
    adjustment: { ...choice, priors, perClass: classes, confusion },
  };
}

/**
 * Accuracy, per-class precision/recall/F1, macro and weighted averages, balanced accuracy and
 * the confusion matrix of the target block; per group when groups are given; user metrics.
 */
const classificationEvaluation = (anyMetric: t.Type<MetricSpec, MetricSpec>): EvaluationKind<Classification> => ({
  kind: 'classification',
  codec: classificationCodec(anyMetric),
  split: (spec) => spec.split,
  blocks: (spec) => [
    { field: 'target', block: spec.target },
    ...(spec.groups ?? []).map((group, i) => ({ field: `groups.${i}.block`, block: group.block })),
  ],
  readsSplits: (spec) =>
    spec.adjust !== undefined && 'tauGrid' in spec.adjust ? [{ field: 'adjust.tauGrid', split: 'validation' }] : [],
  problems(spec, blockWidth) {
    if (spec.adjust === undefined) return [];
    const problems: string[] = [];
    if (blockWidth(spec.target) === 1)
      problems.push(
        `adjust: post-hoc logit adjustment needs one score per class, and block "${spec.target}" has one column`,
      );
    if ('tauGrid' in spec.adjust && spec.split === 'validation')
      problems.push(
        'adjust.tauGrid: τ is chosen on the validation split, so the evaluated split must be another one (test)',
      );
    return problems;
  },
  evaluate(spec, context) {
    const { data, layout } = context;
    const width = labelBlock(layout, spec.target).width;
    const numClasses = Math.max(width, 2);
    const scores = context.scores ?? predictAll(context.model, data);
    const probabilities = probabilitiesOf(context, scores);
    const predicted = scoreClasses(probabilities, width);
    const truth = blockClasses(data, layout, spec.target);
    const confusion = confusionMatrix(truth, predicted, numClasses);
    const classNames = [...context.classNames(spec.target)];
    const { classes, ...averages } = perClassMetrics(confusion, classNames);
    const groups = (spec.groups ?? []).map((group) => {
      const block = labelBlock(layout, group.block);
      const members = blockClasses(data, layout, group.block);
      return {
        name: group.name,
        member: (i: number) =>
          block.width === 1
            ? (data.labels[i * data.labelWidth + block.start] ?? Number.NaN) === group.equals
            : members[i] === group.equals,
      };
    });
    const adjusted =
      spec.adjust === undefined ? undefined : posthoc(spec.adjust, spec.target, context, scores, truth, classNames);
    const metrics: Record<string, number> = { loss: lossOf(context, scores), ...averages, ...adjusted?.metrics };
    for (const metric of spec.metrics ?? []) {
      metrics[metric.kind] = context.metrics.get(metric.kind).compute(metric, {
        truth,
        predicted,
        scores: probabilities,
        numClasses,
      });
    }
    return {
      split: spec.split,
      size: data.size,
      metrics,
      ...(groups.length > 0 ? { groups: evaluateGroups(truth, predicted, groups, numClasses) } : {}),
      classNames,
      perClass: classes,
      confusion,
      ...(adjusted === undefined ? {} : { adjustment: adjusted.adjustment }),
    };
  },
  predictions(spec, context) {
    const width = labelBlock(context.layout, spec.target).width;
    const probabilities = probabilitiesOf(context, context.scores ?? predictAll(context.model, context.data));
    const truth = blockClasses(context.data, context.layout, spec.target);
    // one output unit is the probability of class 1
    return width === 1
      ? examplePredictions(truth, complementColumns(probabilities), 2)
      : examplePredictions(truth, probabilities, width);
  },
});
/**
 * Classification of the `target` block: accuracy, per-class precision/recall/F1, macro and
 * weighted averages, balanced accuracy and the confusion matrix; the same per group (a group is
 * the samples whose `block` equals `equals`); plus registered `metrics`. `adjust: { tau }` or
 * `adjust: { tauGrid }` adds post-hoc logit adjustment (Menon et al. 2021): accuracy, balanced
 * accuracy and macro F1 of `argmax_y z_y − τ·log π_y` as `adjusted.<metric>` beside the plain
 * ones, π the training priors, a grid's τ chosen on the validation split.
 *
 * @example classification({ split: 'train', target: 'digit', groups: [{ name: 'even', block: 'isOdd', equals: 0 }] })
 * @example classification({ split: 'test', target: 'digit', adjust: { tauGrid: [0, 0.5, 1, 1.5, 2] } })
 */
export const classification = (options: Settings<Classification>): EvaluationSpec =>
  specBuilder<Classification>('classification')(options);

type Detection = BinaryDetectionEvaluation;

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

/** The positive class's score per example and whether each example is of the positive class (1) or not (0). */
function detectionScores(
  spec: Detection,
  context: EvaluationContext,
  scores: Float32Array,
): { positive: Float32Array; truth: Int32Array } {
  const { data } = context;
  const outputWidth = scores.length / Math.max(data.size, 1);
  const positive = new Float32Array(data.size);
  for (let i = 0; i < data.size; i++) {
    // One output unit scores class 1; class 0 is its complement.
    const score = outputWidth === 1 ? (scores[i] ?? 0) : (scores[i * outputWidth + spec.positiveClass] ?? 0);
    positive[i] = outputWidth === 1 && spec.positiveClass === 0 ? 1 - score : score;
  }
  const truth = Int32Array.from(blockClasses(data, context.layout, spec.target), (c) =>
    c === spec.positiveClass ? 1 : 0,
  );
  return { positive, truth };
}

/**
 * Binary detection over a whole split (never averaged batch by batch): the rates of
 * {@link DETECTION_METRICS} and the confusion of [other, positive class] as a group.
 */
function detection(
  spec: Detection,
  context: EvaluationContext,
  scores: Float32Array,
): { metrics: Record<string, number>; group: GroupEvaluation } {
  const { data } = context;
  const { positive, truth } = detectionScores(spec, context, scores);
  const m = binaryMetrics(truth, positive, spec.threshold ?? 0.5);
  const metrics = Object.fromEntries(DETECTION_METRICS.map((name) => [name, m[name]]));
  const group: GroupEvaluation = {
    name: spec.split,
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

/** Detection of one class, after every epoch on `validationSplit` and at the end on `split`. */
const binaryDetectionEvaluation: EvaluationKind<Detection> = {
  kind: 'binaryDetection',
  codec: BinaryDetectionEvaluation,
  split: (spec) => spec.split,
  validationSplit: (spec) => spec.validationSplit,
  blocks: (spec) => [{ field: 'target', block: spec.target }],
  problems(spec, blockWidth) {
    const width = blockWidth(spec.target);
    return width !== undefined && spec.positiveClass >= Math.max(width, 2)
      ? [
          `positiveClass: expected a class below ${Math.max(width, 2)} of block "${spec.target}", got ${spec.positiveClass}`,
        ]
      : [];
  },
  validate(spec, context) {
    const scores = predictAll(context.model, context.data);
    return { loss: lossOf(context, scores), ...detection(spec, context, probabilitiesOf(context, scores)).metrics };
  },
  evaluate(spec, context) {
    const scores = context.scores ?? predictAll(context.model, context.data);
    const { metrics, group } = detection(spec, context, probabilitiesOf(context, scores));
    return {
      split: spec.split,
      size: context.data.size,
      metrics: { loss: lossOf(context, scores), ...metrics },
      groups: [group],
      classNames: ['other', spec.positiveName ?? `class ${spec.positiveClass}`],
    };
  },
  predictions(spec, context) {
    const scores = context.scores ?? predictAll(context.model, context.data);
    const { positive, truth } = detectionScores(spec, context, probabilitiesOf(context, scores));
    return examplePredictions(truth, complementColumns(positive), 2);
  },
};
/**
 * Detection of `positiveClass` of the `target` block over whole splits: accuracy, balanced
 * accuracy, precision, recall, F1, PR-AUC and the majority-class baseline, per epoch on
 * `validationSplit` and at the end on `split`.
 */
export const binaryDetection = (options: Settings<Detection>): EvaluationSpec =>
  builderOf(binaryDetectionEvaluation)(options);

/** Every built-in evaluation entry, for a registry whose metric codec is `anyMetric`. */
export const evaluationKinds = (anyMetric: t.Type<MetricSpec, MetricSpec>): readonly EvaluationKind[] => [
  classificationEvaluation(anyMetric),
  binaryDetectionEvaluation,
];
