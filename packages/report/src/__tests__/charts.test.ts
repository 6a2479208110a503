import { describe, expect, it } from 'vitest';
import { aggregateGroup, groupRuns, learningCurveChart, metricRange } from '../index';
import { blinkRecord } from './fixtures';

type Row = { epoch: number; mean: number; low: number; high: number };

describe('learning curve bands', () => {
  it('are clipped to the values the metric can take', () => {
    expect(metricRange('validation.f1')).toEqual([0, 1]);
    expect(metricRange('training.loss')).toEqual([0, Number.POSITIVE_INFINITY]);
    expect(metricRange('validation.truePositives')).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    // Two seeds that disagree widely: the t-interval (t = 12.7 at 1 df) runs far past [0, 1].
    const records = [blinkRecord('unweighted', 1), blinkRecord('unweighted', 2)].map((record, i) => ({
      ...record,
      history: record.history.map((entry) => ({ ...entry, validation: { ...entry.validation, f1: i === 0 ? 0.05 : 0.95 } })),
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
