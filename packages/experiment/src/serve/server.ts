import { readFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildReport, renderHtml } from '@losslab/report';
import { latestRuns, loadRuns } from '@losslab/report/node';
import type { RunRecord } from '@losslab/schema';
import { messageOf } from '../message.js';
import { readRunText } from '../run-files.js';
import { listRuns, readRunStatus, type RunStatus } from '../run-state.js';
import { CLIENT_JS, SERVE_CSS } from './client.js';
import { indexPage, messagePage, reportsPage, runLabel, runPage, runsTableHtml, servedReport } from './pages.js';
import { contentType, plainSegments, readServedFile } from './served-file.js';

/**
 * `losslab serve` on `node:http`: a handful of read-only GET routes need no framework, and
 * `node:http` keeps every request's path handling in view here (each one goes through
 * `served-file.ts` or names a run by plain segments). Nothing here writes, moves or deletes.
 */

/** The folders a server reads. */
export interface ServeFolders {
  readonly runsDir: string;
  readonly reportsDir: string;
}

/**
 * Everything a page may load comes from this server; no inline script, no eval (vega runs with its
 * expression interpreter), no frames, no form posts elsewhere. Inline styles are allowed: the
 * report's own `<style>` and the style attributes vega's SVG renderer writes; they cannot run code.
 */
/** @internal exported for its tests */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const requireHere = createRequire(import.meta.url);
/** The `build/` folder of a vega package: where its main entry is (their exports hide package.json). */
const buildFolder = (name: string): string => dirname(requireHere.resolve(name));

/** The browser builds of vega and vega-lite, and vega's CSP-safe expression interpreter, from node_modules. */
function vendorAssets(): Map<string, string> {
  const interpreter = readFileSync(join(buildFolder('vega-interpreter'), 'vega-interpreter.js'), 'utf8');
  const importLine = "import { ascending, isString, DisallowedObjectProperties } from 'vega-util';";
  if (!interpreter.includes(importLine))
    throw new Error('vega-interpreter: its import of vega-util changed; the served copy cannot take them from vega');
  return new Map([
    ['vega.min.js', readFileSync(join(buildFolder('vega'), 'vega.min.js'), 'utf8')],
    ['vega-lite.min.js', readFileSync(join(buildFolder('vega-lite'), 'vega-lite.min.js'), 'utf8')],
    // The same functions from the vega build already on the page, so no bare import is left.
    [
      'vega-interpreter.js',
      interpreter.replace(importLine, 'const { ascending, isString, DisallowedObjectProperties } = globalThis.vega;'),
    ],
    ['serve.js', CLIENT_JS],
    ['serve.css', SERVE_CSS],
  ]);
}

const ASSET_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Loopback names a page may be asked for by (a DNS-rebinding page elsewhere uses its own name). */
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

/** What one request is answered with. */
interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string | Buffer;
}

function send(response: ServerResponse, { status, type, body }: Reply): void {
  response.writeHead(status, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const html = (body: string, status = 200): Reply => ({ status, type: 'text/html; charset=utf-8', body });
const json = (value: unknown): Reply => ({
  status: 200,
  type: 'application/json; charset=utf-8',
  body: JSON.stringify(value),
});
const plain = (status: number, body: string): Reply => ({ status, type: 'text/plain; charset=utf-8', body });
const NOT_FOUND = plain(404, 'not found\n');

/** `adam s0`, with `#2`, `#3` added where two runs would share a label. */
function uniqueLabels(runs: readonly RunStatus[]): Map<string, string> {
  const seen = new Map<string, number>();
  const labels = new Map<string, string>();
  for (const run of runs) {
    const label = runLabel(run);
    const count = (seen.get(label) ?? 0) + 1;
    seen.set(label, count);
    labels.set(run.runId, count === 1 ? label : `${label} #${count}`);
  }
  return labels;
}

/** Every finished epoch of every run of one experiment, one point per metric: what the live curves draw. */
function curvePoints(runs: readonly RunStatus[]): { metrics: string[]; points: object[] } {
  const labels = uniqueLabels(runs);
  const points: { run: string; epoch: number; metric: string; value: number }[] = [];
  for (const run of runs)
    for (const entry of run.history) {
      const run_ = labels.get(run.runId) ?? run.runId;
      points.push({ run: run_, epoch: entry.epoch, metric: 'loss', value: entry.loss });
      for (const [name, value] of Object.entries(entry.validation ?? {}))
        points.push({ run: run_, epoch: entry.epoch, metric: `validation.${name}`, value });
    }
  const metrics = [...new Set(points.map((point) => point.metric))];
  return { metrics: metrics.length === 0 ? ['loss'] : metrics, points };
}

/** Names of the plain sub-folders of `dir` (no links), sorted. */
async function subfolders(dir: string): Promise<string[]> {
  try {
    const names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
    const kept: string[] = [];
    for (const name of names) if ((await lstat(join(dir, name))).isDirectory()) kept.push(name);
    return kept;
  } catch {
    return [];
  }
}

/** `/experiment/<name>`: the report `losslab report --experiment` would write, served with interactive charts. */
async function experimentReport(folders: ServeFolders, experiment: string): Promise<string> {
  let loaded;
  try {
    loaded = await loadRuns(folders.runsDir, { experiment });
  } catch (error) {
    return messagePage(`report of ${experiment}`, messageOf(error));
  }
  const { records } = latestRuns(loaded.records);
  if (records.length === 0)
    return messagePage(
      `report of ${experiment}`,
      'No complete run yet: the report appears when the first run completes.',
    );
  const model = await buildReport(records, { skipped: loaded.skipped });
  return servedReport(renderHtml(model), model);
}

/** `/compare?run=<experiment>/<run id>&…`: the chosen complete runs compared, as `losslab report --runs` does. */
async function compareReport(folders: ServeFolders, chosen: readonly string[]): Promise<string> {
  const records: RunRecord[] = [];
  const problems: string[] = [];
  for (const choice of chosen) {
    const parts = plainSegments(choice.split('/').map((part) => encodeURIComponent(part)));
    const [experiment, runId] = parts ?? [];
    if (parts?.length !== 2 || experiment === undefined || runId === undefined) {
      problems.push(`${choice}: expected <experiment>/<run id>`);
      continue;
    }
    const status = await readRunStatus(folders.runsDir, experiment, runId);
    if (status.record === undefined) problems.push(`${choice}: not a complete run (${status.state})`);
    else records.push(status.record);
  }
  if (records.length === 0)
    return messagePage(
      'comparison',
      problems.length === 0 ? 'Choose complete runs on the runs page.' : problems.join('; '),
    );
  const model = await buildReport(records, { groupBy: 'auto', title: `losslab comparison of ${records.length} runs` });
  return servedReport(renderHtml(model), model);
}

/** The layers of a saved TF.js model.json, as table rows; undefined when there is none or it cannot be read. */
async function modelLayers(folder: string): Promise<string[][] | undefined> {
  let topology: unknown;
  try {
    topology = (JSON.parse(await readRunText(join(folder, 'model.json'))) as { modelTopology?: unknown }).modelTopology;
  } catch {
    return undefined;
  }
  // TF.js writes the topology itself (`config.layers`); Keras files wrap it in `model_config`
  const shape = topology as
    { config?: { layers?: unknown }; model_config?: { config?: { layers?: unknown } } } | undefined;
  const config = shape?.model_config?.config ?? shape?.config;
  const layers = config?.layers;
  if (!Array.isArray(layers)) return undefined;
  const shown = (value: unknown): string => (value === undefined || value === null ? '' : JSON.stringify(value));
  const name = (value: unknown): string => (typeof value === 'string' ? value : '');
  return layers.map((layer: { class_name?: unknown; config?: Record<string, unknown> }) => [
    name(layer.config?.name),
    name(layer.class_name),
    shown(layer.config?.units),
    typeof layer.config?.activation === 'string' ? layer.config.activation : '',
    shown(layer.config?.batch_input_shape),
  ]);
}

/** `/run/<experiment>/<run id>[?against=<run id>]`. */
async function runPageOf(folders: ServeFolders, experiment: string, runId: string, against: string | null) {
  const status = await readRunStatus(folders.runsDir, experiment, runId);
  const folder = join(folders.runsDir, experiment, runId);
  const [all] = await listRuns(folders.runsDir, experiment);
  const others = (all?.runs ?? []).filter((run) => run.record !== undefined);
  const definitionHash = status.record?.definitionHash ?? (await startedHash(folder));
  const settings = status.record ?? others.find((run) => run.record?.definitionHash === definitionHash)?.record;
  const files: { name: string; bytes: number }[] = [];
  for (const name of (await readdir(folder).catch(() => [])).sort()) {
    const info = await lstat(join(folder, name)).catch(() => undefined);
    if (info?.isFile() === true) files.push({ name, bytes: info.size });
  }
  const other = against === null ? undefined : others.find((run) => run.runId === against)?.record;
  const layers = await modelLayers(folder);
  return runPage({
    status,
    others,
    files,
    ...(settings === undefined ? {} : { settings }),
    ...(other === undefined ? {} : { against: other }),
    ...(layers === undefined ? {} : { layers }),
  });
}

async function startedHash(folder: string): Promise<string | undefined> {
  try {
    const started = JSON.parse(await readRunText(join(folder, 'started.json'))) as { definitionHash?: unknown };
    return typeof started.definitionHash === 'string' ? started.definitionHash : undefined;
  } catch {
    return undefined;
  }
}

/** The reply to one request; every route only reads. */
async function reply(folders: ServeFolders, assets: Map<string, string>, request: IncomingMessage): Promise<Reply> {
  const address = new URL(request.url ?? '/', 'http://localhost');
  // The raw path, split before decoding: an encoded "/" never becomes a separator.
  const [head, ...rest] = address.pathname.split('/').slice(1);
  if (head === '' && rest.length === 0) return html(indexPage(folders.runsDir, await listRuns(folders.runsDir)));
  const segments = plainSegments(rest);
  if (segments === undefined) return NOT_FOUND;
  const [first, second] = segments;
  switch (head) {
    case 'assets': {
      const body = first === undefined || segments.length !== 1 ? undefined : assets.get(first);
      const type = first === undefined ? undefined : ASSET_TYPES[first.slice(first.lastIndexOf('.'))];
      return body === undefined || type === undefined ? NOT_FOUND : { status: 200, type, body };
    }
    case 'api': {
      if (first === 'tables' && segments.length === 1) {
        const experiments = await listRuns(folders.runsDir);
        return json(Object.fromEntries(experiments.map(({ experiment, runs }) => [experiment, runsTableHtml(runs)])));
      }
      if (first !== 'curves' || segments.length !== 1) return NOT_FOUND;
      const experiment = plainSegments([encodeURIComponent(address.searchParams.get('experiment') ?? '')])?.[0];
      if (experiment === undefined) return NOT_FOUND;
      const [found] = await listRuns(folders.runsDir, experiment);
      return json(curvePoints(found?.runs ?? []));
    }
    case 'experiment':
      return first === undefined || segments.length !== 1 ? NOT_FOUND : html(await experimentReport(folders, first));
    case 'compare':
      return segments.length === 0 ? html(await compareReport(folders, address.searchParams.getAll('run'))) : NOT_FOUND;
    case 'run': {
      if (first === undefined || second === undefined || segments.length !== 2) return NOT_FOUND;
      if ((await lstat(join(folders.runsDir, first, second)).catch(() => undefined)) === undefined) return NOT_FOUND;
      return html(await runPageOf(folders, first, second, address.searchParams.get('against')));
    }
    case 'reports':
      return segments.length === 0
        ? html(reportsPage(folders.reportsDir, await subfolders(folders.reportsDir)))
        : NOT_FOUND;
    case 'files': {
      if ((first !== 'runs' && first !== 'reports') || segments.length < 2) return NOT_FOUND;
      const body = await readServedFile(first === 'runs' ? folders.runsDir : folders.reportsDir, rest.slice(1));
      return body === undefined
        ? NOT_FOUND
        : { status: 200, type: contentType(segments[segments.length - 1] ?? ''), body };
    }
    default:
      return NOT_FOUND;
  }
}

/**
 * A server of the runs and reports folders (not yet listening). `loopbackOnly`: answer only
 * requests addressed to a loopback name, so a web page elsewhere cannot reach it by DNS rebinding.
 *
 * @example const server = serveRuns({ runsDir: 'runs', reportsDir: 'reports' }, true); server.listen(6070, '127.0.0.1');
 */
export function serveRuns(folders: ServeFolders, loopbackOnly: boolean): Server {
  const assets = vendorAssets();
  return createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') send(response, plain(405, 'only GET\n'));
    else if (loopbackOnly && !LOOPBACK_HOST.test(request.headers.host ?? ''))
      send(response, plain(421, 'this server answers only to 127.0.0.1 and localhost\n'));
    else
      reply(folders, assets, request).then(
        (answer) => send(response, answer),
        (error: unknown) => send(response, html(messagePage('error', messageOf(error)), 500)),
      );
  });
}
