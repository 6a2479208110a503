import type { TopLevelSpec } from 'vega-lite';
import type { GroupAggregate } from './aggregate.js';
import type { EpochsToTarget } from './claims.js';
import { formatValue, printable } from './format.js';
import { metricName, metricRange, metricTitle, metricUnit } from './metrics.js';
import type { GroupEvaluation } from '@losslab/schema';

/** A chart of the report: a Vega-Lite spec plus a stable id (the SVG's file name without `.svg`). */
export interface ChartSpec {
  readonly id: string;
  /** Which section of the report the chart belongs to. */
  readonly kind: 'curve' | 'confusion' | 'counts' | 'overallConfusion' | 'epochsToTarget' | 'forest' | 'reliability';
  readonly title: string;
  /** What the chart shows, in words: the alt text and caption. */
  readonly description: string;
  readonly spec: TopLevelSpec;
  /** For the charts of one evaluation group of one variant: where it sits in the group × variant grid. */
  readonly cell?: { readonly group: string; readonly variant: string };
}

/** A chart rendered to a standalone SVG string. */
export interface RenderedChart extends ChartSpec {
  readonly svg: string;
}

/** Ten distinguishable colours; variants keep their colour across all charts. */
const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#72b7b2',
  '#b279a2',
  '#eeca3b',
  '#9d755d',
  '#ff9da6',
  '#bab0ac',
];

/** Generic font family only: the report must load no font files. */
const CONFIG = {
  font: 'sans-serif',
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' as const, labelLimit: 260 },
  title: { fontSize: 13, anchor: 'start' as const },
};

/** Lower-case, dash-separated, file-name-safe form of a text. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'chart'
  );
}

function colourScale(labels: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...labels], range: labels.map((_, index) => PALETTE[index % PALETTE.length] ?? '#333333') };
}

/**
 * Learning curve of one per-epoch metric: the mean over seeds as a line and its 95% CI as a
 * band, one colour per group. With `baseline` (e.g. the majority-class accuracy) a dashed rule;
 * `caveat` is appended to the caption (e.g. that the variants' losses are on different scales).
 *
 * @example learningCurveChart('validation.f1', aggregates) // ChartSpec with id 'curve-validation-f1'
 */
export function learningCurveChart(
  key: string,
  aggregates: readonly GroupAggregate[],
  baseline?: number,
  caveat?: string,
): ChartSpec {
  const labels = aggregates.map((aggregate) => aggregate.label);
  // With 3 seeds a t-interval can reach past what the metric can take (F1 above 1): clip the band.
  const [lowest, highest] = metricRange(key);
  const clip = (value: number) => Math.min(highest, Math.max(lowest, value));
  const rows = aggregates.flatMap((aggregate) =>
    (aggregate.curves[key] ?? []).map((point) => ({
      variant: aggregate.label,
      epoch: point.epoch,
      mean: point.summary.mean,
      low: clip(point.summary.ci?.[0] ?? point.summary.mean),
      high: clip(point.summary.ci?.[1] ?? point.summary.mean),
      seeds: point.summary.n,
    })),
  );
  const epochs = Math.max(1, ...rows.map((row) => row.epoch));
  const title = metricTitle(key);
  const color = {
    field: 'variant',
    type: 'nominal' as const,
    title: 'variant',
    scale: colourScale(labels),
    // Legend below the plot keeps each chart narrow enough for two side by side.
    legend: { symbolType: 'stroke', symbolOpacity: 1, symbolStrokeWidth: 3, orient: 'bottom', direction: 'horizontal' },
  };
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch (count, 1-based)',
    scale: { domainMin: 1 },
    // Epochs are whole numbers: never a tick at 1.5, never "2.0".
    axis: { tickMinStep: 1, format: 'd' },
  };
  const layers: TopLevelSpec[] = [
    {
      mark: { type: 'area', opacity: 0.2 },
      encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
    } as unknown as TopLevelSpec,
    {
      mark: { type: 'line', strokeWidth: 2, point: epochs <= 30 },
      encoding: {
        x,
        // Kept short: a rotated title longer than the plot pushes the whole chart down.
        y: {
          field: 'mean',
          type: 'quantitative',
          title: `${metricTitle(metricName(key))} (${metricUnit(key)})`,
          scale: { zero: false },
          // At most 3 decimals, trailing zeros dropped: a flat curve reads "1", not "1.000000".
          axis: { format: '.3~f' },
        },
        color,
      },
    } as unknown as TopLevelSpec,
  ];
  if (baseline !== undefined) {
    layers.push({
      data: { values: [{ baseline }] },
      mark: { type: 'rule', strokeDash: [4, 4], color: '#888888' },
      encoding: { y: { field: 'baseline', type: 'quantitative' } },
    } as unknown as TopLevelSpec);
  }
  const spec = {
    width: 420,
    height: 230,
    title: { text: `${title} per epoch`, subtitle: 'line: mean over seeds; band: 95% confidence interval' },
    data: { values: rows },
    layer: layers,
    config: CONFIG,
  } as unknown as TopLevelSpec;
  const seeds = aggregates.map((aggregate) => `${aggregate.label}: ${aggregate.seeds.length}`).join(', ');
  const rule = baseline === undefined ? '' : ` Dashed line: majority-class baseline ${formatValue(baseline)}.`;
  return {
    id: `curve-${slug(key)}`,
    kind: 'curve',
    title: `${title} per epoch`,
    description: `${title} per epoch, mean over seeds (line) with 95% confidence band, clipped to the values the metric can take; seeds per variant: ${seeds}.${rule}${caveat === undefined ? '' : ` ${caveat}`}`,
    spec,
  };
}

function classLabel(classNames: readonly string[] | undefined, index: number): string {
  return classNames?.[index] ?? String(index);
}

/** Longest class name shown whole on a chart axis; longer ones are cut with an ellipsis (the table has them whole). */
const CLASS_LABEL_LIMIT = 120;

/** Axis settings for class names: horizontal while they are short, slanted when longer. */
function classAxis(classes: readonly string[]): Record<string, unknown> {
  const short = classes.every((name) => name.length <= 3);
  return short ? { labelAngle: 0 } : { labelAngle: -40, labelLimit: CLASS_LABEL_LIMIT };
}

/**
 * The heatmap spec of confusion matrices averaged cell by cell (`matrices` are one per seed,
 * `[true][predicted]`): rows = true class, columns = predicted class, axis labels = class names.
 */
function confusionSpec(
  title: string,
  matrices: readonly (readonly (readonly number[])[])[],
  classNames: readonly string[] | undefined,
  axes: 'group' | 'overall',
): TopLevelSpec {
  const size = Math.max(0, ...matrices.map((matrix) => matrix.length));
  const rows: { truth: string; predicted: string; count: number; order: number; predictedOrder: number }[] = [];
  for (let truth = 0; truth < size; truth++) {
    for (let predicted = 0; predicted < size; predicted++) {
      const total = matrices.reduce((sum, matrix) => sum + (matrix[truth]?.[predicted] ?? 0), 0);
      rows.push({
        truth: classLabel(classNames, truth),
        predicted: classLabel(classNames, predicted),
        count: matrices.length === 0 ? 0 : total / matrices.length,
        order: truth,
        predictedOrder: predicted,
      });
    }
  }
  const maximum = Math.max(1, ...rows.map((row) => row.count));
  const classes = Array.from({ length: size }, (_, index) => classLabel(classNames, index));
  // Means of integer counts over seeds: whole numbers for one seed; for several, the overall
  // matrix keeps whole numbers where the seeds agree (group charts always showed one decimal).
  const whole = matrices.length === 1 || (axes === 'overall' && rows.every((row) => Number.isInteger(row.count)));
  return {
    // 40 px cells and 12 px numbers: readable at normal zoom (9 px numbers in 34 px cells were not)
    width: Math.min(440, 40 * Math.max(size, 2)),
    height: Math.min(440, 40 * Math.max(size, 2)),
    title,
    data: { values: rows },
    encoding: {
      x: {
        field: 'predicted',
        type: 'ordinal',
        sort: classes,
        title: 'predicted class (label)',
        axis: axes === 'overall' ? classAxis(classes) : { labelAngle: 0 },
      },
      y: {
        field: 'truth',
        type: 'ordinal',
        sort: classes,
        title: 'true class (label)',
        ...(axes === 'overall' ? { axis: { labelLimit: CLASS_LABEL_LIMIT } } : {}),
      },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 0.5 },
        encoding: {
          color: {
            field: 'count',
            type: 'quantitative',
            title: 'samples (count)',
            scale: { range: ['#f3f7fc', '#08519c'], domainMin: 0 },
          },
        },
      },
      {
        // Zero cells stay blank so the non-zero ones stand out.
        transform: [{ filter: 'datum.count > 0' }],
        mark: { type: 'text', fontSize: 12 },
        encoding: {
          text: { field: 'count', type: 'quantitative', format: whole ? 'd' : '.1f' },
          color: { condition: { test: `datum.count > ${maximum / 2}`, value: 'white' }, value: '#222222' },
        },
      },
    ],
    config: CONFIG,
  } as unknown as TopLevelSpec;
}

/** `1 seed`, `mean over 3 seeds`. */
function seedsText(count: number): string {
  return count === 1 ? '1 seed' : `mean over ${count} seeds`;
}

/**
 * Confusion-matrix heatmap of one evaluation group of one variant, averaged over seeds:
 * rows = true class, columns = predicted class, colour and text = number of samples.
 */
export function confusionChart(
  label: string,
  groupName: string,
  groups: readonly GroupEvaluation[],
  classNames?: readonly string[],
): ChartSpec {
  const seeds = seedsText(groups.length);
  return {
    id: `confusion-${slug(groupName)}-${slug(label)}`,
    kind: 'confusion',
    cell: { group: groupName, variant: label },
    title: `Confusion matrix: ${label}, group ${groupName}`,
    description: `Confusion matrix of group ${groupName} for ${label} (${seeds}): rows are true classes, columns predicted classes; colour and numbers are sample counts.`,
    spec: confusionSpec(
      `Confusion matrix: ${label}, group ${groupName} (${seeds})`,
      groups.map((group) => group.confusion),
      classNames,
      'group',
    ),
  };
}

/**
 * The overall confusion matrix (`evaluation.confusion`, every class of the evaluated block) of one
 * variant: cell (true t, predicted p) is the **mean** over seeds of the sample count, so its
 * scale is that of one evaluation (row sums = the class's support). Axis labels are the class
 * names. One chart per variant, however many classes.
 *
 * @example overallConfusionChart('ce-balanced', [matrixSeed1, matrixSeed2], ['cat', 'dog']).id // 'confusion-ce-balanced'
 */
export function overallConfusionChart(
  label: string,
  matrices: readonly (readonly (readonly number[])[])[],
  classNames?: readonly string[],
): ChartSpec {
  const seeds = seedsText(matrices.length);
  const size = Math.max(0, ...matrices.map((matrix) => matrix.length));
  return {
    id: `confusion-${slug(label)}`,
    kind: 'overallConfusion',
    title: `Confusion matrix: ${label}`,
    description: `Confusion matrix of ${label} over all ${size} classes (${seeds}${matrices.length === 1 ? '' : ', counts averaged cell by cell, not summed'}): rows are true classes, columns predicted classes; colour and numbers are sample counts.`,
    spec: confusionSpec(`Confusion matrix: ${label} (${seeds})`, matrices, classNames, 'overall'),
  };
}

/**
 * Bars of true vs predicted class counts (bincounts) of one evaluation group of one variant,
 * averaged over seeds, with the reference's counts beside them when given.
 */
export function classCountsChart(
  label: string,
  groupName: string,
  groups: readonly GroupEvaluation[],
  classNames?: readonly string[],
  reference?: {
    readonly source: string;
    readonly trueCounts?: readonly number[];
    readonly predictedCounts?: readonly number[];
  },
): ChartSpec {
  const size = Math.max(0, ...groups.map((group) => Math.max(group.trueCounts.length, group.predictedCounts.length)));
  const average = (pick: (group: GroupEvaluation) => readonly number[], index: number): number =>
    groups.length === 0 ? 0 : groups.reduce((sum, group) => sum + (pick(group)[index] ?? 0), 0) / groups.length;
  const series: string[] = ['true (losslab)', 'predicted (losslab)'];
  const rows: { class: string; series: string; count: number }[] = [];
  for (let index = 0; index < size; index++) {
    const name = classLabel(classNames, index);
    rows.push({ class: name, series: 'true (losslab)', count: average((group) => group.trueCounts, index) });
    rows.push({ class: name, series: 'predicted (losslab)', count: average((group) => group.predictedCounts, index) });
  }
  let referenceShown = false;
  const losslabTotal =
    groups.length === 0
      ? 0
      : groups.reduce((sum, group) => sum + group.trueCounts.reduce((a, b) => a + b, 0), 0) / groups.length;
  for (const [kind, counts] of [
    ['true', reference?.trueCounts],
    ['predicted', reference?.predictedCounts],
  ] as const) {
    if (reference === undefined || counts === undefined) continue;
    // A reference measured on a differently sized split (e.g. Keras on the 60,000 training
    // images vs a 10,000-image test split) would dwarf losslab's bars: the table compares those.
    const referenceTotal = counts.reduce((a, b) => a + b, 0);
    if (!(
      referenceTotal > 0 &&
      losslabTotal > 0 &&
      referenceTotal / losslabTotal < 1.5 &&
      losslabTotal / referenceTotal < 1.5
    ))
      continue;
    const name = `${kind} (${reference.source})`;
    series.push(name);
    referenceShown = true;
    counts.forEach((count, index) => rows.push({ class: classLabel(classNames, index), series: name, count }));
  }
  const classes = [...new Set(rows.map((row) => row.class))];
  const seeds = seedsText(groups.length);
  const spec = {
    width: Math.max(260, classes.length * 16 * series.length),
    height: 220,
    title: `Class counts: ${label}, group ${groupName} (${seeds})`,
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'class', type: 'nominal', sort: classes, title: 'class (label)', axis: { labelAngle: 0 } },
      xOffset: { field: 'series', type: 'nominal', sort: series },
      y: { field: 'count', type: 'quantitative', title: 'samples (count)' },
      color: {
        field: 'series',
        type: 'nominal',
        sort: series,
        title: 'counts',
        scale: { domain: series, range: ['#4c78a8', '#f58518', '#9ecae9', '#ffbf79'] },
      },
    },
    config: CONFIG,
  } as unknown as TopLevelSpec;
  return {
    id: `counts-${slug(groupName)}-${slug(label)}`,
    kind: 'counts',
    cell: { group: groupName, variant: label },
    title: `Class counts: ${label}, group ${groupName}`,
    description: `Number of samples per class in group ${groupName} for ${label} (${seeds}): true class vs predicted class${reference && referenceShown ? `, and the ${reference.source} reference` : ''}.`,
    spec,
  };
}

/**
 * Epochs needed to reach a target per variant: a bar at the mean over the seeds that reached it,
 * a dot per seed, and the mean (or "not reached") written above the bar.
 */
export function epochsToTargetChart(
  metric: string,
  target: number,
  results: readonly EpochsToTarget[],
  labels: readonly string[],
): ChartSpec {
  const bars = results.map((result) => ({
    variant: result.label,
    mean: result.reached?.mean ?? 0,
    // The label sits above the bar and above every seed's dot, so nothing overlaps it.
    top: Math.max(result.reached?.mean ?? 0, ...result.seeds.map((seed) => seed.epoch ?? 0)),
    text:
      result.reached === null
        ? 'not reached'
        : `${result.reached.mean.toFixed(1)}${result.reached.n < result.seeds.length ? ` (${result.reached.n}/${result.seeds.length} reached)` : ''}`,
  }));
  const dots = results.flatMap((result) =>
    result.seeds.flatMap((seed) =>
      seed.epoch === null ? [] : [{ variant: result.label, epoch: seed.epoch, seed: seed.seed }],
    ),
  );
  const goal = `${metricTitle(metric)} ≥ ${formatValue(target)}`;
  const x = {
    field: 'variant',
    type: 'nominal' as const,
    title: 'variant (name)',
    sort: [...labels],
    axis: { labelAngle: 0 },
  };
  const color = { field: 'variant', type: 'nominal' as const, scale: colourScale(labels), legend: null };
  const spec = {
    width: Math.max(200, 110 * results.length),
    height: 220,
    title: {
      text: `Epochs to reach validation ${goal}`,
      subtitle: 'bar: mean over seeds that reached it; dots: seeds',
    },
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', opacity: 0.75 },
        encoding: {
          x,
          // Epoch counts: whole-number ticks only.
          y: { field: 'mean', type: 'quantitative', title: 'epochs (count)', axis: { tickMinStep: 1, format: 'd' } },
          color,
        },
      },
      {
        data: { values: bars },
        mark: { type: 'text', dy: -10, fontSize: 11 },
        encoding: { x, y: { field: 'top', type: 'quantitative' }, text: { field: 'text', type: 'nominal' } },
      },
      {
        data: { values: dots },
        mark: { type: 'circle', size: 40, color: '#222222', opacity: 0.8 },
        encoding: { x, y: { field: 'epoch', type: 'quantitative' } },
      },
    ],
    config: CONFIG,
  } as unknown as TopLevelSpec;
  return {
    id: `epochs-to-target-${slug(metric)}-${slug(formatValue(target))}`,
    kind: 'epochsToTarget',
    title: `Epochs to reach validation ${goal}`,
    description: `Epochs until validation ${goal} first held, per variant: bars are the mean over the seeds that reached it, dots are single seeds.`,
    spec,
  };
}

/** Gives every `id` in an SVG (and every `#id` reference) a prefix, so inline SVGs cannot clash. */
function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

/**
 * Renders a Vega-Lite spec to the SVG text of a headless `vega.View`: {@link renderVegaLiteSvg} in
 * this thread, or (under Node) a worker thread that loaded vega while the runs trained
 * (`startChartThread` in `@losslab/report/node`). Both give the same text.
 */
export type SvgRenderer = (spec: TopLevelSpec) => Promise<string>;

/**
 * Compiles a Vega-Lite spec with `vega-lite` and renders it to an SVG string with a headless
 * `vega.View` (no DOM, no canvas, no network: all data is inline).
 */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  // Imported on first use: commands that read the report's tables but draw no chart skip loading them.
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders a chart to a standalone SVG string (labelled with its description, its ids prefixed
 * with the chart's id), by default with {@link renderVegaLiteSvg}.
 *
 * @example const svg = await renderChartSvg(learningCurveChart('training.loss', aggregates));
 */
export async function renderChartSvg(chart: ChartSpec, render: SvgRenderer = renderVegaLiteSvg): Promise<string> {
  const svg = await render(chart.spec);
  const labelled = svg.replace(/^<svg /, `<svg role="img" aria-label="${escapeAttribute(chart.description)}" `);
  return printable(prefixIds(labelled, chart.id));
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Renders every chart; ids must be unique (they become file names). In this thread one after
 * another; a given renderer (a worker thread) gets them all at once.
 */
export async function renderCharts(charts: readonly ChartSpec[], render?: SvgRenderer): Promise<RenderedChart[]> {
  if (render !== undefined)
    return Promise.all(charts.map(async (chart) => ({ ...chart, svg: await renderChartSvg(chart, render) })));
  const rendered: RenderedChart[] = [];
  for (const chart of charts) rendered.push({ ...chart, svg: await renderChartSvg(chart) });
  return rendered;
}
