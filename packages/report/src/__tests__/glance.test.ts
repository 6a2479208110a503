import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@losslab/schema';
import { baselineWarningTable, verdictTable } from '../glance.js';
import { renderHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import type { MetricVerdict } from '../verdict.js';
import { blinkRecord, classRecords } from './fixtures.js';

/**
 * A blink-like run of `variant` whose final test accuracy and last (3rd) validation accuracy are
 * exactly `test` and `validation` on every seed; the majority baseline is 0.9 in both.
 */
function run(variant: string, seed: number, test: number, validation: number, epochs = 3): RunRecord {
  const base = blinkRecord('unweighted', seed, 3);
  return {
    ...base,
    runId: `20250102-${variant}-s${seed}`,
    variant,
    definition: { ...base.definition, train: { ...base.definition.train, epochs } },
    history: base.history.map((entry, index) =>
      index === base.history.length - 1
        ? { ...entry, validation: { ...entry.validation, accuracy: validation } }
        : entry,
    ),
    evaluation: { ...base.evaluation, metrics: { ...base.evaluation.metrics, accuracy: test } },
    claims: [],
  };
}

const NEAR = 0.905; // within 1 percentage point of 0.9
const FAR = 0.95;

/** v1 near on both splits, v2 on test only, v3 on validation only, v4 on neither, v5 on both; v6 a single run. */
function nearMajorityRuns(): RunRecord[] {
  const variants: [string, number, number][] = [
    ['v1', NEAR, NEAR],
    ['v2', NEAR, FAR],
    ['v3', FAR, NEAR],
    ['v4', FAR, FAR],
    ['v5', NEAR, NEAR],
  ];
  return [
    ...[1, 2, 3].flatMap((seed) => variants.map(([variant, test, validation]) => run(variant, seed, test, validation))),
    run('v6', 1, FAR, FAR),
  ];
}

const verdictSection = (html: string): string => {
  const start = html.indexOf('<section id="verdict">');
  return html.slice(start, html.indexOf('</section>', start));
};

describe('the majority-baseline and like-with-like warnings', () => {
  it('are one table, a row per variant naming each split near the baseline, and no box per warning', async () => {
    const model = await buildReport(nearMajorityRuns());
    expect(model.majority).toHaveLength(6);
    const table = baselineWarningTable(model);
    expect(table).toEqual({
      header: ['Variant', 'Final accuracy (test, mean over seeds)', 'Validation accuracy (last epoch)'],
      rows: [
        ['v1', '0.905 ≈ majority 0.900', '0.905 at epoch 3 ≈ majority 0.900'],
        ['v2', '0.905 ≈ majority 0.900', '—'],
        ['v3', '—', '0.905 at epoch 3 ≈ majority 0.900'],
        ['v5', '0.905 ≈ majority 0.900', '0.905 at epoch 3 ≈ majority 0.900'],
      ],
    });

    const html = renderHtml(model);
    expect(html.match(/id="baseline-warnings"/g)).toHaveLength(1);
    const box = html.slice(
      html.indexOf('id="baseline-warnings"'),
      html.indexOf('</div>', html.indexOf('id="baseline-warnings"')),
    );
    expect(box.match(/<table>/g)).toHaveLength(1);
    expect(box.match(/<tr><th scope="row">/g)).toHaveLength(4);
    expect(box).toContain('6 accuracies are within 1 percentage point of the majority-class baseline');
    // the only other box: v6's single run, a warning of another kind, still a box of its own
    const boxes = [...html.matchAll(/<div class="warning"[^>]*>([\s\S]*?)<\/div>/g)].map((match) => match[1] ?? '');
    expect(boxes).toHaveLength(2);
    expect(boxes[1]).toMatch(/^⚠ v6 has a single run/);
    expect(html).not.toMatch(/<div class="warning">⚠ v\d: /);
    expect(verdictSection(html).indexOf('id="baseline-warnings"')).toBeGreaterThan(0);

    const markdown = renderMarkdown(model);
    expect(markdown).toContain(
      [
        '| Variant | Final accuracy (test, mean over seeds) | Validation accuracy (last epoch) |',
        '| --- | --- | --- |',
        '| v1 | 0.905 ≈ majority 0.900 | 0.905 at epoch 3 ≈ majority 0.900 |',
        '| v2 | 0.905 ≈ majority 0.900 | — |',
        '| v3 | — | 0.905 at epoch 3 ≈ majority 0.900 |',
        '| v5 | 0.905 ≈ majority 0.900 | 0.905 at epoch 3 ≈ majority 0.900 |',
      ].join('\n'),
    );
    expect(markdown.match(/^> ⚠ /gm)).toHaveLength(2); // the table's lead and v6's single run
    expect(markdown).not.toContain('within 1 percentage point of the majority-class baseline 0.900; the model');
    // the warnings themselves are all kept for `losslab report`'s console and exit code
    expect(model.warnings.filter((warning) => warning.includes('majority-class baseline'))).toHaveLength(6);
  });

  it('take the like-with-like problem into the same table, each variant with its own values', async () => {
    const records = nearMajorityRuns().map((record) =>
      record.variant === 'v4' ? run('v4', record.seed, FAR, FAR, 5) : record,
    );
    const model = await buildReport(records);
    expect(model.mismatches).toHaveLength(1);
    const table = baselineWarningTable(model);
    expect(table?.header).toEqual([
      'Variant',
      'Final accuracy (test, mean over seeds)',
      'Validation accuracy (last epoch)',
      'Not like with like',
    ]);
    expect(table?.rows.map((row) => [row[0], row[3]])).toEqual([
      ['v1', 'epochs: 3'],
      ['v2', 'epochs: 3'],
      ['v3', 'epochs: 3'],
      ['v4', 'epochs: 5'],
      ['v5', 'epochs: 3'],
      ['v6', 'epochs: 3'],
    ]);
    expect(table?.rows[3]?.slice(1, 3)).toEqual(['—', '—']);
    const html = renderHtml(model);
    expect(html.match(/<table>/g)?.length).toBe(
      renderHtml({ ...model, mismatches: [], likeWithLikeByVariant: [] }).match(/<table>/g)?.length,
    );
    const markdown = renderMarkdown(model);
    // the detail stays, under the table and above the verdict's sentences, not as a box
    const detail = markdown.indexOf('Not like with like (blink): epochs differs');
    expect(detail).toBeGreaterThan(markdown.indexOf('| v6 | — | — | epochs: 3 |'));
    expect(detail).toBeLessThan(markdown.indexOf('- **'));
    expect(markdown).not.toContain('> ⚠ Not like with like');
  });
});

describe('the verdict', () => {
  it('keeps its sentences with three variants', async () => {
    const model = await buildReport(classRecords().filter((record) => record.variant !== 'focal-balanced'));
    expect(model.verdicts[0]?.lines).toHaveLength(2);
    const verdict = verdictSection(renderHtml(model));
    expect(verdict).not.toContain('<table>');
    expect(verdict.match(/<li class="(beats|tie|untestable)">/g)).toHaveLength(2);
    expect(renderMarkdown(model)).not.toContain('| Comparison | Difference [95% CI] |');
  });

  it('folds into a table with more than three variants: one row per comparison', async () => {
    const model = await buildReport(classRecords());
    expect(model.verdicts).toHaveLength(1);
    const rows = [
      [
        'focal-balanced vs ce',
        '+0.300 [+0.300, +0.300]',
        '< 0.001',
        { text: 'yes: focal-balanced beats ce', strong: true },
      ],
      ['focal-balanced vs ce-balanced', '+0.200', '—', 'no: untestable'],
      ['focal-balanced vs focal', '+0.100', '—', 'no: untestable'],
    ];
    expect(verdictTable(model.verdicts[0]!).rows).toEqual(rows);
    const verdict = verdictSection(renderHtml(model));
    expect(verdict.match(/<table>/g)).toHaveLength(1);
    expect(verdict.match(/<tr><th scope="row">/g)).toHaveLength(3);
    expect(verdict).not.toMatch(/<li class="(beats|tie|untestable)">/);
    expect(verdict).toContain('<th scope="row">focal-balanced vs focal</th>');
    const markdown = renderMarkdown(model);
    expect(markdown).toContain(
      [
        '| Comparison | Difference [95% CI] | Adjusted p | Decided |',
        '| --- | --- | --- | --- |',
        '| focal-balanced vs ce | +0.300 [+0.300, +0.300] | \\< 0.001 | **yes: focal-balanced beats ce** |',
        '| focal-balanced vs ce-balanced | +0.200 | — | no: untestable |',
        '| focal-balanced vs focal | +0.100 | — | no: untestable |',
      ].join('\n'),
    );
    expect(markdown).not.toContain('focal-balanced beats ce by');
  });

  it('says for each comparison whether it is decided, with its interval and adjusted p', () => {
    const comparison = (difference: number, ci: [number, number] | null, pAdjusted: number | null) =>
      ({ test: { difference, ci }, pAdjusted }) as unknown as NonNullable<MetricVerdict['lines'][number]['comparison']>;
    const verdict = {
      best: 'a',
      lines: [
        { other: 'b', comparison: comparison(0.1, [0.05, 0.15], 0.0123), outcome: 'beats', sentence: '' },
        { other: 'c', comparison: comparison(-0.01, [-0.04, 0.02], 0.3), outcome: 'tie', sentence: '' },
        { other: 'd', comparison: null, outcome: 'untestable', sentence: '' },
      ],
    } as unknown as MetricVerdict;
    expect(verdictTable(verdict).rows).toEqual([
      ['a vs b', '+0.100 [+0.050, +0.150]', '0.012', { text: 'yes: a beats b', strong: true }],
      ['a vs c', '-0.010 [-0.040, +0.020]', '0.300', 'no: not distinguishable'],
      ['a vs d', 'not compared', '—', 'no: untestable'],
    ]);
  });
});
