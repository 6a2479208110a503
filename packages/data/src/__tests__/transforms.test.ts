import { describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { thrownBy } from '@losslab/test-utils';
import { carveSplit, classCountsOf, longTail, longTailCounts, subsampleClasses, type LabelledRows } from '../index.js';
import { loadMnistLabels } from '../node.js';

/** Rows with the given class ids; row r's feature and its column `origin` both hold r, so survivors can be traced. */
function traced(classIds: readonly number[]): LabelledRows {
  const size = classIds.length;
  return {
    features: Float32Array.from({ length: size }, (_, r) => r),
    featureShape: [1],
    classIds: Int32Array.from(classIds),
    columns: { origin: Float32Array.from({ length: size }, (_, r) => r) },
    size,
  };
}

/** The original row of each surviving row, after checking that features, class ids and columns moved together. */
function originsOf(result: LabelledRows, source: LabelledRows): number[] {
  const origins = Array.from(result.features);
  expect(Array.from(result.columns.origin!)).toEqual(origins);
  expect(Array.from(result.classIds)).toEqual(origins.map((r) => source.classIds[r]));
  return origins;
}

const isIncreasing = (values: readonly number[]): boolean => values.every((v, i) => i === 0 || v > values[i - 1]!);

// 10 rows of class 0, 3 of class 1, 4 of class 2, interleaved.
const mixed = traced([0, 1, 0, 2, 0, 0, 1, 0, 2, 0, 0, 2, 0, 1, 0, 2, 0]);

describe('subsampleClasses', () => {
  it('keeps max(1, round(keep · n_c)) of each listed class and every row of the others, in order', () => {
    const out = subsampleClasses(mixed, { classes: [0, 1], keep: 0.25, seed: 1 });
    // class 0: round(0.25 · 10) = round(2.5) = 3; class 1: max(1, round(0.75)) = 1; class 2 untouched: 4.
    expect(classCountsOf(out)).toEqual([3, 1, 4]);
    const origins = originsOf(out, mixed);
    expect(isIncreasing(origins)).toBe(true);
    expect(origins.filter((r) => mixed.classIds[r] === 2)).toEqual([3, 8, 11, 15]);
  });

  it('a class with very few rows keeps at least one', () => {
    const out = subsampleClasses(mixed, { classes: [1], keep: 0.01, seed: 1 });
    expect(classCountsOf(out)).toEqual([10, 1, 4]);
  });

  it('keep 1 and an absent class leave the rows unchanged', () => {
    expect(originsOf(subsampleClasses(mixed, { classes: [0, 1, 2], keep: 1, seed: 5 }), mixed)).toEqual(
      Array.from({ length: mixed.size }, (_, r) => r),
    );
    expect(originsOf(subsampleClasses(mixed, { classes: [7], keep: 0.5, seed: 5 }), mixed).length).toBe(mixed.size);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const options = { classes: [0], keep: 0.5, seed: 11 };
    const a = originsOf(subsampleClasses(mixed, options), mixed);
    expect(originsOf(subsampleClasses(mixed, options), mixed)).toEqual(a);
    const others = [12, 13, 14].map((seed) => originsOf(subsampleClasses(mixed, { ...options, seed }), mixed));
    expect(others.some((b) => b.join() !== a.join())).toBe(true);
  });

  it('listing another class does not change which rows of a class survive', () => {
    const alone = originsOf(subsampleClasses(mixed, { classes: [0], keep: 0.5, seed: 3 }), mixed);
    const together = originsOf(subsampleClasses(mixed, { classes: [2, 0], keep: 0.5, seed: 3 }), mixed);
    const ofClass0 = (origins: number[]): number[] => origins.filter((r) => mixed.classIds[r] === 0);
    expect(ofClass0(together)).toEqual(ofClass0(alone));
  });

  it.each([
    [{ classes: [0], keep: 0, seed: 1 }, 'options.keep: expected a number in (0, 1], got 0'],
    [{ classes: [0], keep: 1.5, seed: 1 }, 'options.keep: expected a number in (0, 1], got 1.5'],
    [{ classes: [0], keep: Number.NaN, seed: 1 }, 'options.keep: expected a number in (0, 1], got NaN'],
    [
      { classes: [0, 2, 0], keep: 0.5, seed: 1 },
      'options.classes[2]: class 0 is listed twice (also at options.classes[0])',
    ],
    [{ classes: [-1], keep: 0.5, seed: 1 }, 'options.classes[0]: expected an integer >= 0, got -1'],
    [{ classes: [0], keep: 0.5, seed: -1 }, 'options.seed: expected an integer >= 0, got -1'],
  ])('rejects %j', (options, message) => {
    const error = thrownBy(() => subsampleClasses(mixed, options));
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error.message).toBe(message);
  });
});

describe('longTailCounts', () => {
  it('matches hand-computed profiles', () => {
    // ratio 4 over 3 classes: 100 · 4^0, 100 · 4^(−1/2) = 50, 100 · 4^(−1) = 25.
    expect(longTailCounts(100, 3, 4)).toEqual([100, 50, 25]);
    // MNIST's smallest class (5,421 fives), ratio 100 over 10 classes: class i keeps
    // 5421 · 10^(−2i/9); 10^(−2/9) ≈ 0.599484, so 5421 · 0.599484 ≈ 3249.80 → 3250, ...,
    // and class 9 keeps 5421 / 100 = 54.21 → 54.
    expect(longTailCounts(5421, 10, 100)).toEqual([5421, 3250, 1948, 1168, 700, 420, 252, 151, 90, 54]);
    // Rounding halves up: 5 · 4^(−1/2) = 2.5 → 3.
    expect(longTailCounts(5, 3, 4)).toEqual([5, 3, 1]);
  });

  it('one class keeps nMax; ratio 1 keeps every class at nMax', () => {
    expect(longTailCounts(7, 1, 50)).toEqual([7]);
    expect(longTailCounts(7, 4, 1)).toEqual([7, 7, 7, 7]);
  });

  it('properties: head = nMax, tail = round(nMax / ratio), non-increasing', () => {
    for (const [nMax, classes, ratio] of [
      [5000, 10, 200],
      [500, 100, 10],
      [37, 7, 3.5],
    ] as const) {
      const counts = longTailCounts(nMax, classes, ratio);
      expect(counts.length).toBe(classes);
      expect(counts[0]).toBe(nMax);
      expect(counts[classes - 1]).toBe(Math.round(nMax / ratio));
      expect(counts.every((n, i) => i === 0 || n <= counts[i - 1]!)).toBe(true);
    }
  });

  it('rejects a ratio that would leave a class empty, and bad arguments', () => {
    // 10 · 100^(−5/9) ≈ 0.77 → 1, but 10 · 100^(−6/9) ≈ 0.46 → 0: class 6 is the first left empty.
    expect(() => longTailCounts(10, 10, 100)).toThrow(
      'ratio: 100 with nMax 10 leaves class 6 of 10 with round(10 · 100^(−6/9)) = 0 rows; expected every class to keep at least 1 (ratio <= 20)',
    );
    expect(longTailCounts(10, 10, 20).at(-1)).toBe(1); // 10 / 20 = 0.5 → 1
    expect(() => longTailCounts(10, 3, 0.5)).toThrow('ratio: expected a finite number >= 1, got 0.5');
    expect(() => longTailCounts(0, 3, 2)).toThrow('nMax: expected an integer >= 1, got 0');
    expect(() => longTailCounts(10, 0, 2)).toThrow('numClasses: expected an integer >= 1, got 0');
  });
});

describe('longTail', () => {
  // 6 rows of class 0, 9 of class 1, 5 of class 2.
  const rows = traced([1, 0, 1, 2, 0, 1, 1, 2, 0, 1, 2, 1, 0, 1, 2, 0, 1, 0, 1, 2]);

  it('takes nMax from the smallest class and keeps round(nMax · ratio^(−i/(C−1))) rows of class i', () => {
    const out = longTail(rows, { ratio: 4, seed: 2 });
    // smallest class: 5 rows (class 2) → [5, round(2.5) = 3, round(1.25) = 1].
    expect(classCountsOf(out)).toEqual([5, 3, 1]);
    expect(isIncreasing(originsOf(out, rows))).toBe(true);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const a = originsOf(longTail(rows, { ratio: 2, seed: 9 }), rows);
    expect(originsOf(longTail(rows, { ratio: 2, seed: 9 }), rows)).toEqual(a);
    const others = [10, 11, 12].map((seed) => originsOf(longTail(rows, { ratio: 2, seed }), rows));
    expect(others.some((b) => b.join() !== a.join())).toBe(true);
  });

  it('on the real MNIST train labels, n_max is the 5,421 fives and the tail keeps 54', async () => {
    const { labels } = await loadMnistLabels({ split: 'train' });
    const lt = longTail(traced(Array.from(labels)), { ratio: 100, seed: 0 });
    expect(classCountsOf(lt)).toEqual([5421, 3250, 1948, 1168, 700, 420, 252, 151, 90, 54]);
  });

  it('a class without rows is an error listing the counts', () => {
    expect(() => longTail(rows, { ratio: 2, seed: 1, numClasses: 4 })).toThrow(
      'rows: class 3 has no rows; a long tail over 4 classes needs rows of every class (counts: [6, 9, 5, 0])',
    );
    expect(() => longTail(traced([]), { ratio: 2, seed: 1 })).toThrow('rows: expected at least one row, got 0');
  });
});

describe('carveSplit', () => {
  const rows = traced(Array.from({ length: 20 }, (_, r) => r % 3));

  it('carves round(fraction · size) rows; the parts are disjoint, ordered, and hold every row once', () => {
    const { rest, carved } = carveSplit(rows, { fraction: 0.33, seed: 4 });
    // round(0.33 · 20) = round(6.6) = 7.
    expect([rest.size, carved.size]).toEqual([13, 7]);
    const restRows = originsOf(rest, rows);
    const carvedRows = originsOf(carved, rows);
    expect(isIncreasing(restRows) && isIncreasing(carvedRows)).toBe(true);
    expect(restRows.filter((r) => carvedRows.includes(r))).toEqual([]);
    expect([...restRows, ...carvedRows].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, r) => r));
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const carvedBy = (seed: number): string => originsOf(carveSplit(rows, { fraction: 0.5, seed }).carved, rows).join();
    expect(carvedBy(1)).toBe(carvedBy(1));
    expect(carvedBy(2)).not.toBe(carvedBy(1));
  });

  it('rejects fractions outside (0, 1) and a carve that leaves a part empty', () => {
    expect(() => carveSplit(rows, { fraction: 1, seed: 1 })).toThrow(
      'options.fraction: expected a number in (0, 1), got 1',
    );
    expect(() => carveSplit(rows, { fraction: 0, seed: 1 })).toThrow(
      'options.fraction: expected a number in (0, 1), got 0',
    );
    expect(() => carveSplit(rows, { fraction: 0.01, seed: 1 })).toThrow(
      'options.fraction: 0.01 of 20 rows carves round(0.01 · 20) = 0; expected at least 1 row in each part',
    );
  });
});
