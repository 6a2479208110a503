import { createRng, isLosslabError } from '@losslab/runtime';
import { describe, expect, it } from 'vitest';
import { binaryMetrics, confusionMatrix, perClassMetrics } from '../index.js';

describe('perClassMetrics on a hand-worked 3-class example', () => {
  // rows = true, columns = predicted
  //            cat dog bird | support
  //   cat   [   4,  1,  1 ]     6
  //   dog   [   2,  6,  2 ]    10
  //   bird  [   0,  1,  3 ]     4
  //  predicted  6   8   6      n = 20, trace = 4 + 6 + 3 = 13
  const confusion = [
    [4, 1, 1],
    [2, 6, 2],
    [0, 1, 3],
  ];

  it('computes each class and every average', () => {
    const m = perClassMetrics(confusion, ['cat', 'dog', 'bird']);
    // precision = TP / predicted, recall = TP / support, F1 = 2·TP / (support + predicted):
    //   cat:  4/6 = 2/3,  4/6  = 2/3,  8/12  = 2/3
    //   dog:  6/8 = 3/4,  6/10 = 3/5,  12/18 = 2/3
    //   bird: 3/6 = 1/2,  3/4,         6/10  = 3/5
    const expected = [
      { name: 'cat', support: 6, predicted: 6, precision: 2 / 3, recall: 2 / 3, f1: 2 / 3 },
      { name: 'dog', support: 10, predicted: 8, precision: 3 / 4, recall: 3 / 5, f1: 2 / 3 },
      { name: 'bird', support: 4, predicted: 6, precision: 1 / 2, recall: 3 / 4, f1: 3 / 5 },
    ];
    expect(m.classes).toHaveLength(3);
    m.classes.forEach((c, i) => {
      const e = expected[i]!;
      expect([c.name, c.support, c.predicted]).toEqual([e.name, e.support, e.predicted]);
      expect(c.precision).toBeCloseTo(e.precision, 12);
      expect(c.recall).toBeCloseTo(e.recall, 12);
      expect(c.f1).toBeCloseTo(e.f1, 12);
    });
    expect(m.accuracy).toBe(13 / 20);
    // macro: (2/3 + 3/4 + 1/2)/3 = 23/36; (2/3 + 3/5 + 3/4)/3 = 121/180; (2/3 + 2/3 + 3/5)/3 = 29/45
    expect(m.macroPrecision).toBeCloseTo(23 / 36, 12);
    expect(m.macroRecall).toBeCloseTo(121 / 180, 12);
    expect(m.macroF1).toBeCloseTo(29 / 45, 12);
    // weighted by support (6, 10, 4) / 20:
    //   P  = (6·2/3 + 10·3/4 + 4·1/2) / 20 = (4 + 7.5 + 2) / 20 = 27/40
    //   R  = (6·2/3 + 10·3/5 + 4·3/4) / 20 = (4 + 6 + 3) / 20 = 13/20 (= accuracy)
    //   F1 = (6·2/3 + 10·2/3 + 4·3/5) / 20 = (4 + 20/3 + 12/5) / 20 = (196/15) / 20 = 49/75
    expect(m.weightedPrecision).toBeCloseTo(27 / 40, 12);
    expect(m.weightedRecall).toBeCloseTo(13 / 20, 12);
    expect(m.weightedF1).toBeCloseTo(49 / 75, 12);
    // every class has support, so balanced accuracy = macro recall
    expect(m.balancedAccuracy).toBeCloseTo(121 / 180, 12);
  });

  it('names classes by index by default and returns a plain JSON value', () => {
    const m = perClassMetrics(confusion);
    expect(m.classes.map((c) => c.name)).toEqual(['0', '1', '2']);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it('matches the example of its doc comment', () => {
    const m = perClassMetrics([
      [2, 1],
      [0, 1],
    ]);
    expect(m.classes.map((c) => [c.support, c.predicted, c.precision, c.recall, c.f1])).toEqual([
      [3, 2, 1, 2 / 3, 0.8],
      [1, 2, 0.5, 1, 2 / 3],
    ]);
    expect(m.accuracy).toBe(0.75);
    expect(m.macroF1).toBeCloseTo(0.7333, 4);
    expect(m.weightedF1).toBeCloseTo(0.7667, 4);
    expect(m.balancedAccuracy).toBeCloseTo(0.8333, 4);
  });
});

describe('perClassMetrics 0/0 rules (scikit-learn zero_division=0, labels = y_true ∪ y_pred)', () => {
  // y_true = [0, 0, 0, 1, 1], y_pred = [0, 0, 2, 1, 2]; class 2 is predicted but never true,
  // class 3 is neither (all-zero row and column).
  const confusion = confusionMatrix([0, 0, 0, 1, 1], [0, 0, 2, 1, 2], 4);

  it('scores a predicted-only class 0, keeps it in the macro averages and drops an absent class', () => {
    const m = perClassMetrics(confusion);
    //   class 0: support 3, predicted 2, TP 2 → P 1, R 2/3, F1 4/5
    //   class 1: support 2, predicted 1, TP 1 → P 1, R 1/2, F1 2/3
    //   class 2: support 0, predicted 2, TP 0 → P 0, R 0 (0/0), F1 0
    //   class 3: nothing → all 0, and not averaged
    expect(m.classes[2]).toEqual({ name: '2', support: 0, predicted: 2, precision: 0, recall: 0, f1: 0 });
    expect(m.classes[3]).toEqual({ name: '3', support: 0, predicted: 0, precision: 0, recall: 0, f1: 0 });
    // macro over classes {0, 1, 2}: P (1 + 1 + 0)/3, R (2/3 + 1/2 + 0)/3 = 7/18, F1 (4/5 + 2/3 + 0)/3 = 22/45
    // (scikit-learn: precision/recall/f1_score(average='macro', zero_division=0) give the same)
    expect(m.macroPrecision).toBeCloseTo(2 / 3, 12);
    expect(m.macroRecall).toBeCloseTo(7 / 18, 12);
    expect(m.macroF1).toBeCloseTo(22 / 45, 12);
    // balanced accuracy over the classes with support {0, 1}: (2/3 + 1/2)/2 = 7/12
    expect(m.balancedAccuracy).toBeCloseTo(7 / 12, 12);
    // weighted by support (3, 2, 0, 0) / 5: P 1, R 3/5, F1 (3·4/5 + 2·2/3)/5 = 56/75
    expect(m.weightedPrecision).toBe(1);
    expect(m.weightedRecall).toBeCloseTo(3 / 5, 12);
    expect(m.weightedF1).toBeCloseTo(56 / 75, 12);
    expect(m.accuracy).toBe(3 / 5);
  });

  it('gives only finite numbers', () => {
    const m = perClassMetrics(confusion);
    const numbers = [
      ...Object.values(m).filter((v): v is number => typeof v === 'number'),
      ...m.classes.flatMap((c) => [c.support, c.predicted, c.precision, c.recall, c.f1]),
    ];
    expect(numbers).toHaveLength(8 + 4 * 5);
    expect(numbers.every(Number.isFinite)).toBe(true);
  });
});

describe('perClassMetrics properties', () => {
  it('perfect predictions give 1 everywhere (absent classes aside)', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 20; trial++) {
      const k = 1 + rng.int(6);
      // a diagonal matrix; class k−1 is absent in odd trials (when k > 1)
      const counts = Array.from({ length: k }, (_, c) =>
        trial % 2 === 1 && k > 1 && c === k - 1 ? 0 : 1 + rng.int(50),
      );
      const confusion = counts.map((count, t) => counts.map((_, p) => (t === p ? count : 0)));
      const m = perClassMetrics(confusion);
      for (const c of m.classes) {
        const expected = c.support > 0 ? 1 : 0;
        expect([c.precision, c.recall, c.f1]).toEqual([expected, expected, expected]);
      }
      expect([
        m.accuracy,
        m.macroPrecision,
        m.macroRecall,
        m.macroF1,
        m.weightedPrecision,
        m.weightedRecall,
        m.weightedF1,
        m.balancedAccuracy,
      ]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    }
  });

  it('binary case: class 1 agrees with binaryMetrics, and so does balanced accuracy', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + rng.int(40);
      const positiveRate = [0, 0.05, 0.3, 0.5, 1][trial % 5]!;
      const labels = Array.from({ length: n }, () => (rng.next() < positiveRate ? 1 : 0));
      const scores = labels.map((y) => Math.min(1, Math.max(0, 0.35 * y + 0.65 * rng.next())));
      const predicted = scores.map((s) => (s > 0.5 ? 1 : 0));
      const binary = binaryMetrics(labels, scores);
      const m = perClassMetrics(confusionMatrix(labels, predicted, 2));
      const positive = m.classes[1]!;
      expect([positive.precision, positive.recall, positive.f1]).toEqual([binary.precision, binary.recall, binary.f1]);
      expect(m.balancedAccuracy).toBe(binary.balancedAccuracy);
      expect(m.accuracy).toBe(binary.accuracy);
      expect(positive.support).toBe(binary.truePositives + binary.falseNegatives);
      expect(positive.predicted).toBe(binary.truePositives + binary.falsePositives);
      // binaryMetrics now delegates to the same code, so also check against the formulas directly
      const { truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn } = binary;
      const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
      expect(positive.precision).toBe(ratio(tp, tp + fp));
      expect(positive.recall).toBe(ratio(tp, tp + fn));
      expect(positive.f1).toBe(ratio(2 * tp, 2 * tp + fp + fn));
      const recalls = [...(tn + fp > 0 ? [tn / (tn + fp)] : []), ...(tp + fn > 0 ? [tp / (tp + fn)] : [])];
      expect(m.balancedAccuracy).toBeCloseTo(recalls.reduce((a, b) => a + b, 0) / recalls.length, 15);
    }
  });

  it('weighted recall equals accuracy, and macro equals weighted when supports are equal', () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 20; trial++) {
      const k = 2 + rng.int(4);
      const confusion = Array.from({ length: k }, () => Array.from({ length: k }, () => rng.int(9)));
      confusion[0]![0]! += 1; // at least one sample
      const m = perClassMetrics(confusion);
      expect(m.weightedRecall).toBeCloseTo(m.accuracy, 12);
    }
    const equalSupport = perClassMetrics([
      [3, 1, 0],
      [0, 2, 2],
      [1, 1, 2],
    ]);
    expect(equalSupport.weightedPrecision).toBeCloseTo(equalSupport.macroPrecision, 12);
    expect(equalSupport.weightedF1).toBeCloseTo(equalSupport.macroF1, 12);
    expect(equalSupport.balancedAccuracy).toBeCloseTo(equalSupport.macroRecall, 12);
  });
});

describe('perClassMetrics guards', () => {
  const codeOf = (body: () => unknown): string => {
    try {
      body();
    } catch (error) {
      return isLosslabError(error, 'SHAPE_MISMATCH') ? 'SHAPE_MISMATCH' : isLosslabError(error) ? 'other' : 'foreign';
    }
    return 'none';
  };

  it('rejects a non-square or empty matrix, naming confusion', () => {
    expect(() => perClassMetrics([])).toThrow('confusion: expected a non-empty square matrix of counts, got no rows');
    expect(() =>
      perClassMetrics([
        [1, 0, 0],
        [0, 1, 0],
      ]),
    ).toThrow('confusion[0]: expected 2 counts (a square matrix with 2 rows), got 3 counts');
    expect(() => perClassMetrics([[1, 0], [1]])).toThrow(
      'confusion[1]: expected 2 counts (a square matrix with 2 rows), got 1 counts',
    );
    expect(codeOf(() => perClassMetrics([[1, 0], [1]]))).toBe('SHAPE_MISMATCH');
  });

  it('rejects negative, non-integer and non-finite counts, naming the cell', () => {
    expect(() =>
      perClassMetrics([
        [1, 0],
        [-1, 2],
      ]),
    ).toThrow('confusion[1][0]: expected a non-negative integer count, got -1');
    expect(() =>
      perClassMetrics([
        [1, 0.5],
        [0, 2],
      ]),
    ).toThrow('confusion[0][1]: expected a non-negative integer count, got 0.5');
    expect(() =>
      perClassMetrics([
        [1, 0],
        [0, Number.NaN],
      ]),
    ).toThrow('confusion[1][1]: expected a non-negative integer count, got NaN');
  });

  it('rejects a matrix without samples (0/0 accuracy)', () => {
    expect(() =>
      perClassMetrics([
        [0, 0],
        [0, 0],
      ]),
    ).toThrow('confusion: expected at least one sample, got only zero counts');
  });

  it('rejects classNames of the wrong length or with duplicates, naming classNames', () => {
    const confusion = [
      [1, 0],
      [0, 1],
    ];
    expect(() => perClassMetrics(confusion, ['a'])).toThrow(
      'classNames: expected 2 names (one per row of confusion), got 1',
    );
    expect(() => perClassMetrics(confusion, ['a', 'b', 'c'])).toThrow(
      'classNames: expected 2 names (one per row of confusion), got 3',
    );
    expect(codeOf(() => perClassMetrics(confusion, ['a']))).toBe('SHAPE_MISMATCH');
    expect(() => perClassMetrics(confusion, ['a', 'a'])).toThrow('classNames: duplicate name "a"');
  });
});
