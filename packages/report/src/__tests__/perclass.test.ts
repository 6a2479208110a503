import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateClaims } from '../claims.js';
import { groupRuns } from '../groups.js';
import { renderHtml } from '../html.js';
import { cellText, perClassTables, type TableCell } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport, type ReportModel } from '../model.js';
import { perClassResults } from '../perclass.js';
import type { Claim, ClassEvaluation, RunRecord } from '@losslab/schema';
import { blinkRecord, classRecord, classRecords, CLASS_VARIANTS, mnistRecord } from './fixtures.js';

/** Which cells of a table row are emphasised. */
const emphasis = (row: readonly TableCell[]): boolean[] => row.map((cell) => typeof cell !== 'string');

const NAMES = ['cat', 'dog', '<b>x</b>'];

/** One class entry; support 10 unless given. */
function entry(name: string, recall: number, precision: number, predicted: number, support = 10): ClassEvaluation {
  return { name, support, predicted, precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}

/**
 * A run of `variant` whose `cat` class has the given recall, precision and predicted count; dog
 * and `<b>x</b>` are fixed. The confusion matrix is a stand-in (only the charts read it).
 */
function run(variant: string, seed: number, cat: [number, number, number], claims: Claim[] = []): RunRecord {
  const base = blinkRecord('unweighted', seed, 3);
  return {
    ...base,
    runId: `${variant}-${seed}`,
    variant,
    evaluation: {
      split: 'test',
      size: 30,
      metrics: { accuracy: 0.7 },
      classNames: NAMES,
      perClass: [entry('cat', ...cat), entry('dog', 0.5, 0.5, 10), entry('<b>x</b>', 1, 1, 10)],
      confusion: [
        [7, 3, 0],
        [5, 5, 0],
        [0, 0, 10],
      ],
    },
    claims,
  };
}

/**
 * A: cat recall 0.6, 0.8, 0.7 (mean 0.7, sd 0.1); precision 0.5 in every seed (sd 0);
 *    predicted 12, 9, 10 (mean 10.333, sd 1.528).
 * B: cat recall 0.9, 0.7 (mean 0.8, sd √0.02 = 0.1414); precision 0.6, 0.4 (mean 0.5, sd 0.1414);
 *    predicted 10, 10.
 */
function records(claims: Claim[] = []): RunRecord[] {
  return [
    run('A', 1, [0.6, 0.5, 12], claims),
    run('A', 2, [0.8, 0.5, 9], claims),
    run('A', 3, [0.7, 0.5, 10], claims),
    run('B', 1, [0.9, 0.6, 10], claims),
    run('B', 2, [0.7, 0.4, 10], claims),
  ];
}

describe('per-class table', () => {
  let model: ReportModel;
  beforeAll(async () => {
    model = await buildReport(records());
  });

  it('summarizes each class over seeds, per variant (hand-computed)', () => {
    const [results] = perClassResults(groupRuns(records()));
    expect(results?.labels).toEqual(['A', 'B']);
    expect(results?.runs).toEqual([3, 2]);
    expect(results?.classes.map((item) => item.name)).toEqual(NAMES);
    const [a, b] = results?.classes[0]?.byGroup ?? [];
    expect(a?.n).toBe(3);
    expect(a?.recall.mean).toBeCloseTo(0.7, 12);
    expect(a?.recall.sd).toBeCloseTo(0.1, 12);
    expect(a?.predicted.mean).toBeCloseTo(31 / 3, 12);
    expect(b?.n).toBe(2);
    expect(b?.recall.mean).toBeCloseTo(0.8, 12);
    expect(b?.recall.sd).toBeCloseTo(Math.sqrt(0.02), 12);
    // F1 per seed is 2PR/(P+R): A 0.5455, 0.6154, 0.5833 (mean 0.5814, sd 0.0350); B 0.72, 0.5091 (mean 0.6145, sd 0.1491).
    expect(a?.f1.mean).toBeCloseTo((6 / 11 + 8 / 13 + 7 / 12) / 3, 12);
  });

  it('is one table: a row per class × variant, mean ± sd, counts, seeds; the best per class in bold', () => {
    const [table] = perClassTables(model);
    expect(table?.title).toBe('Per class: blink, split test');
    expect(table?.table.header).toEqual([
      'class',
      'variant',
      'recall',
      'precision',
      'F1',
      'support',
      'predicted',
      'seeds',
    ]);
    expect(table?.table.rows.slice(0, 2).map((row) => row.map(cellText))).toEqual([
      ['cat', 'A', '0.700 ± 0.100', '0.500 ± 0.000', '0.581 ± 0.035', '10', '10.3 ± 1.5', '3'],
      ['cat', 'B', '0.800 ± 0.141', '0.500 ± 0.141', '0.615 ± 0.149', '10', '10', '2'],
    ]);
    expect(table?.table.rows).toHaveLength(NAMES.length * 2);
    // cat: B's recall and F1 are higher; precision is 0.500 in both, so neither is bold.
    expect(table?.table.rows.slice(0, 2).map(emphasis)).toEqual([
      [false, false, false, false, false, false, false, false],
      [false, false, true, false, true, false, false, false],
    ]);
    // dog: identical in both variants, so nothing is bold.
    expect(table?.table.rows.slice(2, 4).flatMap(emphasis).some(Boolean)).toBe(false);
  });

  it('renders the table in both formats with bold, not colour, for the best value', () => {
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('## Per-class results');
    expect(markdown).toContain('| class | variant | recall | precision | F1 | support | predicted | seeds |');
    expect(markdown).toContain('| cat | B | **0.800 ± 0.141** | 0.500 ± 0.141 | **0.615 ± 0.149** | 10 | 10 | 2 |');
    const html = renderHtml(model);
    expect(html).toContain('<section id="per-class">');
    expect(html).toContain(
      '<tr><th scope="row">cat</th><td class="num">B</td><td class="num"><strong>0.800 ± 0.141</strong></td>',
    );
  });

  it('escapes class names in Markdown, HTML and the chart SVG', () => {
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('| \\<b\\>x\\</b\\> | A | 1.000 ± 0.000 |');
    expect(markdown).not.toMatch(/(?<!\\)<b>/);
    const html = renderHtml(model);
    expect(html).toContain('<th scope="row">&lt;b&gt;x&lt;/b&gt;</th>');
    expect(html).not.toContain('<b>x</b>');
  });

  it('draws one confusion matrix per variant, with class names as axis labels', () => {
    const confusions = model.charts.filter((chart) => chart.kind === 'overallConfusion');
    expect(confusions.map((chart) => chart.id)).toEqual(['confusion-a', 'confusion-b']);
    const [a] = confusions;
    expect(a?.description).toContain('mean over 3 seeds, counts averaged cell by cell, not summed');
    for (const name of ['cat', 'dog', '&lt;b&gt;x&lt;/b&gt;']) {
      // Each name labels a row (true class) and a column (predicted class).
      expect(a?.svg.split(`>${name}</text>`).length, name).toBeGreaterThanOrEqual(3);
    }
    // The axes name the classes, not their indices.
    expect(a?.svg).toContain(
      `aria-label="X-axis titled 'predicted class (label)' for a discrete scale with 3 values: cat, dog, &lt;b&gt;x&lt;/b&gt;"`,
    );
    expect(a?.svg).toContain(
      `aria-label="Y-axis titled 'true class (label)' for a discrete scale with 3 values: cat, dog, &lt;b&gt;x&lt;/b&gt;"`,
    );
    expect(renderMarkdown(model)).toContain('![Confusion matrix: A](confusion-a.svg)');
  });
});

describe('class claims', () => {
  const claim: Claim = { kind: 'threshold', metric: 'recall', class: 'cat', op: '>=', value: 0.75 };

  it('compare the mean over seeds of the class metric: pass, fail', () => {
    const [result] = evaluateClaims(groupRuns(records([claim])));
    expect(result?.statement).toBe('recall of class cat ≥ 0.750 (every variant, mean over seeds)');
    expect(result?.status).toBe('fail');
    expect(result?.evidence).toEqual([
      '✗ A: recall of class cat mean 0.700 ± 0.100, 3 seeds, range 0.600–0.800; needs ≥ 0.750',
      '✓ B: recall of class cat mean 0.800 ± 0.141, 2 seeds, range 0.700–0.900; needs ≥ 0.750',
    ]);
    const onlyB: Claim = { ...claim, variant: 'B' };
    expect(evaluateClaims(groupRuns(records([onlyB])))[0]?.status).toBe('pass');
    const support: Claim = { kind: 'threshold', metric: 'support', class: '<b>x</b>', op: '>=', value: 10 };
    expect(evaluateClaims(groupRuns(records([support])))[0]?.status).toBe('pass');
  });

  it('are ? when no run has the class, no run reports per-class results, or the metric is not per class', () => {
    const bird: Claim = { ...claim, class: 'bird' };
    const [missing] = evaluateClaims(groupRuns(records([bird])));
    expect(missing?.status).toBe('unknown');
    expect(missing?.evidence[0]).toBe('? A: no run has a class named bird (classes: cat, dog, <b>x</b>)');
    const [older] = evaluateClaims(groupRuns([{ ...blinkRecord('unweighted', 1), claims: [claim] }]));
    expect(older?.status).toBe('unknown');
    expect(older?.evidence).toEqual(['? unweighted: no run reports per-class results (evaluation.perClass)']);
    const [wrongMetric] = evaluateClaims(groupRuns(records([{ ...claim, metric: 'accuracy' }])));
    expect(wrongMetric?.status).toBe('unknown');
    expect(wrongMetric?.evidence[0]).toContain('one of precision, recall, f1, support, predicted');
    const [withGroup] = evaluateClaims(groupRuns(records([{ ...claim, group: 'even' }])));
    expect(withGroup?.status).toBe('unknown');
    expect(withGroup?.evidence[0]).toContain('a class claim cannot also name a group');
  });

  it('show in the report escaped, with their evidence', async () => {
    const xClaim: Claim = { kind: 'threshold', metric: 'f1', class: '<b>x</b>', op: '>', value: 0.9 };
    const model = await buildReport(records([xClaim]));
    expect(renderMarkdown(model)).toContain('- **✓ f1 of class \\<b\\>x\\</b\\> \\> 0.900');
    expect(renderHtml(model)).toContain('✓ A: f1 of class &lt;b&gt;x&lt;/b&gt; mean 1.000 ± 0.000, 3 seeds');
  });
});

describe('10 classes × 4 variants × 3 seeds', () => {
  let model: ReportModel;
  let html: string;
  beforeAll(async () => {
    model = await buildReport(classRecords());
    html = renderHtml(model);
  });

  it('has one confusion chart per variant (not per class) and one per-class table', () => {
    const confusions = model.charts.filter((chart) => chart.kind === 'overallConfusion');
    expect(confusions).toHaveLength(CLASS_VARIANTS.length);
    const others = model.charts.filter((chart) => chart.kind !== 'overallConfusion');
    // Learning curves only: validation loss, accuracy, training loss, macro F1.
    expect(others.map((chart) => chart.kind)).toEqual(['curve', 'curve', 'curve', 'curve']);
    expect(model.charts.length).toBeLessThanOrEqual(CLASS_VARIANTS.length + others.length);
    expect(html.match(/<svg /g)).toHaveLength(model.charts.length + model.forest.length);
    // the verdict (4 variants: a table), comparison, final metrics, how sure the comparisons are, over the epochs, per class, context, definition differences, environment, runs
    expect(html.match(/<table>/g)?.length).toBe(10);
    const [table] = perClassTables(model);
    expect(table?.table.rows).toHaveLength(10 * 4);
  });

  it('keeps the page small', () => {
    const bytes = Buffer.byteLength(html, 'utf8');
    expect(bytes).toBeLessThan(400 * 1024);
  });

  it('shows macro F1 among the final metrics and compares it, but not weightedRecall (it equals accuracy)', () => {
    expect(model.aggregates[0]?.final.macroF1?.n).toBe(3);
    expect(html).toContain('<th scope="row">macro F1</th>');
    expect(html).toContain('<th scope="row">weighted recall</th>');
    expect(
      model.comparisons
        .filter((comparison) => comparison.label === 'ce-balanced')
        .map((comparison) => comparison.metric),
    ).toEqual(['accuracy', 'balancedAccuracy', 'macroF1', 'macroPrecision', 'macroRecall', 'weightedF1']);
  });
});

describe('records without perClass', () => {
  it('have no per-class section and no overall confusion chart', async () => {
    for (const model of [await buildReport([mnistRecord()]), await buildReport([blinkRecord('unweighted', 1)])]) {
      expect(model.perClass).toEqual([]);
      expect(model.charts.some((chart) => chart.kind === 'overallConfusion')).toBe(false);
      expect(renderHtml(model)).not.toContain('per-class');
      expect(renderMarkdown(model)).not.toContain('Per-class');
    }
  });

  it('mix with newer runs: only the runs that report a class count for it', async () => {
    const newer = classRecord('ce', 1);
    const older: RunRecord = { ...classRecord('ce', 2), evaluation: { split: 'test', size: 1000, metrics: {} } };
    const model = await buildReport([newer, older]);
    const [table] = perClassTables(model);
    expect(table?.table.rows[0]?.[7]).toBe('1 of 2');
    expect(model.charts.filter((chart) => chart.kind === 'overallConfusion')).toHaveLength(1);
  });
});
