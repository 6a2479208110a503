import { describe, expect, it } from 'vitest';
import { headlineMetrics } from '../compare.js';
import { DATA_METRICS, metricTitle, sortMetrics } from '../metrics.js';
import type { GroupAggregate } from '../aggregate.js';

describe('post-hoc adjusted metrics in the report', () => {
  it('each adjusted metric sits right after its unadjusted one, with a readable title', () => {
    expect(
      sortMetrics([
        'adjusted.balancedAccuracy',
        'loss',
        'adjusted.tau',
        'balancedAccuracy',
        'adjusted.accuracy',
        'accuracy',
      ]),
    ).toEqual([
      'accuracy',
      'adjusted.accuracy',
      'balancedAccuracy',
      'adjusted.balancedAccuracy',
      'loss',
      'adjusted.tau',
    ]);
    expect(metricTitle('adjusted.balancedAccuracy')).toBe('adjusted balanced accuracy');
    expect(metricTitle('adjusted.tau')).toBe('adjusted τ');
  });

  it('compares the adjusted metrics between variants, never the τ (a setting)', () => {
    expect(DATA_METRICS.has('adjusted.tau')).toBe(true);
    const summary = { mean: 0.5, sd: 0, n: 1, ci: [0.5, 0.5] as const, values: [0.5] };
    const final = { accuracy: summary, 'adjusted.accuracy': summary, 'adjusted.tau': summary };
    const aggregate = { final } as unknown as GroupAggregate;
    expect(headlineMetrics([aggregate, aggregate])).toEqual(['accuracy', 'adjusted.accuracy']);
  });
});
