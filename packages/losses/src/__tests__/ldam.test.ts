import { beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { ldam, ldamMargins, softmaxCrossentropy } from '../index.js';
import { expectClose, expectGradientsToMatch, noLeak, perSample } from './fixtures.js';

// A fixed input: 4 classes with training counts [100, 20, 5, 1] (ρ = 100), 5 samples of cosine logits.
const COUNTS = [100, 20, 5, 1];
const CLASSES = [0, 1, 2, 3, 3];
const LABELS = CLASSES.map((y) => COUNTS.map((_, j) => (j === y ? 1 : 0)));
const LOGITS = [
  [0.3, -0.2, 0.9, 0.1],
  [-0.5, 0.4, 0.2, 0.8],
  [0.7, 0.6, -0.1, -0.9],
  [0.05, -0.3, 0.25, 0.6],
  [0.1, 0.2, 0.3, 0.4],
];
/**
 * kaidic/LDAM-DRW `losses.py` `LDAMLoss(cls_num_list=COUNTS, max_m=0.5, s=30)` on LOGITS (float32
 * tensors) and CLASSES, with `F.cross_entropy(..., reduction='none')`; derived once offline with
 * PyTorch 2 (the tests never call Python).
 */
const REFERENCE_FLOAT32 = [
  22.74341583251953, 19.093061447143555, 34.07969284057617, 4.513495445251465, 12.050951957702637,
];

/** The paper's formula in float64, written out independently of the implementation. */
function ldamByHand(counts: readonly number[], maxMargin: number, scale: number): number[] {
  const rarest = Math.min(...counts);
  // Δ_j = C / n_j^{1/4} with C such that the rarest class's Δ is maxMargin
  const margins = counts.map((n) => maxMargin * (rarest / n) ** 0.25);
  return LOGITS.map((row, i) => {
    const y = CLASSES[i]!;
    const z = row.map((value, j) => scale * (j === y ? Math.fround(value) - margins[j]! : Math.fround(value)));
    const top = Math.max(...z);
    const logSum = top + Math.log(z.reduce((sum, value) => sum + Math.exp(value - top), 0));
    return logSum - z[y]!;
  });
}

/** |a − b| ≤ 2e-6 · max(1, |b|): float32 agreement (values ~20 carry ~2e-6 relative rounding). */
function expectFloat32Close(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) =>
    expect(Math.abs(value - expected[i]!), `sample ${i}: ${value} vs ${expected[i]}`).toBeLessThanOrEqual(
      2e-6 * Math.max(1, Math.abs(expected[i]!)),
    ),
  );
}

describe('ldamMargins', () => {
  it('is C / n^{1/4}, scaled so that the rarest class gets exactly maxMargin', () => {
    // 1/n^{1/4} = [0.3162, 0.4729, 0.6687, 1] → × 0.5
    expectClose(ldamMargins(COUNTS, 0.5), [0.158113883, 0.236435404, 0.334370152, 0.5], 8);
    expect(Math.max(...ldamMargins([7, 300, 40], 0.3))).toBe(0.3);
    // n^{1/4}, not n: 16× the samples is half the margin (with n it would be 1/16)
    const [head, tail] = ldamMargins([16, 1], 1);
    expect(head! / tail!).toBeCloseTo(0.5, 12);
  });
});

describe.each(TEST_BACKENDS)('ldam on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("reproduces the reference implementation's arithmetic to float32 precision on a fixed input", () => {
    const values = noLeak(() => perSample(ldam({ counts: COUNTS }), LABELS, LOGITS));
    expectFloat32Close(values, REFERENCE_FLOAT32);
    expectFloat32Close(values, ldamByHand(COUNTS, 0.5, 30));
    // the defaults are the paper's: maxMargin 0.5, scale 30
    expectFloat32Close(perSample(ldam({ counts: COUNTS, maxMargin: 0.5, scale: 30 }), LABELS, LOGITS), values);
    // other settings follow the same formula
    expectFloat32Close(
      perSample(ldam({ counts: COUNTS, maxMargin: 0.2, scale: 10 }), LABELS, LOGITS),
      ldamByHand(COUNTS, 0.2, 10),
    );
  });

  it('fails on the plausible bugs: unscaled margins, n instead of n^{1/4}, a margin on every class', () => {
    const values = perSample(ldam({ counts: COUNTS }), LABELS, LOGITS);
    // margins 1/n^{1/4} not rescaled to maxMargin (the rarest class's would be 1, not 0.5)
    const unscaled = ldamByHand(COUNTS, 1, 30);
    // margins ∝ 1/n: the same maxMargin, but [0.005, 0.025, 0.1, 0.5]
    const perCount = LOGITS.map((row, i) => {
      const y = CLASSES[i]!;
      const z = row.map((value, j) => 30 * (j === y ? value - 0.5 / COUNTS[j]! : value));
      return Math.log(z.reduce((sum, value) => sum + Math.exp(value), 0)) - z[y]!;
    });
    // Δ_y subtracted from every class of the row: softmax ignores it, leaving cross-entropy on s·z
    const everyClass = perSample(
      softmaxCrossentropy(),
      LABELS,
      LOGITS.map((row) => row.map((z) => 30 * z)),
    );
    for (const wrong of [unscaled, perCount, everyClass])
      expect(Math.max(...wrong.map((value, i) => Math.abs(value - values[i]!)))).toBeGreaterThan(0.5);
  });

  it('a rare class pays its larger margin: on equal logits its loss is higher than a frequent class’s', () => {
    // zero logits, counts [16, 1]: Δ = [0.25, 0.5]; −log softmax(30·[−Δ_y, 0])_0 = log(1 + e^{30·Δ_y})
    const [frequent, rare] = perSample(
      ldam({ counts: [16, 1] }),
      [
        [1, 0],
        [0, 1],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    );
    expect(frequent).toBeCloseTo(Math.log1p(Math.exp(7.5)), 5);
    expect(rare).toBeCloseTo(Math.log1p(Math.exp(15)), 4);
  });

  it('gradients w.r.t. the logits are s·(softmax(s(z − Δ_y e_y)) − y) and match finite differences', () => {
    const labels = LABELS.slice(0, 3);
    const logits = LOGITS.slice(0, 3);
    // a small scale keeps the finite differences away from saturation
    const loss = ldam({ counts: COUNTS, scale: 2 });
    const analytic = expectGradientsToMatch(loss, labels, logits, 1e-2);
    const margins = ldamMargins(COUNTS, 0.5);
    const byHand = logits.flatMap((row, i) => {
      const y = CLASSES[i]!;
      const z = row.map((value, j) => 2 * (j === y ? value - margins[j]! : value));
      const exps = z.map((value) => Math.exp(value));
      const sum = exps.reduce((a, b) => a + b, 0);
      return exps.map((e, j) => 2 * (e / sum - (j === y ? 1 : 0)));
    });
    expectClose(analytic, byHand, 4);
  });

  it('rejects a class without training samples, a margin or scale ≤ 0, and counts that do not fit', () => {
    for (const build of [
      () => ldam({ counts: [3, 0] }),
      () => ldam({ counts: [3, 1], maxMargin: 0 }),
      () => ldam({ counts: [3, 1], scale: -1 }),
    ]) {
      const error = thrownBy(build);
      expect(isLosslabError(error) && error.code).toBe('INVALID_ARGUMENT');
    }
    expect(String(thrownBy(() => ldam({ counts: [3, 0] })))).toMatch(/counts\[1\].*no training samples/);
    const mismatch = thrownBy(() => perSample(ldam({ counts: [3, 1] }), [[0, 0, 1]], [[0, 0, 0]]));
    expect(String(mismatch)).toMatch(/3 columns but there are 2 class counts/);
  });
});
