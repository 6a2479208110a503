import { afterEach, describe, expect, it } from 'vitest';
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLiteSvg } from '../charts.js';
import { buildReport } from '../model.js';
import { blinkRecords, classRecords } from './fixtures.js';
import { startChartThread, type ChartThread } from '../chart-thread.js';

/** A heatmap with a quantitative colour legend (a gradient, numbered by vega per process) and a clipped layer. */
const heatmap = (title: string, counts: readonly number[]): TopLevelSpec =>
  ({
    width: 120,
    height: 120,
    title,
    data: { values: counts.map((count, i) => ({ truth: String(i % 2), predicted: String(i >> 1), count })) },
    encoding: { x: { field: 'predicted', type: 'ordinal' }, y: { field: 'truth', type: 'ordinal' } },
    layer: [
      { mark: { type: 'rect', clip: true }, encoding: { color: { field: 'count', type: 'quantitative' } } },
      { mark: 'text', encoding: { text: { field: 'count', type: 'quantitative' } } },
    ],
  }) as unknown as TopLevelSpec;

let thread: ChartThread | undefined;
afterEach(() => thread?.close());

describe('startChartThread', () => {
  it('draws the same SVG text as this thread, in the order asked, also after warming up', async () => {
    thread = startChartThread({ warmUpRounds: 1 });
    if (thread === undefined) return expect.fail('no chart thread: vega could not be located');
    // The warm-up drew gradients on the thread; ids must still start as in a fresh process.
    await thread.warmedUp;
    const specs = [heatmap('a', [1, 2, 3, 4]), heatmap('b', [4, 3, 2, 1]), heatmap('c', [0, 5, 0, 5])];
    const onThread = await Promise.all(specs.map((spec) => thread!.render(spec)));
    const { resetSVGDefIds } = await import('vega');
    resetSVGDefIds();
    const here: string[] = [];
    for (const spec of specs) here.push(await renderVegaLiteSvg(spec));
    expect(here[2]).toContain('gradient_2');
    expect(onThread).toEqual(here);
  });

  it('fails with vega’s own error for a spec vega rejects, and draws in this thread once closed', async () => {
    thread = startChartThread();
    if (thread === undefined) return expect.fail('no chart thread: vega could not be located');
    const broken = { mark: 'no-such-mark', data: { values: [] } } as unknown as TopLevelSpec;
    const inline = await renderVegaLiteSvg(broken).then(
      () => 'rendered',
      (error: unknown) => String(error),
    );
    expect(inline).toMatch(/^TypeError: /);
    await expect(thread.render(broken).catch((error: unknown) => String(error))).resolves.toBe(inline);
    thread.close();
    // Drawn here now: this process's gradient numbering goes on from where the last chart left it.
    const { resetSVGDefIds } = await import('vega');
    resetSVGDefIds();
    const afterClose = await thread.render(heatmap('d', [1, 1, 1, 1]));
    resetSVGDefIds();
    expect(afterClose).toBe(await renderVegaLiteSvg(heatmap('d', [1, 1, 1, 1])));
  });

  it('gives buildReport the same charts, forest plots included, in the same places as drawing here', async () => {
    thread = startChartThread({ warmUpRounds: 1 });
    if (thread === undefined) return expect.fail('no chart thread: vega could not be located');
    await thread.warmedUp;
    const { resetSVGDefIds } = await import('vega');
    for (const [records, forestPlots] of [
      [blinkRecords(), 0],
      [classRecords(), 1],
    ] as const) {
      const onThread = await buildReport(records, { renderSvg: thread.render });
      resetSVGDefIds();
      const here = await buildReport(records);
      resetSVGDefIds();
      expect(onThread.charts.length).toBeGreaterThan(3);
      expect(onThread.charts.map((chart) => [chart.id, chart.svg])).toEqual(
        here.charts.map((chart) => [chart.id, chart.svg]),
      );
      expect(onThread.forest).toHaveLength(forestPlots);
      expect(onThread.forest.map((chart) => [chart.id, chart.svg])).toEqual(
        here.forest.map((chart) => [chart.id, chart.svg]),
      );
    }
  });
});
