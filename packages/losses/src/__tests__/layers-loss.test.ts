import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelLayout } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { classWeighted, meanAbsoluteError, toLayersLoss } from '../index.js';

/** A softmax layer with zero weights: every prediction is [0.5, 0.5], so the loss is known by hand. */
const halfHalfModel = (): tfl.LayersModel =>
  tfl.sequential({
    layers: [tfl.layers.dense({ units: 2, inputShape: [3], activation: 'softmax', kernelInitializer: 'zeros' })],
  });

const features = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [1, 1, 1],
];
// classes 0, 1, 1, 0
const labels = [
  [1, 0],
  [0, 1],
  [0, 1],
  [1, 0],
];
const weighted = () =>
  classWeighted(meanAbsoluteError(), [1, 3], { layout: labelLayout({ class: 2 }), target: 'class' });

describe.each(TEST_BACKENDS)('toLayersLoss on %s', (backend) => {
  let x: tf.Tensor2D;
  let y: tf.Tensor2D;
  beforeAll(async () => {
    await useBackend(backend);
    x = tf.tensor2d(features);
    y = tf.tensor2d(labels);
  });
  afterAll(() => tf.dispose([x, y]));

  it('model.compile takes it and model.evaluate gives the hand-computed class-weighted L1', async () => {
    // every sample: mean |y − 0.5| = 0.5, times its class weight: 0.5, 1.5, 1.5, 0.5
    const cases = [
      ['sumOverBatchSize', (0.5 + 1.5 + 1.5 + 0.5) / 4], // 1.0, Keras' default
      ['sum', 4],
      ['sumOverWeights', 4 / (1 + 3 + 3 + 1)], // 0.5, PyTorch's weighted mean
    ] as const;
    for (const [reduction, expected] of cases) {
      const model = halfHalfModel();
      model.compile({ optimizer: 'sgd', loss: toLayersLoss(weighted(), { reduction }) });
      const result = model.evaluate(x, y) as tf.Scalar;
      expect((await result.data())[0]).toBeCloseTo(expected, 6);
      result.dispose();
      model.dispose();
    }
  });

  it('model.fit trains with it: the loss falls, and the log names the loss', async () => {
    const model = halfHalfModel();
    const loss = toLayersLoss(weighted());
    expect(loss.name).toBe(weighted().lossName);
    model.compile({ optimizer: tf.train.sgd(0.5), loss });
    const history = await model.fit(x, y, { epochs: 5, batchSize: 4, shuffle: false });
    const losses = history.history.loss as number[];
    expect(losses[0]).toBeCloseTo(1.0, 6);
    expect(losses[4]!).toBeLessThan(losses[0]!);
    model.dispose();
  });

  it('refuses reduction "none" and tensors that are not [batch, k], naming the loss and the shapes', () => {
    // @ts-expect-error the type rules it out; a JavaScript caller gets the message
    expect(thrownBy(() => toLayersLoss(weighted(), { reduction: 'none' })).message).toContain('reduction "none"');
    const loss = toLayersLoss(meanAbsoluteError());
    const message = tf.tidy(() => thrownBy(() => loss(tf.zeros([4]), tf.zeros([4]))).message);
    expect(message).toBe('meanAbsoluteError: expected yTrue and yPred of rank 2 ([batch, k]), got [4] and [4]');
  });
});
