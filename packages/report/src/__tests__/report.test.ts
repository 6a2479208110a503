import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport, type ReportModel } from '../model.js';
import type { RunRecord } from '@losslab/schema';
import { writeReport } from '../write.js';
import { blinkRecord, blinkRecords, mnistRecord } from './fixtures.js';

describe('report model and renderings', () => {
  let blink: ReportModel;
  let mnist: ReportModel;

  beforeAll(async () => {
    blink = await buildReport(blinkRecords(), {
      skipped: [{ folder: 'runs/blink/killed', reason: 'incomplete', errors: ['no record.json'] }],
    });
    mnist = await buildReport([mnistRecord()]);
  });

  it('compares class-weighted with the slower variant of the fasterToTarget claim', () => {
    // No loss comparison: the two variants define different losses, on different scales.
    expect(
      blink.comparisons.map((comparison) => `${comparison.label} vs ${comparison.baseline}: ${comparison.metric}`),
    ).toEqual([
      'class-weighted vs unweighted: accuracy',
      'class-weighted vs unweighted: balancedAccuracy',
      'class-weighted vs unweighted: f1',
    ]);
    expect(blink.warnings.some((warning) => warning.startsWith('unweighted: final accuracy'))).toBe(true);
    expect(blink.warnings.some((warning) => warning.includes('1 run folder(s) skipped'))).toBe(true);
  });

  it('renders one chart per per-epoch metric (majorityAccuracy excluded) plus epochs-to-target', () => {
    expect(blink.charts.map((chart) => chart.id)).toEqual([
      'curve-validation-loss',
      'curve-validation-balancedaccuracy',
      'curve-validation-f1',
      'curve-validation-accuracy',
      'curve-training-loss',
      'curve-validation-prauc',
      'curve-validation-precision',
      'curve-validation-recall',
      'epochs-to-target-f1-0-800',
    ]);
    expect(mnist.charts.map((chart) => chart.id)).toEqual([
      'curve-training-loss',
      'confusion-even-masked',
      'counts-even-masked',
      'confusion-odd-masked',
      'counts-odd-masked',
    ]);
    for (const chart of [...blink.charts, ...mnist.charts]) {
      expect(chart.svg).toMatch(/^<svg /);
      expect(chart.svg).toContain('font-family="sans-serif"');
      expect(chart.svg).not.toMatch(/https?:\/\/(?!www\.w3\.org\/)/); // only XML namespaces
    }
  });

  it('HTML is self-contained: inline CSS and SVG, no scripts, no external resources', () => {
    const html = renderHtml(blink);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*"(?!#)/i);
    expect(html).not.toMatch(/url\((?!#)/i);
    expect(html).not.toMatch(/@import|@font-face/i);
    expect(html.match(/<svg /g)).toHaveLength(blink.charts.length + blink.forest.length);
    expect(html).toContain('<th scope="row">class-weighted vs unweighted</th><td class="num">F1</td>');
    expect(html).toContain('<li class="pass"><span class="mark">✓</span>class-weighted reaches f1 ≥ 0.800');
    expect(html).toContain('⚠ near majority baseline');
    expect(html).toContain('runs/blink/killed: incomplete');
    // Definition diff and context.
    expect(html).toContain('loss.weights');
    expect(html).toContain('0123456789abcdef0123456789abcdef01234567 (clean)');
  });

  it('renders an epochsToPlateau claim with its per-seed evidence in both renderings', async () => {
    const claim = {
      kind: 'epochsToPlateau',
      metric: 'loss',
      within: 0.05,
      variant: 'class-weighted',
      relation: 'fewer',
      than: 'unweighted',
      description: 'converges much faster',
    } as const;
    const model = await buildReport(blinkRecords().map((record) => ({ ...record, claims: [claim] })));
    const [result] = model.claims;
    expect(result?.statement).toBe(
      'converges much faster — class-weighted brings the training loss within 5% of its final value in fewer epochs than unweighted (mean over seeds)',
    );
    const markdown = renderMarkdown(model);
    const html = renderHtml(model);
    for (const line of result?.evidence ?? []) {
      expect(line).toMatch(/epochs|needs/);
      expect(html).toContain(line.trim());
    }
    expect(markdown).toContain('epochs to within 5% of the final training loss (mean of 3 seeds');
    // The loss is compared by plateau, not by value: the two losses are on different scales.
    expect(model.comparisons.some((comparison) => comparison.metric === 'loss')).toBe(false);
  });

  it('HTML escapes text from records', async () => {
    const record = { ...blinkRecord('unweighted', 1), variant: '<b>bold</b>' };
    const html = renderHtml(await buildReport([record]));
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<b>bold</b>');
  });

  it('HTML escapes the experiment name in <title> and the heading', async () => {
    const record = { ...blinkRecord('unweighted', 1), experiment: '</title><script>alert(1)</script>' };
    const html = renderHtml(await buildReport([record]));
    expect(html).toContain('<title>losslab report: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(html).toContain('<h1>losslab report: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).not.toMatch(/<script/i);
  });

  it('Markdown escapes text from records: no raw HTML, no remote images, no injected headings (item 2)', async () => {
    const base = mnistRecord();
    const record: RunRecord = {
      ...base,
      experiment: 'mnist <b>odd</b>',
      variant: '<script>alert(1)</script>',
      claims: [
        {
          kind: 'threshold',
          metric: 'accuracy',
          group: 'even',
          op: '<=',
          value: 0.01,
          description: '<iframe src="http://evil.example/">',
        },
      ],
      reference: {
        source: 'Keras',
        notes: [
          '![x](http://evil.example/pixel.png)',
          '## Injected heading',
          'line one\n## Injected too',
          '- not a list | *not emphasis* [link](http://evil.example) &amp; `code`',
        ],
      },
    };
    const markdown = renderMarkdown(await buildReport([record]));
    // Only backslash-escaped: `\<` is a literal `<`, `\](` closes no link.
    expect(markdown).not.toMatch(/(?<!\\)<(script|iframe|b)\b/i);
    expect(markdown).not.toMatch(/(?<!\\)\]\(http/);
    expect(markdown).not.toMatch(/^#+ Injected/m);
    expect(markdown).toContain('# losslab report: mnist \\<b\\>odd\\</b\\>\n');
    expect(markdown).toContain('\\<iframe src="http://evil.example/"\\>');
    expect(markdown).toContain('\n![x\\](http://evil.example/pixel.png)\n');
    expect(markdown).toContain('\n\\#\\# Injected heading\n');
    expect(markdown).toContain('\nline one \\#\\# Injected too\n');
    expect(markdown).toContain(
      '\n\\- not a list \\| \\*not emphasis\\* [link\\](http://evil.example) \\&amp; \\`code\\`\n',
    );
    // Labels in tables, list items and chart alt text are escaped too.
    expect(markdown).toContain('| \\<script\\>alert(1)\\</script\\> |');
    expect(markdown).toContain('![Confusion matrix: \\<script\\>alert(1)\\</script\\>, group even](');
  });

  it('mnist-odd shows the reference table and the even→odd line in both renderings', () => {
    const markdown = renderMarkdown(mnist);
    expect(markdown).toContain('| metric | reference (Keras) | losslab |');
    expect(markdown).toContain('| even accuracy | 0.000 | 0.000 |');
    expect(markdown).toContain(
      '| even true counts | [5923, 0, 5958, 0, 5842, 0, 5918, 0, 5851] | [50, 0, 48, 0, 52, 0, 47, 0, 51, 0] |',
    );
    expect(markdown).toContain(
      '- masked: every "even" sample was predicted as an "odd" class: yes, 248 of 248 (100.0%), 1 seed',
    );
    expect(markdown).toContain('![Confusion matrix: masked, group even](confusion-even-masked.svg)');
    expect(renderHtml(mnist)).toContain('every &quot;even&quot; sample was predicted as an &quot;odd&quot; class: yes');
  });
});

describe('writeReport', () => {
  let outDir: string;
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'losslab-report-'));
  });
  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('writes index.html, report.md and every SVG the Markdown references, no temp files left', async () => {
    const { files, model } = await writeReport([mnistRecord()], outDir);
    const names = (await readdir(outDir)).sort();
    expect(names).toEqual(
      ['.losslab-report', 'index.html', 'report.md', ...model.charts.map((chart) => `${chart.id}.svg`)].sort(),
    );
    expect(files.slice(0, 2)).toEqual([join(outDir, 'index.html'), join(outDir, 'report.md')]);
    const markdown = await readFile(join(outDir, 'report.md'), 'utf8');
    for (const [, file] of markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)) expect(names).toContain(file);
    const svg = await readFile(join(outDir, 'counts-even-masked.svg'), 'utf8');
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
  });
});

describe('buildReport counts each run folder once (issue 22 case 11)', () => {
  it('a record given twice is one run: one seed, as if given once', async () => {
    // What `run` passed when two variants resolved to the same run: the same record per variant.
    const once = [blinkRecord('unweighted', 1), blinkRecord('unweighted', 2), blinkRecord('class-weighted', 1)];
    const twice = [once[0], once[1], once[0], once[1], once[2]].filter((record) => record !== undefined);
    const [expected, actual] = [await buildReport(once), await buildReport(twice)];
    expect(actual.aggregates.map((aggregate) => [aggregate.label, aggregate.seeds])).toEqual([
      ['unweighted', [1, 2]],
      ['class-weighted', [1]],
    ]);
    expect(actual.runs.map((run) => run.runId)).toEqual(expected.runs.map((run) => run.runId));
    expect(renderMarkdown(actual)).toBe(renderMarkdown(expected));
  });
});
