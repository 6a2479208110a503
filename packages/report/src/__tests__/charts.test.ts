import { describe, expect, it } from 'vitest';
import { aggregateGroup, groupRuns, learningCurveChart, metricRange } from '../index.js';
import { blinkRecord } from './fixtures.js';

interface Row {
  epoch: number;
  mean: number;
  low: number;
  high: number;
}

describe('learning curve bands', () => {
  it('are clipped to the values the metric can take', () => {
    expect(metricRange('validation.f1')).toEqual([0, 1]);
    expect(metricRange('training.loss')).toEqual([0, Number.POSITIVE_INFINITY]);
    expect(metricRange('validation.truePositives')).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    // Two seeds that disagree widely: the t-interval (t = 12.7 at 1 df) runs far past [0, 1].
    const records = [blinkRecord('unweighted', 1), blinkRecord('unweighted', 2)].map((record, i) => ({
      ...record,
      history: record.history.map((entry) => ({
        ...entry,
        validation: { ...entry.validation, f1: i === 0 ? 0.05 : 0.95 },
      })),
    }));
    const aggregates = groupRuns(records).map((group) => aggregateGroup(group));
    const spec = learningCurveChart('validation.f1', aggregates).spec as unknown as { data: { values: Row[] } };
    const rows = spec.data.values;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.mean).toBeCloseTo(0.5, 10);
      expect(row.low).toBe(0);
      expect(row.high).toBe(1);
    }
  });
});

describe('variant comparisons', () => {
  it('compare losses only between runs that define the same loss', async () => {
    const { compareGroups } = await import('../index.js');
    const sameLoss = (variant: 'unweighted' | 'class-weighted', seed: number) => {
      const record = blinkRecord(variant, seed);
      return { ...record, definition: { ...record.definition, loss: { kind: 'l1' } } };
    };
    const same = groupRuns(
      [1, 2, 3].flatMap((seed) => [sameLoss('unweighted', seed), sameLoss('class-weighted', seed)]),
    ).map((g) => aggregateGroup(g));
    expect(compareGroups(same).map((c) => c.metric)).toContain('loss');
    const different = groupRuns(
      [1, 2, 3].flatMap((seed) => [blinkRecord('unweighted', seed), blinkRecord('class-weighted', seed)]),
    ).map((g) => aggregateGroup(g));
    expect(compareGroups(different).map((c) => c.metric)).not.toContain('loss');
    expect(compareGroups(different).map((c) => c.metric)).toContain('f1');
  });
});

describe('latestRuns', () => {
  it('keeps, per variant, the newest settings and the newest run per seed', async () => {
    const { latestRuns } = await import('../node.js');
    const at = (
      record: ReturnType<typeof blinkRecord>,
      finishedAt: string,
      definitionHash = record.definitionHash,
    ) => ({
      ...record,
      definitionHash,
      timing: { ...record.timing, finishedAt },
    });
    const old = at(blinkRecord('unweighted', 1), '2026-01-01T00:00:00Z', 'f'.repeat(64)); // other settings
    const smokeThenFull = [
      at(blinkRecord('unweighted', 1), '2026-01-02T00:00:00Z'),
      at(blinkRecord('unweighted', 1), '2026-01-03T00:00:00Z'),
    ];
    const other = at(blinkRecord('unweighted', 2), '2026-01-02T12:00:00Z');
    const weighted = at(blinkRecord('class-weighted', 1), '2026-01-01T00:00:00Z');
    const { records, leftOut } = latestRuns([old, ...smokeThenFull, other, weighted]);
    expect(records).toEqual([smokeThenFull[1], other, weighted]);
    expect(leftOut).toBe(2);
  });
});
