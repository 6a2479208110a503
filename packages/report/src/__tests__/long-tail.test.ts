import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { formatErrors, ReportSettings, RunRecord, type ComputedClassWeights } from '@losslab/schema';
import { likeWithLike } from '../context.js';
import { groupRuns } from '../groups.js';
import { classGroupAccuracies, groupClasses } from '../long-tail.js';
import { renderHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import { trainingDataTables } from '../training.js';
import { reportView } from '../view.js';
import { blinkRecord } from './fixtures.js';

/** Training counts of six classes, most frequent first: terciles head {0, 1}, medium {2, 3}, tail {4, 5}. */
const COUNTS = [500, 300, 120, 60, 30, 10];
/** Test samples per class (rising, unlike the training counts) and the correctly classified ones. */
const SUPPORT = [10, 20, 30, 40, 50, 60];
const CORRECT = [9, 18, 24, 20, 10, 6];

interface Options {
  readonly counts?: readonly number[];
  readonly correct?: readonly number[];
  readonly weights?: readonly ComputedClassWeights[];
  readonly fingerprint?: Record<string, string>;
  readonly report?: RunRecord['report'];
}

/** A classification run on six classes: confusion row c holds CORRECT[c] on the diagonal, the rest in class c + 1. */
function ltRecord(variant: string, seed: number, options: Options = {}): RunRecord {
  const correct = options.correct ?? CORRECT;
  const k = SUPPORT.length;
  const confusion = SUPPORT.map((support, truth) => {
    const row = Array.from({ length: k }, () => 0);
    row[truth] = correct[truth] ?? 0;
    row[(truth + 1) % k] = support - (correct[truth] ?? 0);
    return row;
  });
  const predicted = SUPPORT.map((_, c) => confusion.reduce((sum, row) => sum + (row[c] ?? 0), 0));
  const perClass = SUPPORT.map((support, c) => {
    const recall = (correct[c] ?? 0) / support;
    const precision = (correct[c] ?? 0) / (predicted[c] ?? 1);
    return {
      name: `c${c}`,
      support,
      predicted: predicted[c] ?? 0,
      precision,
      recall,
      f1: (2 * precision * recall) / (precision + recall),
    };
  });
  const size = SUPPORT.reduce((a, b) => a + b, 0);
  const total = correct.reduce((a, b) => a + b, 0);
  return {
    ...blinkRecord('unweighted', seed),
    runId: `r-${variant}-s${seed}`,
    experiment: 'lt',
    variant,
    definition: { loss: { kind: variant }, train: { epochs: 14 }, evaluation: { kind: 'classification', target: 'y' } },
    definitionHash: variant.padEnd(64, '0'),
    dataFingerprint: options.fingerprint ?? { 'train.drawn': `draw-of-seed-${seed}`.padEnd(64, '0') },
    evaluation: {
      split: 'test',
      size,
      metrics: {
        accuracy: total / size,
        balancedAccuracy: perClass.reduce((sum, entry) => sum + entry.recall, 0) / k,
        macroF1: perClass.reduce((sum, entry) => sum + entry.f1, 0) / k,
      },
      classNames: perClass.map((entry) => entry.name),
      perClass,
      confusion,
    },
    training: {
      classCounts: { y: [...(options.counts ?? COUNTS)] },
      ...(options.weights === undefined ? {} : { classWeights: [...options.weights] }),
    },
    ...(options.report === undefined ? {} : { report: options.report }),
    claims: [],
  };
}

describe('head, medium and tail classes', () => {
  it('terciles of the training counts: the most frequent third is head, the least frequent third tail', () => {
    expect(groupClasses(COUNTS)).toMatchObject({ head: [0, 1], medium: [2, 3], tail: [4, 5] });
    // ten classes: 3 / 4 / 3; classes out of count order and a tie (broken by class index)
    expect(groupClasses([5, 90, 40, 7, 300, 12, 12, 60, 2, 150])).toMatchObject({
      head: [1, 4, 9],
      medium: [2, 5, 6, 7],
      tail: [0, 3, 8],
    });
  });

  it('declared bounds: head has more than headAbove rows, tail fewer than tailBelow, the bounds themselves are medium', () => {
    const grouping = groupClasses([150, 101, 100, 20, 19, 3], { headAbove: 100, tailBelow: 20 });
    expect(grouping).toMatchObject({ head: [0, 1], medium: [2, 3], tail: [4, 5] });
    expect(grouping.rule).toBe('declared: head > 100 training rows, tail < 20');
  });

  it('group accuracy pools the samples of the group, grouped by TRAINING counts (not test support)', () => {
    // head {0, 1}: (9 + 18) / (10 + 20); medium {2, 3}: (24 + 20) / (30 + 40); tail {4, 5}: (10 + 6) / (50 + 60)
    const accuracies = classGroupAccuracies(ltRecord('ce', 0));
    expect(accuracies.headAccuracy).toBeCloseTo(27 / 30, 12);
    expect(accuracies.mediumAccuracy).toBeCloseTo(44 / 70, 12);
    // the mean of the two recalls would be 0.15
    expect(accuracies.tailAccuracy).toBeCloseTo(16 / 110, 12);
  });

  it('only for long-tailed training data (max ≥ 10 · min), unless the definition declares the groups', () => {
    const mild = [100, 90, 80, 70, 60, 11];
    expect(classGroupAccuracies(ltRecord('ce', 0, { counts: mild }))).toEqual({});
    const declared = ltRecord('ce', 0, { counts: mild, report: { classGroups: { headAbove: 85, tailBelow: 65 } } });
    // head {0, 1}: 27/30; medium {2, 3}: 44/70; tail {4, 5}: 16/110
    expect(classGroupAccuracies(declared).headAccuracy).toBeCloseTo(27 / 30, 12);
    expect(classGroupAccuracies(declared).tailAccuracy).toBeCloseTo(16 / 110, 12);
    // a record without training counts (written before they were recorded) has none
    const { training: _dropped, ...old } = ltRecord('ce', 0);
    expect(classGroupAccuracies(old)).toEqual({});
  });

  it('report settings reject bounds where a class could be both head and tail; records without training decode', () => {
    const bad = ReportSettings.decode({ classGroups: { headAbove: 10, tailBelow: 20 } });
    expect(E.isLeft(bad) && formatErrors(bad.left)).toEqual([
      'classGroups.tailBelow: expected at most headAbove (10), so no class is both head and tail, got 20',
    ]);
    expect(E.isRight(ReportSettings.decode({ classGroups: { headAbove: 100, tailBelow: 20 } }))).toBe(true);
    const { training: _dropped, ...old } = ltRecord('ce', 0);
    expect(E.isRight(RunRecord.decode(JSON.parse(JSON.stringify(old))))).toBe(true);
    expect(E.isRight(RunRecord.decode(JSON.parse(JSON.stringify(ltRecord('ce', 0)))))).toBe(true);
  });
});

describe('the report of a long-tailed study', () => {
  const balanced: ComputedClassWeights = {
    block: 'y',
    strategy: '{"kind":"balanced"}',
    weights: COUNTS.map((n) => 1020 / (6 * n)),
  };
  const claim = { kind: 'threshold' as const, metric: 'tailAccuracy', op: '>=' as const, value: 0.2, variant: 'cb' };
  const studyRecords = (): RunRecord[] =>
    [0, 1, 2].flatMap((seed) =>
      [
        ltRecord('ce', seed),
        ltRecord('cb', seed, {
          correct: CORRECT.map((c, i) => Math.min(SUPPORT[i] ?? 0, c + i + seed)),
          weights: [balanced],
        }),
        ltRecord('cb-again', seed, { weights: [balanced] }),
      ].map((record) => ({ ...record, claims: [claim] })),
    );
  // One report (its charts take a while to render) serves the tests that read the rendered page.
  const study = buildReport(studyRecords());

  it('head / medium / tail accuracy are final metrics with intervals over seeds, and threshold claims read them', async () => {
    const model = await study;
    const cb = model.aggregates.find((aggregate) => aggregate.variant === 'cb')!;
    // tail {4, 5}: (10 + 4 + seed + 6 + 5 + seed) / 110 for seeds 0, 1, 2
    expect(cb.finalValues.tailAccuracy).toEqual([0, 1, 2].map((seed) => (25 + 2 * seed) / 110));
    expect(cb.final.tailAccuracy?.mean).toBeCloseTo(27 / 110, 12);
    expect(cb.final.tailAccuracy?.ci).not.toBeNull();
    expect(model.claims[0]?.status).toBe('pass');
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('tail-class accuracy');
    expect(markdown).toContain('head-class accuracy');
  });

  it('balanced accuracy leads the default primary metrics of long-tailed data', async () => {
    expect((await study).primary.get('lt')?.map((choice) => choice.metric)).toEqual([
      'balancedAccuracy',
      'macroF1',
      'accuracy',
    ]);
    const mild = studyRecords().map((record) =>
      ltRecord(record.variant, record.seed, { counts: [60, 50, 40, 30, 20, 10] }),
    );
    const view = reportView(mild, 'variant').experiments[0]!;
    expect(view.primary.map((choice) => choice.metric)).toEqual(['macroF1', 'accuracy']);
  });

  it('shows the training counts, each class group, and the class weights once when variants share them', async () => {
    const markdown = renderMarkdown(await study);
    const section = markdown.slice(markdown.indexOf('## Training data'));
    expect(section).toContain('### lt: y');
    expect(section).toContain('terciles of the training counts');
    expect(section).toContain('| class | group | training rows | weight (balanced): cb, cb-again |');
    // 1020 / (6 · 500) = 0.34; 1020 / (6 · 10) = 17
    expect(section).toContain('| c0 | head | 500 | 0.34 |');
    expect(section).toContain('| c5 | tail | 10 | 17 |');
    const html = renderHtml(await study);
    expect(html).toContain('<h2>Training data</h2>');
    expect(html).toContain(
      '<tr><th scope="row">c5</th><td class="num">tail</td><td class="num">10</td><td class="num">17</td></tr>',
    );
  });

  it('training counts that differ between seeds show as a range; variants with other counts get their own column', () => {
    const records = [0, 1].flatMap((seed) => [
      ltRecord('ce', seed, { counts: COUNTS.map((n) => n + seed) }),
      ltRecord('cb', seed, { counts: COUNTS.map((n) => 2 * n) }),
    ]);
    const [table] = trainingDataTables(reportView(records, 'variant').experiments[0]!);
    expect(table?.table.header).toEqual(['class', 'group', 'training rows: ce', 'training rows: cb']);
    expect(table?.table.rows[0]).toEqual(['c0', 'head', '500–501', '1000']);
  });
});

describe('like with like, seed by seed', () => {
  it('seeds may draw different rows; the same seed must have drawn the same rows in every variant', () => {
    const paired = ['ce', 'cb'].flatMap((variant) => [0, 1].map((seed) => ltRecord(variant, seed)));
    expect(likeWithLike(groupRuns(paired))).toEqual([]);
    const unpaired = paired.map((record) =>
      record.variant === 'cb' && record.seed === 1
        ? { ...record, dataFingerprint: { 'train.drawn': 'f'.repeat(64) } }
        : record,
    );
    expect(likeWithLike(groupRuns(unpaired))[0]).toContain(
      `data fingerprint differs for seed 1 (ce: train.drawn: ${'draw-of-seed-1'.padEnd(12, '0').slice(0, 12)}; cb: train.drawn: ffffffffffff)`,
    );
  });
});
