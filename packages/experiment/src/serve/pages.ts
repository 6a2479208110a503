import {
  diffDefinitions,
  escapeHtml,
  flattenDefinition,
  formatValue,
  printable,
  type ReportModel,
} from '@losslab/report';
import type { EpochRecord, RunRecord } from '@losslab/schema';
import { describeState, type ExperimentRuns, type RunStatus } from '../run-state.js';
import { metricsText } from '../runs-command.js';

/**
 * The served pages as HTML strings. Every text that comes from a run folder is escaped here
 * (`text`), and no page carries an inline script or event handler: the script is
 * `/assets/serve.js`, which the Content-Security-Policy allows alone.
 */

/**
 * How often the index page asks for new epochs. Polling rather than server-sent events: a run
 * folder changes at most a few times a second, a poll is a few small file reads, and polling needs
 * no file watching (unreliable on network and container file systems) and no open connection per
 * tab; a page reconnects by itself when the server restarts.
 */
const POLL_MS = 500;

/** Escaped, with control characters made visible (text from run folders is not trusted). */
const text = (value: string): string => escapeHtml(printable(value));

const url = (...parts: string[]): string => parts.map((part) => encodeURIComponent(part)).join('/');

/** The link of a run's page. */
const runHref = (experiment: string, runId: string): string => `/run/${url(experiment, runId)}`;

/** One run's label in lists and curves: `adam s0`. */
export const runLabel = (status: RunStatus): string => `${status.variant ?? '?'} s${status.seed ?? '?'}`;

// The empty icon keeps the browser from asking for /favicon.ico.
const ASSETS = `<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/serve.css">
<script src="/assets/vega.min.js"></script>
<script src="/assets/vega-lite.min.js"></script>
<script type="module" src="/assets/serve.js"></script>`;

const NAV = `<nav class="serve"><a href="/">runs</a><a href="/reports">written reports</a></nav>`;

/** A page of the server's own: the shell around `body`. */
function page(title: string, kind: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title>
${ASSETS}
</head>
<body data-page="${kind}" data-poll-ms="${POLL_MS}">
${NAV}
<main>
${body}
</main>
</body>
</html>
`;
}

/** The runs table of one experiment (also sent alone to the polling page). */
export function runsTableHtml(runs: readonly RunStatus[]): string {
  if (runs.length === 0) return '<p class="note">no runs yet</p>';
  const rows = runs.map((run) => {
    const comparable = run.state === 'complete';
    return `<tr data-run="${text(run.runId)}" data-variant="${text(run.variant ?? '')}" data-state="${run.state}">
<td><input type="checkbox" name="run" value="${text(`${run.experiment}/${run.runId}`)}" form="compare"${comparable ? '' : ' disabled title="only complete runs are compared"'}></td>
<td class="state state-${run.state}">${text(describeState(run))}</td>
<td>${text(run.variant ?? '?')}</td>
<td class="num">${run.seed ?? '?'}</td>
<td class="num">${run.history.length}${run.epochs === undefined ? '' : ` / ${run.epochs}`}</td>
<td class="num">${text(metricsText(run))}</td>
<td><a href="${runHref(run.experiment, run.runId)}">${text(run.runId)}</a></td>
</tr>`;
  });
  return `<table class="runs-table">
<thead><tr><th>compare</th><th>state</th><th>variant</th><th>seed</th><th>epochs</th><th>metrics</th><th>run</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** `/`: every experiment with its runs, live curves and a link to its report. */
export function indexPage(runsDir: string, experiments: readonly ExperimentRuns[]): string {
  const sections = experiments.map(
    ({ experiment, runs }) => `<section data-experiment="${text(experiment)}">
<h2>${text(experiment)}</h2>
<p><a href="/experiment/${url(experiment)}">report of ${text(experiment)}</a> (the same content as its index.html, with interactive charts)</p>
<div class="runs">${runsTableHtml(runs)}</div>
<p><label>curve: <select class="metric"><option value="loss">loss</option></select></label> <span class="note">hover a point for its value; click a legend entry to show one run (shift-click adds one)</span></p>
<div class="live-chart"></div>
</section>`,
  );
  const body = `<h1>losslab runs</h1>
<p class="note">Runs in ${text(runsDir)}, updated as epochs finish. Tick complete runs and compare them:</p>
<form id="compare" action="/compare" method="get"><button type="submit">compare the chosen runs</button></form>
${experiments.length === 0 ? '<p>No experiments found yet.</p>' : sections.join('\n')}`;
  return page('losslab runs', 'runs', body);
}

/** `/reports`: links to the written reports (index.html of each report folder). */
export function reportsPage(reportsDir: string, folders: readonly string[]): string {
  const items = folders.map(
    (folder) => `<li><a href="/files/reports/${url(folder, 'index.html')}">${text(folder)}</a></li>`,
  );
  return page(
    'losslab reports',
    'reports',
    `<h1>Written reports</h1><p class="note">in ${text(reportsDir)}</p>${items.length === 0 ? '<p>none</p>' : `<ul>${items.join('\n')}</ul>`}`,
  );
}

/** A message page (not found, unreadable, nothing to report yet). */
export function messagePage(title: string, message: string): string {
  return page(title, 'message', `<h1>${text(title)}</h1><p>${text(message)}</p>`);
}

/**
 * A report rendered by the report package (`renderHtml` of its one model) served with the
 * navigation, the assets and each chart's Vega-Lite spec, which `/assets/serve.js` turns into an
 * interactive chart in place of its static SVG. Nothing of the report is rendered here.
 */
export function servedReport(html: string, model: ReportModel): string {
  const specs = Object.fromEntries([...model.charts, ...model.forest].map((chart) => [chart.id, chart.spec]));
  // A JSON data block is never run; "<" escaped so no text in it can close the element.
  const data = `<script type="application/json" id="chart-specs">${JSON.stringify(specs).replace(/</g, '\\u003c')}</script>`;
  return html
    .replace('</head>', `${ASSETS}\n</head>`)
    .replace(/<body([^>]*)>/, `<body$1 data-page="report">\n${NAV}\n${data}`);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table>
<thead><tr>${header.map((cell) => `<th>${text(cell)}</th>`).join('')}</tr></thead>
<tbody>
${rows.map((row) => `<tr>${row.map((cell, index) => (index === 0 ? `<th>${text(cell)}</th>` : `<td class="num">${text(cell)}</td>`)).join('')}</tr>`).join('\n')}
</tbody>
</table>`;
}

/** The history as a table: epoch, loss, seconds, samples/s, learning rate, each validation metric. */
function historyTable(history: readonly EpochRecord[]): string {
  if (history.length === 0) return '<p class="note">no finished epoch yet</p>';
  const metrics = [...new Set(history.flatMap((entry) => Object.keys(entry.validation ?? {})))];
  const scheduled = history.some((entry) => entry.learningRate !== undefined);
  return table(
    [
      'epoch',
      'loss',
      'seconds',
      'samples/s',
      ...(scheduled ? ['learning rate'] : []),
      ...metrics.map((m) => `validation.${m}`),
    ],
    history.map((entry) => [
      String(entry.epoch),
      formatValue(entry.loss),
      entry.seconds.toFixed(2),
      formatValue(entry.samplesPerSecond),
      ...(scheduled ? [entry.learningRate === undefined ? '' : String(entry.learningRate)] : []),
      ...metrics.map((m) => {
        const value = entry.validation?.[m];
        return value === undefined ? '' : formatValue(value);
      }),
    ]),
  );
}

/** What a run page shows besides its status. */
export interface RunPageParts {
  readonly status: RunStatus;
  /** Its settings: its record's definition, or a complete run's with the same settings hash. */
  readonly settings?: RunRecord;
  /** The other complete runs of its experiment, to diff against. */
  readonly others: readonly RunStatus[];
  readonly against?: RunRecord;
  /** The layers of its saved model (from its model.json), when it has one. */
  readonly layers?: readonly (readonly string[])[];
  /** Its files: name and size in bytes. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
}

/** `/run/<experiment>/<run id>`: settings, the diff against another run, history, model summary, files. */
export function runPage({ status, settings, others, against, layers, files }: RunPageParts): string {
  const settingsHtml =
    settings === undefined
      ? '<p class="note">Its settings are recorded when it completes.</p>'
      : `${settings.runId === status.runId ? '' : `<p class="note">From ${text(settings.runId)}, a complete run with the same settings hash.</p>`}${table(
          ['setting', 'value'],
          [...flattenDefinition(settings.definition)].map(([path, value]) => [path, value]),
        )}`;
  const options = others
    .filter((other) => other.runId !== status.runId)
    .map(
      (other) =>
        `<option value="${text(other.runId)}"${other.runId === against?.runId ? ' selected' : ''}>${text(`${runLabel(other)} · ${other.runId}`)}</option>`,
    );
  let diffHtml = '';
  if (against !== undefined && settings !== undefined) {
    const differences = diffDefinitions([settings.definition, against.definition]);
    diffHtml =
      differences.length === 0
        ? '<p>Same settings.</p>'
        : table(
            ['setting', status.runId, against.runId],
            differences.map((difference) => [
              difference.path,
              difference.values[0] ?? '(absent)',
              difference.values[1] ?? '(absent)',
            ]),
          );
  }
  const diffForm =
    options.length === 0
      ? '<p class="note">No other complete run of this experiment to compare settings with.</p>'
      : `<form method="get"><label>against <select name="against">${options.join('')}</select></label> <button type="submit">show the differences</button></form>${diffHtml}`;
  const model =
    layers === undefined
      ? '<p class="note">No saved model (it is saved when the run completes).</p>'
      : table(['layer', 'class', 'units', 'activation', 'input shape'], layers);
  const fileList = files.map(
    (file) =>
      `<li><a href="/files/runs/${url(status.experiment, status.runId, file.name)}">${text(file.name)}</a> <span class="note">${file.bytes.toLocaleString('en-US')} bytes</span></li>`,
  );
  const record = status.record;
  const metrics =
    record === undefined
      ? ''
      : table(
          ['metric', 'value'],
          Object.entries(record.evaluation.metrics).map(([name, value]) => [name, formatValue(value)]),
        );
  const body = `<h1>${text(runLabel(status))} <span class="note">${text(status.experiment)} / ${text(status.runId)}</span></h1>
<p class="state-${status.state}">${text(describeState(status))}</p>
${metrics === '' ? '' : `<h2>Evaluation (${text(record?.evaluation.split ?? '')})</h2>\n${metrics}`}
<h2>History</h2>
${historyTable(status.history)}
<h2>Settings</h2>
${settingsHtml}
<h2>Settings compared with another run</h2>
${diffForm}
<h2>Model</h2>
${model}
<h2>Files</h2>
<ul>${fileList.join('\n')}</ul>`;
  return page(`${runLabel(status)} · ${status.runId}`, 'run', body);
}
