import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak, liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import { argMaxRows, predictClasses, predictScores, type Predictor } from '../index.js';

/** A fixed linear "model": scores = softmax(x · W), W is [3, 4]. Owns W; creates nothing else. */
function linearModel(): Predictor & { dispose(): void; calls: number[] } {
  const weights = tf.tensor2d(
    [
      [1, -1, 0.5, 0],
      [0, 2, -1, 1],
      [-1, 0, 1, 3],
    ],
    [3, 4],
  );
  const calls: number[] = [];
  return {
    calls,
    predict: (x) => {
      calls.push(x.shape[0]);
      return tf.softmax(tf.matMul(x as tf.Tensor2D, weights));
    },
    dispose: () => weights.dispose(),
  };
}

describe.each(TEST_BACKENDS)('batched prediction on %s', (backend) => {
  it('predictClasses equals argMax of a one-shot predict, in batches, without leaks', async () => {
    await useBackend(backend);
    const model = linearModel();
    const features = tf.randomUniform([7, 3], -2, 2, 'float32', 13);
    const oneShot = tf.tidy(() => {
      const scores = model.predict(features) as tf.Tensor;
      return { scores: scores.dataSync().slice(), classes: tf.argMax(scores, 1).dataSync().slice() };
    });
    model.calls.length = 0;
    const before = liveTensorCount();
    const classes = await expectNoTensorLeak('predictClasses', () => predictClasses(model, features, 3));
    expect(model.calls).toEqual([3, 3, 1]);
    expect(Array.from(classes)).toEqual(Array.from(oneShot.classes));
    const scores = await expectNoTensorLeak('predictScores', () => predictScores(model, features, 4));
    expect(scores.length).toBe(7 * 4);
    scores.forEach((v, i) => expect(v).toBeCloseTo(oneShot.scores[i]!, 6));
    expect(Array.from(argMaxRows(scores, 4))).toEqual(Array.from(classes));
    const rows = { values: features.dataSync() as Float32Array, sampleShape: [3] };
    const fromRows = await expectNoTensorLeak('predictScores from rows', () => predictScores(model, rows, 3));
    expect(Array.from(fromRows)).toEqual(Array.from(scores));
    expect(Array.from(predictClasses(model, rows, 5))).toEqual(Array.from(classes));
    expect(() => predictScores(model, { values: new Float32Array(7), sampleShape: [3] }, 2)).toThrow(
      'features: 7 values are not whole rows of shape [3]',
    );
    expect(liveTensorCount()).toBe(before);
    features.dispose();
    model.dispose();
  });

  it('works on rank-3 features and a batch larger than the data', async () => {
    await useBackend(backend);
    const flattenModel: Predictor = { predict: (x) => tf.reshape(x, [x.shape[0], -1]) };
    const features = tf.tensor3d([1, 9, 3, 4, 5, 0, 7, 8], [2, 2, 2]);
    await expectNoTensorLeak('rank-3 predict', () => {
      // rows [1, 9, 3, 4] and [5, 0, 7, 8]
      expect(Array.from(predictClasses(flattenModel, features, 10))).toEqual([1, 3]);
    });
    features.dispose();
  });

  it('rejects a bad batch size or output without leaking', async () => {
    await useBackend(backend);
    const features = tf.ones([2, 3]);
    const model = linearModel();
    await expectNoTensorLeak('guards', () => {
      expect(() => predictClasses(model, features, 0)).toThrow('batchSize: expected an integer >= 1, got 0');
      const vector: Predictor = { predict: (x) => tf.sum(x, 1) };
      expect(() => predictScores(vector, features, 2)).toThrow('model.predict: expected shape [2, width], got [2]');
      const two: Predictor = { predict: (x) => [tf.clone(x), tf.clone(x)] };
      expect(() => predictScores(two, features, 2)).toThrow('model.predict: expected one output tensor, got 2');
    });
    model.dispose();
    features.dispose();
  });

  it('asks predict for one batch of the whole chunk (predict would otherwise slice it into batches of 32)', async () => {
    await useBackend(backend);
    const batchSizes: (number | undefined)[] = [];
    const recording: Predictor = {
      predict: (x, args) => {
        batchSizes.push(args?.batchSize);
        return tf.clone(x);
      },
    };
    await expectNoTensorLeak('predictScores', () =>
      predictScores(recording, { values: new Float32Array(70 * 2), sampleShape: [2] }, 64),
    );
    expect(batchSizes).toEqual([64, 6]);
  });
});
