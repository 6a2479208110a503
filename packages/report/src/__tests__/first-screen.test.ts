import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.js';
import { renderHtml } from '../html.js';
import { forestChart } from '../forest.js';
import type { MetricVerdict } from '../verdict.js';
import { classRecords } from './fixtures.js';

describe('forestChart', () => {
  const comparison = (difference: number, ci: [number, number] | null) =>
    ({ test: { difference, ci, level: 0.95 } }) as unknown as NonNullable<MetricVerdict['lines'][number]['comparison']>;
  const verdict: MetricVerdict = {
    experiment: 'e',
    metric: 'macroF1',
    direction: 'higher',
    source: 'default',
    best: 'a',
    bestMean: 0.9,
    headline: '',
    sentence: '',
    lines: [
      { other: 'b', comparison: comparison(0.1, [0.05, 0.15]), outcome: 'beats', sentence: '' },
      { other: 'c', comparison: comparison(0.01, [-0.02, 0.04]), outcome: 'tie', sentence: '' },
      { other: 'd', comparison: comparison(0.3, null), outcome: 'untestable', sentence: '' },
    ],
  };

  it('draws one row per comparison with an interval: difference, interval, decided or not', () => {
    const chart = forestChart(verdict)!;
    expect(chart.id).toBe('forest-macrof1');
    expect((chart.spec as unknown as { data: { values: unknown[] } }).data.values).toEqual([
      { comparison: 'a − b', difference: 0.1, low: 0.05, high: 0.15, outcome: 'decided' },
      { comparison: 'a − c', difference: 0.01, low: -0.02, high: 0.04, outcome: 'not decided' },
    ]);
    expect(chart.description).toContain('1 of 2 decided');
  });

  it('is absent when no comparison has an interval', () => {
    expect(forestChart({ ...verdict, lines: [verdict.lines[2]!] })).toBeNull();
  });

  it('opens the verdict of a report: one plot per primary metric, above the sentences', async () => {
    const model = await buildReport(classRecords());
    expect(model.forest.map((chart) => chart.id)).toEqual(
      model.verdicts.map((v) => `forest-${v.metric.toLowerCase()}`),
    );
    const html = renderHtml(model);
    const verdict = html.slice(html.indexOf('<section id="verdict">'), html.indexOf('</section>'));
    expect(verdict.indexOf('<div class="forest">')).toBeGreaterThan(0);
    expect(verdict.indexOf('<div class="forest">')).toBeLessThan(verdict.indexOf('<ul class="verdict">'));
    expect(verdict.match(/<figure id="chart-forest-/g)).toHaveLength(model.forest.length);
  });
});

describe('a classification report reads at normal zoom', () => {
  it('has its per-class table open and confusion-matrix numbers of 12 px', async () => {
    const model = await buildReport(classRecords());
    const html = renderHtml(model);
    const perClass = html.slice(html.indexOf('<section id="per-class">'));
    expect(perClass).toMatch(/^[\s\S]*?<details open><summary>\d+ rows: recall/);
    const confusions = model.charts.filter((chart) => chart.kind === 'overallConfusion');
    expect(confusions.length).toBeGreaterThan(0);
    for (const chart of confusions) {
      const cellTexts = [...chart.svg.matchAll(/<g class="mark-text role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].join('');
      const sizes = [...cellTexts.matchAll(/font-size="(\d+)px"/g)].map((match) => Number(match[1]));
      expect(sizes.length, chart.id).toBeGreaterThan(0);
      expect(Math.min(...sizes), chart.id).toBeGreaterThanOrEqual(12);
    }
  });
});
