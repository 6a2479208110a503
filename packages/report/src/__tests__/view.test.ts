import { describe, expect, it } from 'vitest';
import { reportView } from '../view.js';
import { blinkRecord, mnistRecord } from './fixtures.js';

describe('reportView: the records grouped once, per experiment', () => {
  // Two experiments, their records interleaved; blink's second run records report settings.
  const records = [
    blinkRecord('unweighted', 1),
    mnistRecord(1),
    blinkRecord('class-weighted', 1),
    { ...blinkRecord('unweighted', 2), report: { alpha: 0.01 } },
    mnistRecord(2),
  ];
  const view = reportView(records, 'variant');

  it('keeps every group in order of first appearance, each with its own aggregate', () => {
    expect(view.groups.map(({ group }) => group.label)).toEqual([
      'blink/unweighted',
      'mnist-odd/masked',
      'blink/class-weighted',
    ]);
    for (const { group, aggregate } of view.groups) {
      expect(aggregate.label).toBe(group.label);
      expect(aggregate.runIds).toEqual(group.records.map((record) => record.runId));
    }
    expect(view.groups[0]?.aggregate.seeds).toEqual([1, 2]);
  });

  it('gives each experiment its groups, claims, settings and reference, read once', () => {
    expect(view.experiments.map((experiment) => experiment.experiment)).toEqual(['blink', 'mnist-odd']);
    const [blink, mnist] = view.experiments;
    expect(blink?.groups.map(({ group }) => group.variant)).toEqual(['unweighted', 'class-weighted']);
    expect(blink?.records).toHaveLength(3);
    expect(blink?.claims).toEqual(blinkRecord('unweighted', 1).claims);
    expect(blink?.settings).toEqual({ alpha: 0.01 });
    expect(blink?.reference).toBeUndefined();
    expect(mnist?.groups.map(({ group }) => group.variant)).toEqual(['masked']);
    expect(mnist?.claims.map((claim) => claim.kind === 'threshold' && claim.group)).toEqual(['even', 'odd']);
    expect(mnist?.settings).toBeUndefined();
    expect(mnist?.reference?.source).toBe('Keras');
  });

  it('chooses the primary metrics per experiment, the declared ones first', () => {
    const declared = reportView(records, 'variant', [{ metric: 'f1' }]);
    expect(declared.experiments[0]?.primary.map((choice) => [choice.metric, choice.source])).toEqual([
      ['f1', 'declared'],
    ]);
    // mnist-odd's definition has no evaluation kind and no report.primary: accuracy by default.
    expect(view.experiments[1]?.primary.map((choice) => choice.metric)).toEqual(['accuracy']);
  });
});
