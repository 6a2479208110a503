import { Worker } from 'node:worker_threads';
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLiteSvg, type SvgRenderer } from './charts.js';

/**
 * A worker thread that renders the report's charts. Loading vega and vega-lite takes a few tenths
 * of a second of CPU; started when a command begins, the thread loads them on the other core while
 * the runs train, so the report only waits for the drawing. It runs what `renderVegaLiteSvg` runs,
 * on the same modules, so the SVG text is the same.
 */
export interface ChartThread {
  /** Renders one spec on the thread; if the thread cannot (it failed to start, or threw), in this thread instead. */
  readonly render: SvgRenderer;
  /** Resolves once vega is loaded and the warm-up charts are drawn (or skipped); never rejects. */
  readonly warmedUp: Promise<void>;
  /** Stops the thread (renders asked for afterwards run in this thread). */
  close(): void;
}

/**
 * Charts drawn while the thread waits, one at a time until the first real one arrives: the shapes
 * of the report's charts (a line with a band, a heatmap with text, grouped bars), so that V8 has
 * compiled vega's code paths by the time the report asks. Their SVGs are thrown away.
 */
const WARM_UP_SPECS = [
  {
    width: 300,
    height: 200,
    title: { text: 'warm-up', subtitle: 'curve' },
    data: {
      values: [
        { v: 'a', x: 1, m: 0.5, l: 0.4, h: 0.6 },
        { v: 'a', x: 2, m: 0.3, l: 0.2, h: 0.4 },
        { v: 'b', x: 1, m: 0.6, l: 0.5, h: 0.7 },
        { v: 'b', x: 2, m: 0.2, l: 0.1, h: 0.3 },
      ],
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.2 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'l', type: 'quantitative' },
          y2: { field: 'h' },
          color: { field: 'v', type: 'nominal' },
        },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'epoch' },
          y: { field: 'm', type: 'quantitative', title: 'loss' },
          color: { field: 'v', type: 'nominal', legend: { title: 'variant' } },
        },
      },
    ],
    config: { font: 'sans-serif', background: 'white', view: { stroke: null } },
  },
  {
    width: 200,
    height: 200,
    title: 'warm-up heatmap',
    data: {
      values: [
        { t: '0', p: '0', c: 5 },
        { t: '0', p: '1', c: 1 },
        { t: '1', p: '0', c: 2 },
        { t: '1', p: '1', c: 7 },
      ],
    },
    encoding: {
      x: { field: 'p', type: 'ordinal', sort: ['0', '1'] },
      y: { field: 't', type: 'ordinal', sort: ['0', '1'] },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'c', type: 'quantitative', scale: { scheme: 'blues' } } } },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'c', type: 'quantitative' },
          color: { condition: { test: 'datum.c > 4', value: 'white' }, value: 'black' },
        },
      },
    ],
    config: { font: 'sans-serif' },
  },
  {
    width: 300,
    height: 200,
    title: 'warm-up bars',
    data: {
      values: [
        { k: '0', s: 'a', n: 3 },
        { k: '0', s: 'b', n: 4 },
        { k: '1', s: 'a', n: 5 },
        { k: '1', s: 'b', n: 2 },
      ],
    },
    mark: 'bar',
    encoding: {
      x: { field: 'k', type: 'nominal', axis: { labelAngle: 0 } },
      xOffset: { field: 's', type: 'nominal' },
      y: { field: 'n', type: 'quantitative' },
      color: { field: 's', type: 'nominal', scale: { domain: ['a', 'b'], range: ['#4c78a8', '#f58518'] } },
    },
    config: { font: 'sans-serif' },
  },
];

/** The thread's code: CommonJS, given the modules' URLs so it needs no resolution of its own. */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const os = require('node:os');
// Loading and warming up give way to the runs on a busy machine (on Linux the nice value of
// this thread only); drawing the charts asked for goes back to normal where that is allowed.
const setPriority = (value) => {
  // Elsewhere the nice value is the whole process's.
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(value);
  } catch {}
};
setPriority(19);
const loaded = Promise.all([import(workerData.vega), import(workerData.vegaLite)]);
loaded.catch(() => {});
async function draw(spec) {
  const [vega, { compile }] = await loaded;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
let asked = false;
let first = true;
// One chart at a time, in the order asked, as renderCharts draws them in a thread of its own.
let queue = (async () => {
  for (let round = 0; round < workerData.warmUpRounds; round++)
    for (const spec of workerData.warmUp) {
      if (asked) return;
      await draw(spec);
    }
})()
  .catch(() => {})
  .then(() => parentPort.postMessage({ id: -1, warmedUp: true }));
parentPort.on('message', ({ id, spec }) => {
  asked = true;
  queue = queue.then(async () => {
    try {
      if (first) {
        // vega numbers gradients and clip paths per process: start as a fresh process would.
        first = false;
        setPriority(0);
        (await loaded)[0].resetSVGDefIds();
      }
      parentPort.postMessage({ id, svg: await draw(spec) });
    } catch (error) {
      parentPort.postMessage({ id, error: String(error) });
    }
  });
});
`;

interface Reply {
  readonly id: number;
  readonly warmedUp?: true;
  readonly svg?: string;
  readonly error?: string;
}

/**
 * Starts a chart thread; undefined where vega's modules cannot be located from here (then charts
 * render in this thread as before). With `warmUpRounds`, it draws {@link WARM_UP_SPECS} that many
 * times while idle (worth it before a run that trains for seconds on one core). The thread never
 * keeps the process alive by itself.
 */
export function startChartThread({ warmUpRounds = 0 }: { readonly warmUpRounds?: number } = {}):
  ChartThread | undefined {
  let modules: { vega: string; vegaLite: string };
  try {
    modules = { vega: import.meta.resolve('vega'), vegaLite: import.meta.resolve('vega-lite') };
  } catch {
    return undefined;
  }
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { ...modules, warmUp: WARM_UP_SPECS, warmUpRounds },
  });
  worker.unref();
  const pending = new Map<number, (reply: Reply) => void>();
  let next = 0;
  let usable = true;
  let warm: () => void = () => undefined;
  const warmedUp = new Promise<void>((done) => (warm = done));
  const settleAll = (): void => {
    usable = false;
    warm();
    for (const answer of pending.values()) answer({ id: -1, error: 'the chart thread stopped' });
    pending.clear();
    worker.unref();
  };
  worker.on('message', (reply: Reply) => {
    if (reply.warmedUp === true) {
      warm();
      return;
    }
    const answer = pending.get(reply.id);
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    answer?.(reply);
  });
  worker.on('error', settleAll);
  worker.on('exit', settleAll);
  const render: SvgRenderer = async (spec: TopLevelSpec) => {
    if (!usable) return renderVegaLiteSvg(spec);
    const id = next++;
    // Ref'd while a chart is drawn there: the command waits for it.
    worker.ref();
    const reply = await new Promise<Reply>((answer) => {
      pending.set(id, answer);
      try {
        worker.postMessage({ id, spec });
      } catch (error) {
        pending.delete(id);
        answer({ id, error: String(error) });
      }
    });
    // On any failure the chart is drawn here, which fails (if it does) with vega's own error.
    return reply.svg ?? renderVegaLiteSvg(spec);
  };
  return {
    render,
    warmedUp,
    close: () => {
      usable = false;
      void worker.terminate();
    },
  };
}
