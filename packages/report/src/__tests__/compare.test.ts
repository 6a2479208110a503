import { describe, expect, it } from 'vitest';
import { aggregateGroup } from '../aggregate.js';
import { compareGroups, describeComparison, headlineMetrics } from '../compare.js';
import { groupRuns } from '../groups.js';
import { finalMetricsNotes } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import type { RunRecord } from '@losslab/schema';
import { welchTest } from '../stats.js';
import { blinkRecord } from './fixtures.js';

function withMetrics(
  variant: 'unweighted' | 'class-weighted',
  seed: number,
  metrics: Record<string, number>,
): RunRecord {
  return { ...blinkRecord(variant, seed), evaluation: { split: 'test', size: 10, metrics } };
}

describe('variant comparison', () => {
  it('reports difference, Welch CI and p in plain words when the seeds differ', () => {
    // f1: class-weighted [2, 4, 6, 8, 10] vs unweighted [1, 2, 3, 4, 5] (scaled by 0.1):
    // difference 0.3, se = 0.1·√2.5, df = 5.882, p = 0.1075 (the textbook pair, sign flipped).
    // Seeds 1–5 against 11–15: nothing to pair, so Welch.
    const records = [1, 2, 3, 4, 5].flatMap((seed) => [
      withMetrics('unweighted', seed, { f1: 0.1 * seed, majorityAccuracy: 0.9 }),
      withMetrics('class-weighted', seed + 10, { f1: 0.2 * seed, majorityAccuracy: 0.9 }),
    ]);
    const aggregates = groupRuns(records).map((group) => aggregateGroup(group));
    const comparisons = compareGroups(aggregates, { baseline: 'unweighted' });
    expect(comparisons.map((comparison) => comparison.metric)).toEqual(['f1']); // majorityAccuracy describes the data
    const [f1] = comparisons;
    expect(f1?.test.p).toBeCloseTo(0.10753119493062728, 9);
    // CI: 0.3 ± 2.458824 · 0.1581139 = [−0.0888, 0.6888].
    // g: pooled variance (4·0.1 + 4·0.025)/8 = 0.0625 → sd 0.25; d = 1.2; J = 1 − 3/31 → g = 1.0839.
    // One comparison in its family: p_adj = p. Power is driven by the uncorrected d = 0.3/0.25 = 1.2:
    // two samples need 12 seeds (noncentral t, computed independently: n = 11 gives 0.7633, 12 gives 0.8021).
    expect(f1?.test.method).toBe('welch');
    expect(f1?.effectSize).toBeCloseTo(1.083871, 6);
    expect(f1?.sentence).toBe(
      'class-weighted vs unweighted: f1 +0.300 [-0.089, +0.689], g = +1.08, p = 0.108, p_adj = 0.108, Welch, 5 seeds each; 12 seeds per variant would detect a difference of this size with 80% power (α = 0.05)',
    );
  });

  it('pairs runs by seed when both variants ran the same seeds', () => {
    // Same seeds 1–5: per-seed differences 0.1·seed = [0.1 … 0.5], mean 0.3, sd 0.1581139;
    // t = 0.3 / (0.1581139/√5) = 4.24264, df 4, p = 0.013236 (numeric integration of the t₄ density).
    const records = [1, 2, 3, 4, 5].flatMap((seed) => [
      withMetrics('unweighted', seed, { f1: 0.1 * seed }),
      withMetrics('class-weighted', seed, { f1: 0.2 * seed }),
    ]);
    const aggregates = groupRuns(records).map((group) => aggregateGroup(group));
    const [f1] = compareGroups(aggregates, { baseline: 'unweighted' });
    expect(f1?.test.method).toBe('paired');
    expect(f1?.test.df).toBe(4);
    expect(f1?.test.t).toBeCloseTo(4.24264, 4);
    expect(f1?.test.p).toBeCloseTo(0.013236, 5);
    expect(f1?.sentence).toContain('p = 0.013, p_adj = 0.013, paired t-test, 5 seeds each');
    expect(f1?.advice).toBeNull();
  });

  it('pairs by seed whatever order the runs of each variant come in', () => {
    // The pairs of the test above, the baseline's runs listed from seed 5 down: same t = 4.24264.
    const records = [
      ...[5, 4, 3, 2, 1].map((seed) => withMetrics('unweighted', seed, { f1: 0.1 * seed })),
      ...[1, 2, 3, 4, 5].map((seed) => withMetrics('class-weighted', seed, { f1: 0.2 * seed })),
    ];
    const aggregates = groupRuns(records).map((group) => aggregateGroup(group));
    const [f1] = compareGroups(aggregates, { baseline: 'unweighted' });
    expect(f1?.test.method).toBe('paired');
    expect(f1?.values.map((value) => value.toFixed(1))).toEqual(['0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(f1?.baselineValues.map((value) => value.toFixed(1))).toEqual(['0.1', '0.2', '0.3', '0.4', '0.5']);
    expect(f1?.test.t).toBeCloseTo(4.24264, 4);
  });

  it('uses Welch when a seed repeats on one side, even if the seed sets match in size', () => {
    // class-weighted seeds [1, 2, 3], unweighted [1, 1, 2]: not the same seeds each once.
    const records = [
      withMetrics('class-weighted', 1, { f1: 0.5 }),
      withMetrics('class-weighted', 2, { f1: 0.6 }),
      withMetrics('class-weighted', 3, { f1: 0.7 }),
      { ...withMetrics('unweighted', 1, { f1: 0.1 }), runId: 'u1a' },
      { ...withMetrics('unweighted', 1, { f1: 0.2 }), runId: 'u1b' },
      withMetrics('unweighted', 2, { f1: 0.3 }),
    ];
    const aggregates = groupRuns(records).map((group) => aggregateGroup(group));
    const [f1] = compareGroups(aggregates, { baseline: 'unweighted' });
    expect(f1?.test.method).toBe('welch');
    // 0.6 − 0.2, both sd 0.1: se = 0.1·√(2/3), t = 0.4 / 0.0816497 = 4.898979.
    expect(f1?.test.t).toBeCloseTo(4.898979, 5);
  });

  it('with one seed per variant says that no significance can be claimed', () => {
    const test = welchTest([0.91], [0.7]);
    expect(describeComparison('class-weighted', 'unweighted', 'f1', test)).toBe(
      'class-weighted vs unweighted: f1 +0.210, 1 seed each: no significance can be claimed (a test needs at least 2 seeds per variant)',
    );
  });

  it('with identical values across seeds says that no significance can be claimed', () => {
    const test = welchTest([0.9, 0.9, 0.9], [0.8, 0.8]);
    expect(describeComparison('a', 'b', 'accuracy', test)).toBe(
      'a vs b: accuracy +0.100, 3 vs 2 seeds, identical values across seeds: no significance can be claimed',
    );
  });

  it('orders headline metrics and compares every group with the default baseline (the first)', () => {
    const records = [
      withMetrics('unweighted', 1, { loss: 1, zeta: 1, accuracy: 1, f1: 1 }),
      withMetrics('class-weighted', 1, { loss: 1, accuracy: 1, f1: 1 }),
    ];
    const aggregates = groupRuns(records).map((group) => aggregateGroup(group));
    expect(headlineMetrics(aggregates)).toEqual(['accuracy', 'f1', 'loss']);
    expect(compareGroups(aggregates).map(({ label, baseline, metric }) => [label, baseline, metric])).toEqual([
      ['class-weighted', 'unweighted', 'accuracy'],
      ['class-weighted', 'unweighted', 'f1'],
    ]);
    expect(() => compareGroups(aggregates, { baseline: 'nope' })).toThrow(
      /baseline: expected one of unweighted, class-weighted/,
    );
  });
});

describe('losses of different definitions or reductions (item 9)', () => {
  /** Same loss definition for both variants; only `train.reduction` may differ. */
  function withReduction(
    variant: 'unweighted' | 'class-weighted',
    seed: number,
    reduction: string | undefined,
  ): RunRecord {
    const base = withMetrics(variant, seed, {
      loss: 0.1 * seed + (variant === 'unweighted' ? 0 : 0.5),
      f1: 0.1 * seed,
    });
    return {
      ...base,
      definition: { loss: { kind: 'l1' }, train: { epochs: 3, ...(reduction === undefined ? {} : { reduction }) } },
      history: base.history.slice(0, 3),
    };
  }
  const records = (reductions: [string | undefined, string | undefined]) =>
    [1, 2, 3].flatMap((seed) => [
      withReduction('unweighted', seed, reductions[0]),
      withReduction('class-weighted', seed, reductions[1]),
    ]);

  it('compares losses of the same definition and reduction (absent means sumOverBatchSize)', async () => {
    const model = await buildReport(records([undefined, 'sumOverBatchSize']), { baseline: 'unweighted' });
    expect(model.comparisons.map((comparison) => comparison.metric)).toEqual(['f1', 'loss']);
    // loss: [0.6, 0.7, 0.8] vs [0.1, 0.2, 0.3]: difference 0.5, both sd 0.1 → se = 0.1·√(2/3).
    expect(model.comparisons[1]?.test.difference).toBeCloseTo(0.5, 12);
    expect(model.lossNotes).toEqual([]);
    expect(finalMetricsNotes(model)).toEqual([
      'Bold: the best mean of each metric among the variants (highest; lowest for a loss).',
    ]);
  });

  it('does not compare losses of different reductions and says why', async () => {
    const model = await buildReport(records(['sumOverBatchSize', 'sumOverWeights']), { baseline: 'unweighted' });
    expect(model.comparisons.map((comparison) => comparison.metric)).toEqual(['f1']);
    expect(model.lossNotes).toEqual([
      'class-weighted vs unweighted: loss not compared: the losses are reduced differently (sumOverWeights vs sumOverBatchSize), so they are on different scales',
    ]);
    expect(finalMetricsNotes(model)).toEqual([
      'Bold: the best mean of each metric among the variants (highest; lowest for a loss).',
      'The loss row is not comparable across columns, and none of it is bold: reductions differ (unweighted: sumOverBatchSize; class-weighted: sumOverWeights).',
    ]);
    const curve = model.charts.find((chart) => chart.id === 'curve-training-loss');
    expect(curve?.description).toContain(
      'Not comparable across variants: reductions differ (unweighted: sumOverBatchSize; class-weighted: sumOverWeights).',
    );
    const markdown = renderMarkdown(model);
    expect(markdown).toContain(
      '- class-weighted vs unweighted: loss not compared: the losses are reduced differently (sumOverWeights vs sumOverBatchSize), so they are on different scales',
    );
    expect(markdown).toContain(
      'The loss row is not comparable across columns, and none of it is bold: reductions differ (unweighted: sumOverBatchSize; class-weighted: sumOverWeights).',
    );
  });

  it('says so for different loss definitions too', async () => {
    const model = await buildReport(
      [1, 2].flatMap((seed) => [blinkRecord('unweighted', seed), blinkRecord('class-weighted', seed)]),
    );
    expect(model.comparisons.some((comparison) => comparison.metric === 'loss')).toBe(false);
    expect(model.lossNotes).toEqual([
      'class-weighted vs unweighted: loss not compared: the loss definitions differ, so the losses are on different scales',
    ]);
    expect(finalMetricsNotes(model)).toEqual([
      'Bold: the best mean of each metric among the variants (highest; lowest for a loss).',
      'The loss row is not comparable across columns, and none of it is bold: loss definitions differ.',
    ]);
  });
});
