import { describe, expect, it } from 'vitest';
import { aggregateGroup } from '../aggregate.js';
import { epochSummaries } from '../epochs.js';
import { groupRuns } from '../groups.js';
import type { RunRecord } from '@losslab/schema';
import { blinkRecord } from './fixtures.js';

/** A run whose history is exactly these per-epoch training losses and validation F1s. */
function run(
  variant: string,
  seed: number,
  losses: number[],
  f1s: number[],
  loss: unknown = { kind: 'l1' },
): RunRecord {
  const base = blinkRecord('unweighted', seed);
  return {
    ...base,
    runId: `r-${variant}-${seed}`,
    variant,
    definition: { loss },
    history: losses.map((value, index) => ({
      epoch: index + 1,
      loss: value,
      seconds: 1,
      samplesPerSecond: 100,
      validation: { f1: f1s[index] ?? 0 },
    })),
  };
}

describe('summaries beyond the last epoch', () => {
  // a: F1 seeds [0.2, 0.6, 0.8, 0.7] and [0.4, 0.6, 0.9, 0.9] → mean [0.3, 0.6, 0.85, 0.8]: best 0.85 at 3.
  // b: F1 seeds [0.1, 0.3, 0.5, 0.6] and [0.1, 0.5, 0.5, 0.7] → mean [0.1, 0.4, 0.5, 0.65]: best 0.65 at 4.
  // Shared target = the worse best = 0.65: a first reaches ≥ 0.65 at epoch 3 (0.6 < 0.65 at 2), b at 4.
  // Loss (same definition): a [1, 0.5, 0.4, 0.45] → best 0.4 at 3; b [1, 0.8, 0.6, 0.5] → best 0.5 at 4;
  // target = the worse best = 0.5: a reaches ≤ 0.5 at epoch 2, b at 4.
  const records = [
    run('a', 0, [1, 0.5, 0.4, 0.45], [0.2, 0.6, 0.8, 0.7]),
    run('a', 1, [1, 0.5, 0.4, 0.45], [0.4, 0.6, 0.9, 0.9]),
    run('b', 0, [1, 0.8, 0.6, 0.5], [0.1, 0.3, 0.5, 0.6]),
    run('b', 1, [1, 0.8, 0.6, 0.5], [0.1, 0.5, 0.5, 0.7]),
  ];

  it('gives the best value, its epoch, the final value and the epoch reaching a shared target', () => {
    const summaries = epochSummaries(groupRuns(records).map((group) => aggregateGroup(group)));
    const f1 = summaries.find((summary) => summary.key === 'validation.f1');
    expect(f1?.direction).toBe('higher');
    expect(f1?.target).toBeCloseTo(0.65, 12);
    expect(f1?.variants.map((v) => [v.label, v.bestEpoch, v.epochToTarget, v.epochs])).toEqual([
      ['a', 3, 3, 4],
      ['b', 4, 4, 4],
    ]);
    expect(f1?.variants[0]?.best).toBeCloseTo(0.85, 12);
    expect(f1?.variants[0]?.final).toBeCloseTo(0.8, 12);
    const loss = summaries.find((summary) => summary.key === 'training.loss');
    expect(loss?.direction).toBe('lower');
    expect(loss?.target).toBe(0.5);
    expect(loss?.variants.map((v) => [v.label, v.best, v.bestEpoch, v.epochToTarget])).toEqual([
      ['a', 0.4, 3, 2],
      ['b', 0.5, 4, 4],
    ]);
  });

  it('sets no shared target between losses of different definitions', () => {
    const mixed = [
      records[0]!,
      records[1]!,
      ...records.slice(2).map((record) => ({ ...record, definition: { loss: { kind: 'weighted' } } })),
    ];
    const loss = epochSummaries(groupRuns(mixed).map((group) => aggregateGroup(group))).find(
      (summary) => summary.key === 'training.loss',
    );
    expect(loss?.target).toBeNull();
    expect(loss?.noTarget).toBe('loss definitions differ');
    expect(loss?.variants.every((variant) => variant.epochToTarget === null)).toBe(true);
  });
});
