import { describe, expect, it } from 'vitest';
import { aggregateGroup } from '../aggregate.js';
import { commitState, groupRuns } from '../groups.js';
import type { RunRecord } from '@losslab/schema';
import { blinkRecord } from './fixtures.js';

function withHistory(seed: number, losses: number[], commit = 'aaaaaaa1111', dirty = false): RunRecord {
  const base = blinkRecord('unweighted', seed);
  return {
    ...base,
    runId: `run-${seed}-${commit.slice(0, 3)}`,
    environment: { ...base.environment, git: { commit, dirty } },
    history: losses.map((loss, index) => ({
      epoch: index + 1,
      loss,
      seconds: seed,
      samplesPerSecond: 100 * seed,
      validation: { f1: loss / 2 },
    })),
  };
}

describe('groupRuns', () => {
  it('groups by variant in order of appearance, or by commit state / run for before-vs-after', () => {
    const records = [withHistory(1, [1]), withHistory(2, [1], 'bbbbbbb2222', true), blinkRecord('class-weighted', 1)];
    expect(groupRuns(records).map((group) => [group.label, group.records.length])).toEqual([
      ['unweighted', 2],
      ['class-weighted', 1],
    ]);
    expect(groupRuns(records, 'commit').map((group) => group.label)).toEqual([
      'unweighted @ aaaaaaa',
      'unweighted @ bbbbbbb*',
      'class-weighted @ 0123456',
    ]);
    expect(commitState(records[1]!)).toBe('bbbbbbb*');
    expect(groupRuns(records, 'run').map((group) => group.label)[0]).toBe('unweighted @ run-1-aaa');
    // auto: several commit states → by commit.
    expect(groupRuns(records, 'auto')[0]?.cohort).toBe('aaaaaaa');
  });

  it("keeps each group's records in seed order whatever order the runs arrived in", () => {
    // With --jobs the records come in the order the runs finished; statistics over a group (its
    // resampled intervals) must see the same order every time.
    const arrived = [withHistory(2, [1]), withHistory(0, [1]), withHistory(1, [1]), withHistory(0, [1], 'bbbbbbb2222')];
    const [group] = groupRuns(arrived);
    expect(group?.records.map((record) => record.runId)).toEqual(['run-0-aaa', 'run-0-bbb', 'run-1-aaa', 'run-2-aaa']);
    expect(groupRuns([...arrived].reverse())[0]?.records).toEqual(group?.records);
  });
});

describe('aggregateGroup', () => {
  it('summarizes per-epoch curves over the seeds that have each epoch', () => {
    // Epoch 1: losses [1, 3] → mean 2, sd √2; epoch 2: [2, 4] → mean 3; epoch 3: only seed 2 → [5].
    const group = groupRuns([withHistory(1, [1, 2]), withHistory(2, [3, 4, 5])])[0]!;
    const aggregate = aggregateGroup(group);
    const loss = aggregate.curves['training.loss']!;
    expect(loss.map((point) => [point.epoch, point.summary.n, point.summary.mean])).toEqual([
      [1, 2, 2],
      [2, 2, 3],
      [3, 1, 5],
    ]);
    expect(loss[0]?.summary.sd).toBeCloseTo(Math.SQRT2, 12);
    // Two values: CI = mean ± t_{0.975,1} · sd/√2 = 2 ± 12.7062 · 1 = [−10.706, 14.706]; a loss is
    // never negative, so the interval is clipped to [0, 14.706].
    expect(loss[0]?.summary.ci?.[0]).toBe(0);
    expect(loss[0]?.summary.ci?.[1]).toBeCloseTo(2 + 12.706204736174705, 8);
    expect(aggregate.curves['validation.f1']?.[1]?.summary.mean).toBe(1.5);
    // Timing: seconds per epoch are 1 and 2 → mean 1.5; samples per second 100 and 200 → 150.
    expect(aggregate.timing.secondsPerEpoch?.mean).toBe(1.5);
    expect(aggregate.timing.samplesPerSecond?.mean).toBe(150);
    expect(aggregate.seeds).toEqual([1, 2]);
  });

  it('summarizes final metrics and group accuracies and keeps the per-seed values', () => {
    const records = [1, 2].map((seed) => ({
      ...blinkRecord('unweighted', seed),
      evaluation: {
        split: 'test',
        size: 4,
        metrics: { accuracy: 0.5 * seed },
        groups: [{ name: 'even', size: 2, accuracy: seed / 4, confusion: [], trueCounts: [], predictedCounts: [] }],
      },
    }));
    const aggregate = aggregateGroup(groupRuns(records)[0]!);
    expect(aggregate.finalValues).toEqual({ accuracy: [0.5, 1], 'even.accuracy': [0.25, 0.5] });
    expect(aggregate.final.accuracy?.mean).toBe(0.75);
    expect(aggregate.final['even.accuracy']?.max).toBe(0.5);
  });
});

describe('group accuracies in the final metrics', () => {
  it('are listed for groups smaller than the split, not for one that repeats the overall accuracy', () => {
    const record = blinkRecord('unweighted', 1);
    const whole = {
      name: 'test',
      size: record.evaluation.size,
      accuracy: 0.9,
      confusion: [[1]],
      trueCounts: [1],
      predictedCounts: [1],
    };
    const part = { ...whole, name: 'even', size: record.evaluation.size - 1 };
    const withGroups = {
      ...record,
      evaluation: {
        ...record.evaluation,
        metrics: { ...record.evaluation.metrics, accuracy: 0.9 },
        groups: [whole, part],
      },
    };
    const [aggregate] = groupRuns([withGroups]).map((group) => aggregateGroup(group));
    expect(Object.keys(aggregate!.final)).toContain('even.accuracy');
    expect(Object.keys(aggregate!.final)).not.toContain('test.accuracy');
  });
});
