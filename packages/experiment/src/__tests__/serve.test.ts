import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, lstatSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '@losslab/runtime';
import { temporaryFolders } from '@losslab/test-utils';
import { request, type Server } from 'node:http';
import { resolveExperiment, runOne } from '../index.js';
import { CONTENT_SECURITY_POLICY, serveRuns } from '../serve/server.js';
import { tinyMnistOdd } from './fixtures.js';

/**
 * `losslab serve`'s server in this process, over real run folders: it reads and never writes,
 * serves nothing outside its two folders, and keeps answering when a run folder is corrupt.
 */
const folders = temporaryFolders('losslab-serve-');

/** Every entry under `dir` (links not followed): path, kind, size, mtime and content hash. */
function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const visit = (folder: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const info = lstatSync(path);
      const kind = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : 'file';
      const hash = kind === 'file' ? createHash('sha256').update(readFileSync(path)).digest('hex') : '';
      entries.push(`${path} ${kind} ${info.size} ${info.mtimeMs} ${hash}`);
      if (kind === 'dir') visit(path);
    }
  };
  visit(dir);
  return entries;
}

let server: Server;
let base: string;
let root: string;
let runIds: string[];

async function get(path: string): Promise<{ status: number; body: string; csp: string | null }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: await response.text(), csp: response.headers.get('content-security-policy') };
}

/** The status of `GET /` asked for under another host name (fetch may not set Host). */
const statusForHost = (host: string): Promise<number | undefined> =>
  new Promise((answered, failed) => {
    request(base, { headers: { host } }, (response) => {
      response.resume();
      answered(response.statusCode);
    })
      .on('error', failed)
      .end();
  });

beforeAll(async () => {
  root = folders.make();
  const runsDir = join(root, 'runs');
  const reportsDir = join(root, 'reports');
  const resolved = resolveExperiment(
    tinyMnistOdd({ variants: { masked: {}, wide: { train: { epochs: 2, batchSize: 128 } } } }),
    'fixture',
  );
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  const backend = await selectBackend({ requested: 'cpu' });
  runIds = [];
  for (const variant of resolved.right.variants) {
    const outcome = await runOne({ definition: resolved.right.definition, variant, seed: 0 }, { runsDir, backend });
    if (E.isLeft(outcome)) throw new Error(outcome.left.message);
    runIds.push(outcome.right.record.runId);
  }
  // a half-written run: started.json cut off mid-write
  mkdirSync(join(runsDir, 'tiny-mnist-odd', 'half'));
  writeFileSync(join(runsDir, 'tiny-mnist-odd', 'half', 'started.json'), '{"runId": "ha');
  // a secret beside the folders, and links from inside them to it
  writeFileSync(join(root, 'secret.txt'), 'not to be served');
  symlinkSync(join(root, 'secret.txt'), join(runsDir, 'tiny-mnist-odd', runIds[0]!, 'link.txt'));
  mkdirSync(reportsDir);
  symlinkSync(root, join(reportsDir, 'outside'));
  writeFileSync(join(reportsDir, 'note.md'), '# a report file\n');
  server = serveRuns({ runsDir, reportsDir }, true);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}, 60_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((closed) => server.close(closed));
});

describe('losslab serve (server)', () => {
  it('writes nothing: contents and mtimes of both folders are unchanged after a session of requests', async () => {
    const before = snapshot(root);
    const [first, second] = runIds as [string, string];
    const paths = [
      '',
      'api/tables',
      'api/curves?experiment=tiny-mnist-odd',
      'experiment/tiny-mnist-odd',
      `run/tiny-mnist-odd/${first}`,
      `run/tiny-mnist-odd/${first}?against=${second}`,
      'run/tiny-mnist-odd/half',
      `compare?run=tiny-mnist-odd/${first}&run=tiny-mnist-odd/${second}`,
      `files/runs/tiny-mnist-odd/${first}/record.json`,
      'files/reports/note.md',
      'reports',
      'assets/serve.js',
    ];
    for (const path of paths) expect((await get(path)).status, path).toBe(200);
    expect(snapshot(root)).toEqual(before);
  });

  it('serves nothing outside its folders: traversal, encoded traversal, absolute paths and links out are 404', async () => {
    const [first] = runIds as [string];
    for (const path of [
      'files/runs/..%2fsecret.txt',
      'files/runs/%2e%2e/secret.txt',
      'files/runs/%2E%2E%2Fsecret.txt',
      'files/runs/tiny-mnist-odd/%2e%2e/%2e%2e/secret.txt',
      'files/runs/%2Fetc%2Fpasswd',
      'files/runs//etc/passwd',
      'files/runs/%252e%252e/secret.txt',
      'files/runs/..%5csecret.txt',
      `files/runs/tiny-mnist-odd/${first}/link.txt`,
      'files/reports/outside/secret.txt',
      'files/runs/tiny-mnist-odd',
      'files/elsewhere/secret.txt',
      'run/..%2f..%2f/secret.txt',
      'experiment/..%2f',
      'assets/..%2fserver.ts',
    ]) {
      const { status, body } = await get(path);
      expect(status, path).toBe(404);
      expect(body).not.toContain('not to be served');
    }
    // the files themselves are there: a path the URL names properly is served
    expect((await get(`files/runs/tiny-mnist-odd/${first}/history.csv`)).body).toMatch(/^epoch,loss,/);
  });

  it('answers only to loopback names, with a policy that allows nothing but itself', async () => {
    expect(await statusForHost('attacker.example')).toBe(421);
    expect(await statusForHost('localhost')).toBe(200);
    const page = await get('');
    expect(page.csp).toBe(CONTENT_SECURITY_POLICY);
    expect(page.csp).toContain("script-src 'self'");
    expect(page.csp).not.toContain('unsafe-eval');
    expect(page.csp).toContain("default-src 'none'");
    // no inline script on any page: the only scripts are the server's files
    expect(page.body.match(/<script[^>]*>/g)).toEqual([
      '<script src="/assets/vega.min.js">',
      '<script src="/assets/vega-lite.min.js">',
      '<script type="module" src="/assets/serve.js">',
    ]);
  });

  it('shows a half-written run as unreadable with the reason, and keeps serving the others', async () => {
    const tables = JSON.parse((await get('api/tables')).body) as Record<string, string>;
    const table = tables['tiny-mnist-odd']!;
    expect(table).toContain('data-state="unreadable"');
    expect(table).toMatch(/started\.json: not JSON \([^)]*\): half-written or corrupt/);
    expect(table.match(/data-state="complete"/g)).toHaveLength(2);
    const page = await get('run/tiny-mnist-odd/half');
    expect(page.body).toContain('unreadable:');
  });

  it('a run page shows its settings, their differences from another run, its history, model and files', async () => {
    const [first, second] = runIds as [string, string];
    const { body } = await get(`run/tiny-mnist-odd/${first}?against=${second}`);
    expect(body).toContain('<th>train.batchSize</th><td class="num">64</td>');
    // the differences: epochs 1 vs 2, batch size 64 vs 128, and nothing else
    const diff = body.slice(body.indexOf('Settings compared with another run'), body.indexOf('<h2>Model</h2>'));
    expect(diff.match(/<tr><th>[^<]+<\/th>/g)).toEqual([
      '<tr><th>setting</th>',
      '<tr><th>train.batchSize</th>',
      '<tr><th>train.epochs</th>',
    ]);
    expect(diff).toContain('<td class="num">64</td><td class="num">128</td>');
    const history = body.slice(body.indexOf('<h2>History</h2>'), body.indexOf('<h2>Settings</h2>'));
    expect(history.match(/<tr><th>\d+<\/th>/g)).toEqual(['<tr><th>1</th>']);
    const model = body.slice(body.indexOf('<h2>Model</h2>'), body.indexOf('<h2>Files</h2>'));
    expect(model).toMatch(/<td class="num">Dense<\/td><td class="num">8<\/td><td class="num">relu<\/td>/);
    expect(body).toContain(`<a href="/files/runs/tiny-mnist-odd/${first}/record.json">record.json</a>`);
  });

  it('the report and the comparison pages are the report package’s HTML with the chart specs beside it', async () => {
    const report = await get('experiment/tiny-mnist-odd');
    expect(report.body).toContain('<h1>losslab report: tiny-mnist-odd</h1>');
    const specs = /<script type="application\/json" id="chart-specs">([^<]*)<\/script>/.exec(report.body)?.[1];
    const ids = Object.keys(JSON.parse(specs!) as object);
    const figures = [...report.body.matchAll(/<figure id="chart-[^"]+" data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    expect(figures.every((id) => ids.includes(id!))).toBe(true);
    const [first, second] = runIds as [string, string];
    const compare = await get(`compare?run=tiny-mnist-odd/${first}&run=tiny-mnist-odd/${second}`);
    expect(compare.body).toContain('losslab comparison of 2 runs');
    expect((await get('compare?run=tiny-mnist-odd/half')).body).toContain('not a complete run (unreadable)');
  });
});
