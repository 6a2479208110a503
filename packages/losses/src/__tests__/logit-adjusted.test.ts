import { beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import {
  balancedSoftmax,
  binaryCrossentropy,
  categoricalCrossentropy,
  logitAdjusted,
  logitAdjustments,
  softmaxCrossentropy,
} from '../index.js';
import { expectClose, expectGradientsToMatch, noLeak, perSample } from './fixtures.js';

const softmax = (row: readonly number[]): number[] => {
  const top = Math.max(...row);
  const exps = row.map((z) => Math.exp(z - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
};

describe.each(TEST_BACKENDS)('logit-adjusting losses on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('logitAdjusted at τ = 1 is cross-entropy on z + log π (Menon et al. eq. 10), by hand', () => {
    // counts [3, 1]: π = [0.75, 0.25]; zero logits give softmax(log π) = π.
    const loss = logitAdjusted({ tau: 1, counts: [3, 1] });
    const values = noLeak(() =>
      perSample(
        loss,
        [
          [0, 1],
          [1, 0],
          [0, 1],
        ],
        [
          [0, 0],
          [0, 0],
          [1, 0],
        ],
      ),
    );
    // −log 0.25; −log 0.75 (a wrong sign of τ swaps these two); −log(0.25 / (0.75e + 0.25))
    expectClose(values, [1.386294, 0.287682, 2.214283]);
  });

  it('τ scales the log priors: τ = 2 on zero logits gives softmax ∝ π², τ = 0 plain cross-entropy', () => {
    // π² = [0.5625, 0.0625] → p_1 = 0.1
    expectClose(perSample(logitAdjusted({ tau: 2, counts: [3, 1] }), [[0, 1]], [[0, 0]]), [-Math.log(0.1)]);
    expectClose(
      perSample(logitAdjusted({ tau: 0, counts: [3, 1] }), [[0, 1]], [[0.5, -1]]),
      perSample(softmaxCrossentropy(), [[0, 1]], [[0.5, -1]]),
    );
  });

  it('the offsets are τ·log π (priors), not τ·log n; the loss cannot tell them apart', () => {
    expectClose(logitAdjustments([3, 1], 1), [Math.log(0.75), Math.log(0.25)]);
    expectClose(logitAdjustments([6, 2, 2], 0.5), [0.5 * Math.log(0.6), 0.5 * Math.log(0.2), 0.5 * Math.log(0.2)]);
  });

  it('balancedSoftmax equals logitAdjusted at τ = 1 with priors from the same counts (Ren et al. = Menon et al.)', () => {
    const counts = [50, 5, 1];
    const labels = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    const logits = [
      [2.0, -1.0, 0.5],
      [0.3, 0.1, -0.7],
      [-2.0, 1.5, 3.0],
    ];
    const balanced = noLeak(() => perSample(balancedSoftmax({ counts }), labels, logits));
    expectClose(balanced, perSample(logitAdjusted({ tau: 1, counts }), labels, logits));
    // and both equal −log(n_y e^{z_y} / Σ n_c e^{z_c}), by the paper's formula
    const expected = logits.map((row, i) => {
      const y = labels[i]!.indexOf(1);
      const weighted = row.map((z, j) => counts[j]! * Math.exp(z));
      return -Math.log(weighted[y]! / weighted.reduce((a, b) => a + b, 0));
    });
    expectClose(balanced, expected);
  });

  it('gradients w.r.t. the logits are softmax(z + τ·log π) − y and match finite differences', () => {
    const counts = [8, 2];
    const labels = [
      [0, 1],
      [1, 0],
    ];
    const logits = [
      [0.4, -0.2],
      [-1.0, 0.7],
    ];
    const analytic = expectGradientsToMatch(logitAdjusted({ tau: 1.5, counts }), labels, logits, 1e-2);
    const byHand = logits.flatMap((row, i) => {
      const p = softmax(row.map((z, j) => z + 1.5 * Math.log(counts[j]! / 10)));
      return p.map((value, j) => value - labels[i]![j]!);
    });
    expectClose(analytic, byHand, 4);
    expectGradientsToMatch(balancedSoftmax({ counts }), labels, logits, 1e-2);
  });

  it('softmaxCrossentropy stays finite on large logits', () => {
    expectClose(perSample(softmaxCrossentropy(), [[1, 0]], [[1000, 0]]), [0]);
    expectClose(perSample(softmaxCrossentropy(), [[0, 1]], [[1000, 0]]), [1000], 2);
  });

  it('label smoothing replaces y by y(1 − ε) + ε/K (Keras), for logits and probabilities alike', () => {
    // y = [0, 0, 1], ε = 0.3 → [0.1, 0.1, 0.8]
    expectClose(perSample(softmaxCrossentropy({ labelSmoothing: 0.3 }), [[0, 0, 1]], [[1, 2, 3]]), [0.707606]);
    expectClose(
      perSample(categoricalCrossentropy({ labelSmoothing: 0.1 }), [[0, 1, 0]], [[0.1, 0.7, 0.2]]),
      [0.463297],
    );
    // binary: K = 2, y = 1 → 0.9
    expectClose(perSample(binaryCrossentropy({ labelSmoothing: 0.2 }), [[1]], [[0.8]]), [0.361773]);
    // smoothing then adjusting: zero logits, counts [1, 1] → softmax uniform → −Σ t log ½ = log 2
    expectClose(perSample(logitAdjusted({ tau: 1, counts: [1, 1], labelSmoothing: 0.5 }), [[0, 1]], [[0, 0]]), [
      Math.log(2),
    ]);
  });

  it('rejects a class without training samples, a negative τ, counts that do not fit, and smoothing ≥ 1', () => {
    for (const build of [
      () => logitAdjusted({ tau: 1, counts: [3, 0] }),
      () => balancedSoftmax({ counts: [3, 0] }),
      () => logitAdjusted({ tau: -1, counts: [3, 1] }),
      () => categoricalCrossentropy({ labelSmoothing: 1 }),
    ]) {
      const error = thrownBy(build);
      expect(isLosslabError(error) && error.code).toBe('INVALID_ARGUMENT');
    }
    expect(String(thrownBy(() => balancedSoftmax({ counts: [3, 0] })))).toMatch(/counts\[1\].*no training samples/);
    const mismatch = thrownBy(() => perSample(balancedSoftmax({ counts: [3, 1] }), [[0, 0, 1]], [[0, 0, 0]]));
    expect(String(mismatch)).toMatch(/3 columns but there are 2 class counts/);
  });
});
