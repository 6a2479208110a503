/**
 * What the served pages run in the browser, sent as `/assets/serve.js` (a module; the page has no
 * inline script, so the Content-Security-Policy can forbid every script but the server's own).
 *
 * - Charts: the report's own Vega-Lite specs (and the live curves' spec below), compiled by
 *   vega-lite and run by vega with its expression *interpreter* (no `eval`, which the policy
 *   forbids), with values on hover and the variants toggled from the legend (click; shift-click
 *   adds one).
 * - Live: the index page polls the server (see `POLL_MS` in pages.ts for why polling) and swaps in
 *   the runs tables the server rendered, and new points into the live curves.
 */
export const CLIENT_JS = String.raw`
import { expressionInterpreter } from '/assets/vega-interpreter.js';

const vega = globalThis.vega;
const vegaLite = globalThis.vegaLite;

function formatted(value) {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  return String(value);
}

function tooltip(handler, event, item, value) {
  let box = document.getElementById('chart-tooltip');
  if (box === null) {
    box = document.createElement('div');
    box.id = 'chart-tooltip';
    box.setAttribute('role', 'tooltip');
    document.body.appendChild(box);
  }
  if (value === null || value === undefined || value === '') {
    box.hidden = true;
    return;
  }
  box.textContent = '';
  const entries = typeof value === 'object' ? Object.entries(value) : [['', value]];
  for (const [key, shown] of entries) {
    const line = document.createElement('div');
    line.textContent = key === '' ? formatted(shown) : key + ': ' + formatted(shown);
    box.appendChild(line);
  }
  box.hidden = false;
  box.style.left = event.pageX + 14 + 'px';
  box.style.top = event.pageY + 14 + 'px';
}

async function embed(container, spec) {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled, null, { ast: true }), {
    expr: expressionInterpreter,
    renderer: 'svg',
    hover: true,
  });
  view.tooltip(tooltip);
  view.initialize(container);
  await view.runAsync();
  return view;
}

/** The report's spec with hover values on every mark, the variants toggled from the legend, and larger confusion-matrix numbers. */
function interactive(spec) {
  const copy = structuredClone(spec);
  const units = Array.isArray(copy.layer) ? copy.layer : [copy];
  let bound = false;
  let hasText = false;
  for (const unit of units) {
    if (unit.mark === undefined) continue;
    const mark = typeof unit.mark === 'string' ? { type: unit.mark } : unit.mark;
    mark.tooltip = { content: 'data' };
    if (mark.type === 'text') {
      mark.fontSize = Math.max(mark.fontSize ?? 11, 13);
      hasText = true;
    }
    unit.mark = mark;
    const color = unit.encoding?.color;
    if (color !== undefined && color.field === 'variant' && color.type === 'nominal') {
      if (!bound) unit.params = [{ name: 'shown', select: { type: 'point', fields: ['variant'] }, bind: 'legend' }];
      bound = true;
      const opacity = typeof mark.opacity === 'number' ? mark.opacity : 1;
      unit.encoding.opacity = { condition: { param: 'shown', value: opacity }, value: opacity * 0.08 };
    }
  }
  if (hasText && typeof copy.width === 'number' && typeof copy.height === 'number') {
    copy.width = Math.round(copy.width * 1.5);
    copy.height = Math.round(copy.height * 1.5);
  }
  return copy;
}

async function reportCharts() {
  const data = document.getElementById('chart-specs');
  if (data === null) return;
  const specs = JSON.parse(data.textContent);
  for (const figure of document.querySelectorAll('figure[data-chart]')) {
    const spec = specs[figure.dataset.chart];
    const svg = figure.querySelector('svg');
    if (spec === undefined || svg === null) continue;
    const holder = document.createElement('div');
    holder.className = 'interactive-chart';
    svg.replaceWith(holder);
    await embed(holder, interactive(spec));
  }
  document.body.dataset.chartsReady = 'true';
}

/** The live curves of one experiment: one line per run, points on hover, runs toggled from the legend. */
function liveSpec(metric) {
  return {
    width: 560,
    height: 260,
    // the legend grows as runs appear: lay the chart out again on every update
    autosize: { type: 'pad', resize: true },
    data: { name: 'points' },
    layer: [
      {
        params: [{ name: 'shown', select: { type: 'point', fields: ['run'] }, bind: 'legend' }],
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
          color: { field: 'run', type: 'nominal', title: 'run', legend: { orient: 'bottom', direction: 'horizontal' } },
          opacity: { condition: { param: 'shown', value: 1 }, value: 0.08 },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, tooltip: { content: 'data' } },
        encoding: {
          x: { field: 'epoch', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          color: { field: 'run', type: 'nominal' },
          opacity: { condition: { param: 'shown', value: 1 }, value: 0.08 },
        },
      },
    ],
    config: { font: 'sans-serif', view: { stroke: null } },
  };
}

const live = new Map();

async function updateCurves(section) {
  const experiment = section.dataset.experiment;
  const response = await fetch('/api/curves?experiment=' + encodeURIComponent(experiment), { cache: 'no-store' });
  if (!response.ok) return;
  const curves = await response.json();
  let state = live.get(experiment);
  const select = section.querySelector('select.metric');
  if (select !== null && curves.metrics.join('\n') !== select.dataset.known) {
    const chosen = select.value || curves.metrics[0] || 'loss';
    select.textContent = '';
    for (const metric of curves.metrics) select.append(new Option(metric, metric, false, metric === chosen));
    select.dataset.known = curves.metrics.join('\n');
  }
  const metric = select?.value || 'loss';
  const points = curves.points.filter((point) => point.metric === metric);
  if (state === undefined || state.metric !== metric) {
    state?.view.finalize();
    const holder = section.querySelector('.live-chart');
    holder.textContent = '';
    const view = await embed(holder, liveSpec(metric));
    state = { view, metric, shown: '' };
    live.set(experiment, state);
  }
  const key = JSON.stringify(points);
  if (key !== state.shown) {
    state.shown = key;
    await state.view.data('points', points).runAsync();
  }
  section.querySelector('.live-chart').dataset.points = String(points.length);
}

async function updateTables() {
  const response = await fetch('/api/tables', { cache: 'no-store' });
  if (!response.ok) return;
  const tables = await response.json();
  const sections = [...document.querySelectorAll('section[data-experiment]')];
  const names = sections.map((section) => section.dataset.experiment);
  if (names.join('\n') !== Object.keys(tables).join('\n')) {
    location.reload();
    return;
  }
  for (const section of sections) {
    const holder = section.querySelector('.runs');
    const checked = new Set([...holder.querySelectorAll('input:checked')].map((input) => input.value));
    holder.innerHTML = tables[section.dataset.experiment];
    for (const input of holder.querySelectorAll('input[type=checkbox]')) input.checked = checked.has(input.value);
  }
}

async function watch() {
  // ?poll=MS asks for another interval (at least 100 ms), e.g. to watch fast runs
  const asked = Number(new URLSearchParams(location.search).get('poll'));
  const every = asked >= 100 ? asked : Number(document.body.dataset.pollMs);
  const sections = [...document.querySelectorAll('section[data-experiment]')];
  for (const section of sections) section.querySelector('select.metric')?.addEventListener('change', () => updateCurves(section));
  for (;;) {
    try {
      await updateTables();
      for (const section of sections) await updateCurves(section);
      document.body.dataset.updated = new Date().toISOString();
    } catch (error) {
      document.body.dataset.error = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

if (document.body.dataset.page === 'runs') watch();
else reportCharts();
`;

/** The served pages' own styles (the report pages keep the report's). */
export const SERVE_CSS = `
body { font-family: sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 28px 48px; background: #ffffff; }
nav.serve { max-width: 1180px; margin: 0 auto; padding: 8px 28px; background: #1d2330; font-size: 0.9rem; }
nav.serve a { color: #ffffff; margin-right: 16px; }
h1 { font-size: 1.5rem; margin: 4px 0 8px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d9dde5; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.9rem; }
th, td { border: 1px solid #d9dde5; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
td.num { font-variant-numeric: tabular-nums; }
.state-running { color: #1a6e2e; font-weight: bold; }
.state-failed, .state-unreadable { color: #b02a1a; }
.state-killed { color: #8a5a00; }
.note { color: #4a5366; font-size: 0.88rem; }
.live-chart { min-height: 60px; }
#chart-tooltip { position: absolute; z-index: 10; background: #ffffff; border: 1px solid #9aa3b5; padding: 4px 8px; font-size: 0.85rem; pointer-events: none; box-shadow: 0 1px 4px rgba(0,0,0,.2); }
.interactive-chart { display: block; }
`;
