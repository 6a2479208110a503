import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import { labelLayout, liveTensorCount } from '@losslab/runtime';
import type { RunSpec } from '@losslab/schema';
import { useBackend } from '@losslab/test-utils';
import {
  balancedSoftmax,
  binaryDetection,
  buildLoss,
  categoricalCrossentropy,
  evaluate,
  logitAdjusted,
  masked,
  mlp,
  oneHot,
  registry,
  resolveExperiment,
  type ExperimentDefinition,
} from '../index.js';
import { tinyMnistOdd } from './fixtures.js';

/** The acceptance shape: one 10-class block, an mlp whose output activation is given. */
const withLoss = (loss: ExperimentDefinition['loss'], activation: 'linear' | 'softmax'): ExperimentDefinition =>
  tinyMnistOdd({
    labels: { digit: oneHot(10) },
    model: mlp({ hidden: [{ units: 8, activation: 'relu' }], output: { units: 10, activation } }),
    loss,
    evaluation: { kind: 'classification', split: 'train', target: 'digit' },
  });

const problemsOf = (raw: unknown): readonly string[] => {
  const result = resolveExperiment(raw, 'test.ts');
  return E.isLeft(result) ? result.left.problems : [];
};

describe('losses declare whether they read logits; the model output must match', () => {
  it('logitAdjusted and balancedSoftmax validate with a linear output', () => {
    expect(problemsOf(withLoss(logitAdjusted({ tau: 1 }), 'linear'))).toEqual([]);
    expect(problemsOf(withLoss({ kind: 'logitAdjusted', tau: 1 }, 'linear'))).toEqual([]);
    expect(problemsOf(withLoss({ kind: 'balancedSoftmax' }, 'linear'))).toEqual([]);
  });

  it('a softmax output into a logits loss is rejected, naming both', () => {
    expect(problemsOf(withLoss({ kind: 'logitAdjusted', tau: 1 }, 'softmax'))).toEqual([
      'model.output.activation: "softmax" outputs probabilities, but loss "logitAdjusted" reads logits (fromLogits): give the model a "linear" output',
    ]);
    expect(problemsOf(withLoss(balancedSoftmax(), 'softmax'))).toEqual([
      'model.output.activation: "softmax" outputs probabilities, but loss "balancedSoftmax" reads logits (fromLogits): give the model a "linear" output',
    ]);
  });

  it('a linear output into a probability loss is rejected, also inside a combinator', () => {
    const raw = tinyMnistOdd({
      model: mlp({ hidden: [], output: { units: 10, activation: 'linear' } }),
    });
    expect(problemsOf(raw)).toEqual([
      'model.output.activation: "linear" outputs logits, but loss "categoricalCrossentropy" (at loss.loss) reads probabilities: give the model a "softmax" (or "sigmoid") output, or use a loss that reads logits',
    ]);
  });

  it('existing definitions keep validating and keep their declared data (so their settings hash)', () => {
    const result = resolveExperiment(tinyMnistOdd(), 'test.ts');
    expect(E.isRight(result) && result.right.variants[0]!.spec.loss).toEqual({
      kind: 'masked',
      loss: { kind: 'categoricalCrossentropy' },
      target: 'digit',
      mask: 'isOdd',
    });
    expect(categoricalCrossentropy()).toEqual({ kind: 'categoricalCrossentropy' });
    expect(categoricalCrossentropy({ labelSmoothing: 0.1 })).toEqual({
      kind: 'categoricalCrossentropy',
      labelSmoothing: 0.1,
    });
  });

  it('the codecs reject a negative τ and label smoothing of 1', () => {
    expect(problemsOf(withLoss({ kind: 'logitAdjusted', tau: -1 }, 'linear')).join('\n')).toMatch(/loss.tau: expected/);
    expect(problemsOf(withLoss({ kind: 'balancedSoftmax', labelSmoothing: 1 }, 'linear')).join('\n')).toMatch(
      /loss.labelSmoothing: expected a number in \[0, 1\)/,
    );
  });
});

describe('priors come from the split buildLoss is given (the training split)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  // Training rows: class 0 three times, class 1 once → π = [0.75, 0.25].
  const layout = labelLayout({ cls: 2 });
  const train = arrayDataset({
    features: new Float32Array(4),
    featureShape: [1],
    labels: Float32Array.from([1, 0, 1, 0, 1, 0, 0, 1]),
    labelWidth: 2,
  });
  const lossOn = (spec: ExperimentDefinition['loss'], labels: number[][], logits: number[][]): number[] =>
    tf.tidy(() =>
      Array.from(buildLoss(spec, layout, train, registry)(tf.tensor2d(labels), tf.tensor2d(logits)).dataSync()),
    );

  it('logitAdjusted and balancedSoftmax read the training counts: −log π_y on zero logits', () => {
    const before = liveTensorCount();
    for (const spec of [logitAdjusted({ tau: 1 }), balancedSoftmax()]) {
      const values = lossOn(
        spec,
        [
          [0, 1],
          [1, 0],
        ],
        [
          [0, 0],
          [0, 0],
        ],
      );
      expect(values[0]).toBeCloseTo(-Math.log(0.25), 5);
      expect(values[1]).toBeCloseTo(-Math.log(0.75), 5);
    }
    expect(liveTensorCount()).toBe(before);
  });

  it('inside masked, the priors are those of the target block', () => {
    const twoBlocks = labelLayout({ cls: 2, keep: 1 });
    const data = arrayDataset({
      features: new Float32Array(4),
      featureShape: [1],
      labels: Float32Array.from([1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1]),
      labelWidth: 3,
    });
    const loss = buildLoss(
      masked(logitAdjusted({ tau: 1 }), { target: 'cls', mask: 'keep' }),
      twoBlocks,
      data,
      registry,
    );
    const [value] = tf.tidy(() => Array.from(loss(tf.tensor2d([[0, 1, 1]]), tf.tensor2d([[0, 0]])).dataSync()));
    expect(value).toBeCloseTo(-Math.log(0.25), 5);
  });

  it('a loss over a label of several blocks without a target names the fix', () => {
    const twoBlocks = labelLayout({ cls: 2, keep: 1 });
    expect(() => buildLoss(balancedSoftmax(), twoBlocks, train, registry)).toThrow(/wrap it in sliced/);
  });
});

describe('evaluation of a logits model reads softmax(logits)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('metrics see probabilities, the loss sees the logits', () => {
    const raw = tinyMnistOdd({
      labels: { cls: oneHot(2) },
      model: mlp({ hidden: [], output: { units: 2, activation: 'linear' } }),
      loss: logitAdjusted({ tau: 0 }),
      evaluation: binaryDetection({ split: 'train', target: 'cls', positiveClass: 1 }),
    });
    const resolved = resolveExperiment(raw, 'test.ts');
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    const spec: RunSpec = resolved.right.variants[0]!.spec;
    // The features are the logits: a dense layer with the identity kernel and no bias.
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ units: 2, inputShape: [2], useBias: false, activation: 'linear' })],
    });
    model.layers[0]!.setWeights([tf.eye(2)]);
    // Row 0 is class 1 with logits [0, 0.3] (softmax 0.574 ≥ 0.5, the raw logit 0.3 is not);
    // row 1 is class 0 with logits [0.3, 0].
    const data = arrayDataset({
      features: Float32Array.from([0, 0.3, 0.3, 0]),
      featureShape: [2],
      labels: Float32Array.from([0, 1, 1, 0]),
      labelWidth: 2,
    });
    const layout = labelLayout({ cls: 2 });
    const loaded = {
      layout,
      splits: { train: data },
      fingerprint: {},
      classNames: { cls: ['a', 'b'] },
      trainingCounts: {},
    };
    const loss = buildLoss(spec.loss, layout, data, registry);
    const evaluation = evaluate(spec, registry, loaded, model, loss);
    expect(evaluation.metrics.recall).toBe(1);
    expect(evaluation.metrics.accuracy).toBe(1);
    // −log softmax([0, 0.3])_1 = −log 0.5744 for both rows
    expect(evaluation.metrics.loss).toBeCloseTo(0.554355, 5);
    model.dispose();
  });
});
