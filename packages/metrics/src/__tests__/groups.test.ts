import { labelLayout } from '@losslab/runtime';
import { describe, expect, it } from 'vitest';
import { evaluateGroups, groupByClass, groupByPredicate } from '../index.js';

// Six samples of a 4-class problem (digits 0..3): parity groups even = {0, 2}, odd = {1, 3}.
const trueClasses = [0, 1, 2, 3, 2, 1];
const predicted = [1, 1, 3, 3, 2, 1];

describe('evaluateGroups', () => {
  it('evaluates each group by hand-checked counts', () => {
    const groups = groupByClass(trueClasses, { even: (c) => c % 2 === 0, odd: (c) => c % 2 === 1 });
    const [even, odd] = evaluateGroups(trueClasses, predicted, groups, 4);
    // even samples: indices 0, 2, 4 with (true, pred) = (0,1) (2,3) (2,2): 1 of 3 correct
    expect(even).toEqual({
      name: 'even',
      size: 3,
      accuracy: 1 / 3,
      confusion: [
        [0, 1, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 0, 0],
      ],
      trueCounts: [1, 0, 2, 0],
      predictedCounts: [0, 1, 1, 1],
    });
    // odd samples: indices 1, 3, 5, all correct
    expect(odd!.size).toBe(3);
    expect(odd!.accuracy).toBe(1);
    expect(odd!.trueCounts).toEqual([0, 2, 0, 1]);
    expect(odd!.predictedCounts).toEqual([0, 2, 0, 1]);
  });

  it('accepts one group id per sample (-1 = no group) and gives the same result', () => {
    const byIds = evaluateGroups(trueClasses, predicted, { names: ['even', 'odd'], ids: [0, 1, 0, 1, 0, 1] }, 4);
    const byTests = evaluateGroups(
      trueClasses,
      predicted,
      groupByClass(trueClasses, { even: (c) => c % 2 === 0, odd: (c) => c % 2 === 1 }),
      4,
    );
    expect(byIds).toEqual(byTests);
    const partial = evaluateGroups(trueClasses, predicted, { names: ['first'], ids: [0, -1, -1, -1, -1, -1] }, 4);
    expect(partial[0]!.size).toBe(1);
  });

  it('allows overlapping groups and gives an empty group size 0 and accuracy 0', () => {
    const [all, none] = evaluateGroups(
      trueClasses,
      predicted,
      [
        { name: 'all', member: () => true },
        { name: 'none', member: () => false },
      ],
      4,
    );
    expect(all!.size).toBe(6);
    expect(all!.accuracy).toBe(4 / 6);
    expect(none).toEqual({
      name: 'none',
      size: 0,
      accuracy: 0,
      confusion: [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
      trueCounts: [0, 0, 0, 0],
      predictedCounts: [0, 0, 0, 0],
    });
  });

  it('rejects duplicate names, bad ids and mismatched lengths', () => {
    const g = { name: 'a', member: () => true };
    expect(() => evaluateGroups([0], [0], [g, g], 2)).toThrow('groups: duplicate group name "a"');
    expect(() => evaluateGroups([0, 1], [0, 1], { names: ['a'], ids: [0, 1] }, 2)).toThrow(
      'groups.ids[1]: expected -1 or an integer in [0, 1), got 1',
    );
    expect(() => evaluateGroups([0, 1], [0, 1], { names: ['a'], ids: [0] }, 2)).toThrow(
      'groups.ids: expected 2 values (the length of trueClasses), got 1',
    );
  });
});

describe('groupByPredicate', () => {
  const layout = labelLayout({ digit: 4, isOdd: 1 });
  // rows: one-hot digit (4 columns) + isOdd flag; digits 0, 1, 2, 3, 2, 1 as above
  const labels = new Float32Array(trueClasses.flatMap((d) => [...[0, 1, 2, 3].map((c) => (c === d ? 1 : 0)), d % 2]));

  it('groups mnist-odd style by the isOdd flag or by the argMax of the digit block, identically', () => {
    const byFlag = groupByPredicate(labels, layout, 'isOdd', { even: { equals: 0 }, odd: { equals: 1 } });
    const byDigit = groupByPredicate(labels, layout, 'digit', {
      even: { argMaxIn: [0, 2] },
      odd: { argMaxIn: [1, 3] },
    });
    const byFunction = groupByPredicate(labels, layout, 'isOdd', {
      even: (v) => v[0]! < 0.5,
      odd: (v) => v[0]! >= 0.5,
    });
    const byThreshold = groupByPredicate(labels, layout, 'isOdd', { odd: { atLeast: 0.5 } });
    const members = (groups: ReturnType<typeof groupByPredicate>) =>
      groups.map((g) => ({ name: g.name, members: trueClasses.map((_, i) => i).filter(g.member) }));
    const expected = [
      { name: 'even', members: [0, 2, 4] },
      { name: 'odd', members: [1, 3, 5] },
    ];
    expect(members(byFlag)).toEqual(expected);
    expect(members(byDigit)).toEqual(expected);
    expect(members(byFunction)).toEqual(expected);
    expect(members(byThreshold)).toEqual([expected[1]]);
    expect(evaluateGroups(trueClasses, predicted, byFlag, 4)[0]!.accuracy).toBe(1 / 3);
  });

  it('names the block, the group and the width on errors', () => {
    expect(() => groupByPredicate(labels, layout, 'parity', {})).toThrow('label block "parity" is not in the layout');
    expect(() => groupByPredicate(labels, layout, 'digit', { odd: { equals: 1 } })).toThrow(
      'groups.odd: equals needs a block of width 1, got width 4',
    );
    expect(() => groupByPredicate(labels.subarray(1), layout, 'digit', {})).toThrow(
      'labels: expected a multiple of the layout width 5 values, got 29',
    );
  });
});
