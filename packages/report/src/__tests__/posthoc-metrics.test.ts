import { describe, expect, it } from 'vitest';
import { headlineMetrics } from '../compare.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import { classRecord } from './fixtures.js';
import { DATA_METRICS, metricRange, metricTitle, sortMetrics } from '../metrics.js';
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
    // τ ≥ 0: its interval is clipped there
    expect(metricRange('adjusted.tau')).toEqual([0, Number.POSITIVE_INFINITY]);
  });

  it('compares the adjusted metrics between variants, never the τ (a setting)', () => {
    expect(DATA_METRICS.has('adjusted.tau')).toBe(true);
    const summary = { mean: 0.5, sd: 0, n: 1, ci: [0.5, 0.5] as const, values: [0.5] };
    const final = { accuracy: summary, 'adjusted.accuracy': summary, 'adjusted.tau': summary };
    const aggregate = { final } as unknown as GroupAggregate;
    expect(headlineMetrics([aggregate, aggregate])).toEqual(['accuracy', 'adjusted.accuracy']);
  });

  it('a report of records with adjusted metrics shows each under its plain one, and records without them still report', async () => {
    const adjustedRecord = (variant: string, seed: number) => {
      const record = classRecord(variant, seed);
      const metrics = record.evaluation.metrics;
      return {
        ...record,
        evaluation: {
          ...record.evaluation,
          metrics: {
            ...metrics,
            'adjusted.accuracy': metrics.accuracy! + 0.01 * seed,
            'adjusted.balancedAccuracy': metrics.balancedAccuracy! + 0.02,
            'adjusted.tau': 1,
          },
        },
      };
    };
    const records = [1, 2, 3].flatMap((seed) => ['ce', 'focal'].map((variant) => adjustedRecord(variant, seed)));
    const markdown = renderMarkdown(await buildReport(records));
    const rows = markdown.split('\n').filter((line) => line.startsWith('| '));
    const index = (title: string) => rows.findIndex((line) => line.startsWith(`| ${title} |`));
    expect(index('adjusted accuracy')).toBe(index('accuracy') + 1);
    expect(index('adjusted balanced accuracy')).toBe(index('balanced accuracy') + 1);
    expect(index('adjusted τ')).toBeGreaterThan(0);
    // records written before adjustment existed report as before
    expect(renderMarkdown(await buildReport([classRecord('ce', 1)]))).not.toMatch(/\| adjusted /);
  });
});
