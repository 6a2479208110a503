import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients (tfjs-layers does); the tensor path needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { describe, expect, it } from 'vitest';
import { createRng, labelLayout, liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import {
  categoricalCrossentropy,
  classWeighted,
  focal,
  masked,
  reduceLoss,
  sampleWeighted,
  sliced,
  softmaxCrossentropyOnHost,
  type Loss,
  type ScalarReduction,
} from '../index.js';

/**
 * The host computation a fused training step uses instead of the loss's tensor ops: for every
 * composition that carries `crossentropyTerms`, its value and its gradient w.r.t. the logits equal
 * `reduceLoss(loss, y, softmax(z))` and tfjs' autodiff of it, to float32 rounding.
 */
const layout = labelLayout({ digit: 4, isOdd: 1, weight: 1 });
const batch = 6;

/** Seeded logits and labels: one-hot digit, a 0/1 mask with two zeros, fractional weights, one zero. */
function batchOf(seed: number, logitScale = 2): { logits: number[]; labels: number[] } {
  const rng = createRng(seed);
  const logits = Array.from({ length: batch * 4 }, () => rng.normal() * logitScale);
  const labels: number[] = [];
  for (let i = 0; i < batch; i++) {
    const digit = Math.floor(rng.next() * 4);
    labels.push(...[0, 1, 2, 3].map((c) => (c === digit ? 1 : 0)), i % 3 === 0 ? 0 : 1, i === 4 ? 0 : 0.25 + i / 4);
  }
  return { logits, labels };
}

const compositions: Record<string, Loss> = {
  'masked (mnist-odd)': masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
  sliced: sliced(categoricalCrossentropy(), layout, 'digit'),
  'sample-weighted, label smoothing 0.1, ε 1e-3': sampleWeighted(
    categoricalCrossentropy({ labelSmoothing: 0.1, epsilon: 1e-3 }),
    layout,
    { target: 'digit', weight: 'weight' },
  ),
  'masked around sample-weighted around sliced (no targets)': masked(
    sampleWeighted(sliced(categoricalCrossentropy(), layout, 'digit'), layout, { weight: 'weight' }),
    layout,
    { mask: 'isOdd' },
  ),
};
const reductions: ScalarReduction[] = ['sumOverBatchSize', 'sumOverWeights', 'sumOverNonzeroWeights', 'sum'];

function tensorPath(loss: Loss, logits: number[], labels: number[], reduction: ScalarReduction) {
  return tf.tidy(() => {
    const y = tf.tensor2d(labels, [batch, layout.width]);
    const z = tf.tensor2d(logits, [batch, 4]);
    const { value, grad } = tf.valueAndGrad((zz: tf.Tensor) =>
      reduceLoss(loss, y, tf.softmax(zz) as tf.Tensor2D, reduction),
    )(z);
    return { value: value.dataSync()[0]!, gradient: Array.from(grad.dataSync()) };
  });
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    expect(Math.abs(actual[i]! - e), `${what}[${i}]: ${actual[i]} against ${e}`).toBeLessThanOrEqual(
      1e-5 * Math.max(Math.abs(e), 1e-2),
    );
  }
}

describe.each(TEST_BACKENDS)('softmaxCrossentropyOnHost on %s', (backend) => {
  it.each(Object.keys(compositions))(
    '%s: value and logit gradient equal the tensor path for every reduction',
    async (name) => {
      await useBackend(backend);
      const before = liveTensorCount();
      const loss = compositions[name]!;
      expect(loss.crossentropyTerms).toBeDefined();
      // Scale 30 saturates some softmax rows past 1 − ε, where the clip's gradient is 0.
      for (const [seed, scale] of [
        [1, 2],
        [2, 30],
      ] as const) {
        const { logits, labels } = batchOf(seed, scale);
        for (const reduction of reductions) {
          const expected = tensorPath(loss, logits, labels, reduction);
          const host = softmaxCrossentropyOnHost(
            loss.crossentropyTerms!,
            Float32Array.from(logits),
            Float32Array.from(labels),
            batch,
            4,
            layout.width,
            reduction,
          )!;
          expectClose([host.value], [expected.value], `${reduction} value (seed ${seed})`);
          expectClose(host.logitGradient, expected.gradient, `${reduction} gradient (seed ${seed})`);
        }
      }
      expect(liveTensorCount()).toBe(before);
    },
  );
});

describe('crossentropyTerms', () => {
  it('describes the mnist-odd loss in the label’s own columns', () => {
    expect(compositions['masked (mnist-odd)']!.crossentropyTerms).toEqual({
      epsilon: 1e-7,
      labelSmoothing: 0,
      labelWidth: 6,
      targetStart: 0,
      targetWidth: 4,
      weightColumns: [4],
    });
    expect(compositions['masked around sample-weighted around sliced (no targets)']!.crossentropyTerms).toMatchObject({
      labelWidth: 6,
      targetWidth: 4,
      weightColumns: [5, 4],
    });
  });

  it('is absent where the fused step would compute something else', () => {
    expect(categoricalCrossentropy({ normalize: true }).crossentropyTerms).toBeUndefined();
    expect(classWeighted(categoricalCrossentropy(), [1, 2, 3, 4]).crossentropyTerms).toBeUndefined();
    expect(focal().crossentropyTerms).toBeUndefined();
    expect(masked(focal(), layout, { target: 'digit', mask: 'isOdd' }).crossentropyTerms).toBeUndefined();
  });

  it('gives a row whose weight is 0 exactly 0, NaN labels included, and a zero denominator 0', () => {
    const terms = compositions['masked (mnist-odd)']!.crossentropyTerms!;
    const labels = Float32Array.from([Number.NaN, 1, 0, 0, 0, 9, 0, 1, 0, 0, 0, 9]);
    const all = softmaxCrossentropyOnHost(terms, new Float32Array(8), labels, 2, 4, 6, 'sumOverWeights')!;
    expect(all.value).toBe(0);
    expect(Array.from(all.logitGradient)).toEqual(new Array(8).fill(0));
    // The width checks fall back to the tensor path (which names the mismatch).
    expect(softmaxCrossentropyOnHost(terms, new Float32Array(10), labels, 2, 5, 6, 'sum')).toBeUndefined();
  });
});
