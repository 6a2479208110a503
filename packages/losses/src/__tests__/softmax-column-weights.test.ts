import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@losslab/runtime';
import { useBackend } from '@losslab/test-utils';
import { absoluteError, classWeighted, columnWeighted, meanAbsoluteError } from '../index.js';

/**
 * Why the blink reference's column weighting cannot rebalance classes: with two softmax outputs
 * and one-hot labels, |p0 − y0| = |p1 − y1|, so Σ_j w_j·|p_j − y_j| = (w0 + w1)·|p1 − y1| for
 * every sample — the same constant factor whatever the sample's class. Per-sample class weights
 * (Keras class_weight) do change the relative weight of the classes.
 */
describe('column weights on a two-unit softmax', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  const rng = createRng(11);
  const n = 32;
  const logits = Array.from({ length: n * 2 }, () => 3 * rng.normal());
  const classes = Array.from({ length: n }, () => (rng.next() < 0.1 ? 1 : 0));
  const weights = [100 / 95, 20];

  it('multiply every sample’s L1 loss and gradient by w0 + w1, regardless of its class', () => {
    const y = tf.tensor2d(
      classes.flatMap((c) => (c === 1 ? [0, 1] : [1, 0])),
      [n, 2],
    );
    const z = tf.tensor2d(logits, [n, 2]);
    const weighted = columnWeighted(absoluteError(), weights);
    const plain = meanAbsoluteError(); // mean over the 2 columns = |p1 − y1|
    const ratio = tf.tidy(() => tf.div(weighted(y, tf.softmax(z)), plain(y, tf.softmax(z))).dataSync());
    // float32: |p0 − y0| and |p1 − y1| round differently when p is near 0 or 1
    for (const r of ratio) expect(Math.abs(r / (weights[0]! + weights[1]!) - 1)).toBeLessThan(1e-3);
    const gradWeighted = tf
      .grad((logit: tf.Tensor) => tf.sum(weighted(y, tf.softmax(logit as tf.Tensor2D))))(z)
      .dataSync();
    const gradPlain = tf
      .grad((logit: tf.Tensor) => tf.sum(plain(y, tf.softmax(logit as tf.Tensor2D))))(z)
      .dataSync();
    gradWeighted.forEach((g, i) =>
      expect(Math.abs(g - (weights[0]! + weights[1]!) * gradPlain[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(g))),
    );
    tf.dispose([y, z]);
  });

  it('whereas per-sample class weights scale blink and non-blink samples differently', () => {
    const y = tf.tensor2d(
      classes.flatMap((c) => (c === 1 ? [0, 1] : [1, 0])),
      [n, 2],
    );
    const p = tf.softmax(tf.tensor2d(logits, [n, 2]));
    const ratio = tf.tidy(() =>
      tf.div(classWeighted(meanAbsoluteError(), weights)(y, p), meanAbsoluteError()(y, p)).dataSync(),
    );
    ratio.forEach((r, i) => expect(Math.abs(r / weights[classes[i]!]! - 1)).toBeLessThan(1e-3));
    expect(new Set(classes).size).toBe(2);
    tf.dispose([y, p]);
  });
});
