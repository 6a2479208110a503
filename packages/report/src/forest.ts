import type { TopLevelSpec } from 'vega-lite';
import { slug, type ChartSpec } from './charts.js';
import { metricTitle, metricUnit } from './metrics.js';
import type { MetricVerdict } from './verdict.js';

/** Colours of a comparison's outcome: decided (the best beats it) and not decided. */
const DECIDED = '#2e8b57';
const UNDECIDED = '#777777';

/**
 * The verdict on one primary metric as a forest plot: one row per comparison of the best variant
 * with another (`best − other`), its difference as a dot and its confidence interval as a bar,
 * against a dashed line at zero; decided comparisons (the best beats the other after Holm's
 * adjustment) filled and green. Null when no comparison has an interval (one variant, one seed).
 *
 * @example forestChart(model.verdicts[0])?.id // 'forest-macrof1'
 */
export function forestChart(verdict: MetricVerdict, experimentPrefix = ''): ChartSpec | null {
  const rows = verdict.lines.flatMap((line) => {
    const ci = line.comparison?.test.ci;
    if (line.comparison === null || ci === null || ci === undefined) return [];
    return [
      {
        comparison: `${verdict.best ?? '?'} − ${line.other}`,
        difference: line.comparison.test.difference,
        low: ci[0],
        high: ci[1],
        outcome: line.outcome === 'beats' ? 'decided' : 'not decided',
      },
    ];
  });
  if (rows.length === 0) return null;
  const level = Math.round(
    (verdict.lines.find((line) => line.comparison !== null)?.comparison?.test.level ?? 0.95) * 100,
  );
  const title = `${metricTitle(verdict.metric)} (${verdict.direction} is better)`;
  const y = { field: 'comparison', type: 'nominal' as const, sort: null, title: null, axis: { labelLimit: 260 } };
  const color = {
    field: 'outcome',
    type: 'nominal' as const,
    title: null,
    scale: { domain: ['decided', 'not decided'], range: [DECIDED, UNDECIDED] },
    legend: { orient: 'bottom' as const, direction: 'horizontal' as const },
  };
  const spec = {
    width: 320,
    height: { step: 22 },
    title: { text: title, subtitle: `best − other, ${level}% confidence interval` },
    data: { values: rows },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y,
          x: { field: 'low', type: 'quantitative', title: `difference (${metricUnit(verdict.metric)})` },
          x2: { field: 'high' },
          color,
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: { y, x: { field: 'difference', type: 'quantitative' }, color },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#444444' },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
    ],
    config: {
      font: 'sans-serif',
      background: 'white',
      view: { stroke: null },
      title: { fontSize: 13, anchor: 'start' },
    },
  } as unknown as TopLevelSpec;
  const decided = rows.filter((row) => row.outcome === 'decided').length;
  return {
    id: `forest-${experimentPrefix === '' ? '' : `${slug(experimentPrefix)}-`}${slug(verdict.metric)}`,
    kind: 'forest',
    title: `${title}: differences from the best`,
    description: `${title}: the difference between ${verdict.best ?? 'the best variant'} and each other variant with its ${level}% confidence interval, against zero; ${decided} of ${rows.length} decided (Holm-adjusted).`,
    spec,
  };
}
