import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expectNoTensorLeak, isLosslabError } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import { createLstmClassifier, describeModel, seededDropout } from '../index.js';

/** Output of one training-mode call on ones([rows, cols]), as a plain array. */
function trainingCall(layer: tfl.layers.Layer, rows = 4, cols = 50): number[] {
  return tf.tidy(() => Array.from((layer.apply(tf.ones([rows, cols]), { training: true }) as tf.Tensor).dataSync()));
}

describe.each(TEST_BACKENDS)('SeededDropout on %s', (backend) => {
  it('documents why: tfjs dropout with a seed repeats the same mask on every call', async () => {
    await useBackend(backend);
    const layer = tfl.layers.dropout({ rate: 0.5, seed: 123 });
    expect(trainingCall(layer)).toEqual(trainingCall(layer));
  });

  it('draws a fresh mask per training call, reproducibly from its seed', async () => {
    await useBackend(backend);
    const a = seededDropout({ rate: 0.5, seed: 123 });
    const b = seededDropout({ rate: 0.5, seed: 123 });
    const a1 = trainingCall(a);
    const a2 = trainingCall(a);
    expect(a1).not.toEqual(a2);
    expect(trainingCall(b)).toEqual(a1);
    expect(trainingCall(b)).toEqual(a2);
    expect(trainingCall(seededDropout({ rate: 0.5, seed: 124 }))).not.toEqual(a1);
    a.resetMaskSequence();
    expect(trainingCall(a)).toEqual(a1);
  });

  it('zeroes about `rate` of the inputs and scales the rest by 1 / (1 - rate)', async () => {
    await useBackend(backend);
    const out = trainingCall(seededDropout({ rate: 0.25, seed: 5 }), 40, 50);
    for (const v of out) expect(v === 0 || Math.abs(v - 1 / 0.75) < 1e-6).toBe(true);
    const dropped = out.filter((v) => v === 0).length / out.length;
    // 2000 Bernoulli(0.25) draws: the standard deviation is ~0.01
    expect(dropped).toBeGreaterThan(0.2);
    expect(dropped).toBeLessThan(0.3);
  });

  it('is the identity at inference and leaks nothing', async () => {
    await useBackend(backend);
    const layer = seededDropout({ rate: 0.5, seed: 1 });
    await expectNoTensorLeak('seeded dropout', () => {
      const out = tf.tidy(() => Array.from((layer.apply(tf.ones([2, 3])) as tf.Tensor).dataSync()));
      expect(out).toEqual([1, 1, 1, 1, 1, 1]);
      trainingCall(layer);
    });
  });

  it('sits after every LSTM of a classifier with dropout, which predicts deterministically', async () => {
    await useBackend(backend);
    // LSTM 3 over 2 features: 4·(3·5 + 3) = 72; LSTM 2 over 3: 4·(2·5 + 2) = 48; dense 2·2 + 2 = 6
    const model = createLstmClassifier(
      {
        inputShape: [3, 2],
        layers: [{ units: 3 }, { units: 2 }],
        dropout: 0.5,
        output: { units: 2, activation: 'softmax' },
      },
      6,
    );
    expect(describeModel(model)).toBe(
      '[3, 2] → lstm 3 (sequences) → seededdropout 0.5 → lstm 2 → seededdropout 0.5 → dense 2 softmax (126 parameters)',
    );
    const predict = (): number[] =>
      tf.tidy(() => Array.from((model.predict(tf.fill([1, 3, 2], 0.5)) as tf.Tensor).dataSync()));
    expect(predict()).toEqual(predict());
    // training mode drops units and still back-propagates into every weight, leak-free
    const x = tf.fill([4, 3, 2], 0.5);
    await expectNoTensorLeak('training-mode gradients', () => {
      const { value, grads } = tf.variableGrads(() =>
        tf.mean<tf.Scalar>(tf.square(model.apply(x, { training: true }) as tf.Tensor)),
      );
      const gradients = Object.values(grads);
      expect(gradients.length).toBe(model.trainableWeights.length);
      for (const g of gradients) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      expect(gradients.some((g) => Array.from(g.dataSync()).some((v) => v !== 0))).toBe(true);
      tf.dispose([value, ...gradients]);
    });
    x.dispose();
    model.dispose();
  });
});

it('rejects a rate outside [0, 1)', () => {
  expect(() => seededDropout({ rate: 1, seed: 1 })).toThrow('dropout rate: expected a number in [0, 1), got 1');
  try {
    seededDropout({ rate: -0.1, seed: 1 });
  } catch (error) {
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
  }
});
