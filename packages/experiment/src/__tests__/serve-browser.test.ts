import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAUNCHER } from './outside-definition.js';

/**
 * `losslab serve` in real headless Chromium (Debian's, as the report's browser check): the test
 * starts the server and a small run as `losslab` processes, and watches the page as a user would —
 * the run appears as running, its epochs arrive one by one on the live curves, it completes; a
 * point's value shows on hover; a run is toggled from the legend; the report page draws the
 * report's own charts interactively; traversal URLs are 404; nothing breaks the page's
 * Content-Security-Policy. Skipped (with a notice) only where Chromium is missing and
 * LOSSLAB_REQUIRE_BROWSER is not 1, as the report's browser check.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(fileURLToPath(import.meta.url), '../../../../..');

const mode = existsSync(CHROMIUM) ? 'run' : process.env.LOSSLAB_REQUIRE_BROWSER === '1' ? 'fail' : 'skip';
if (mode === 'skip')
  console.warn(`NOTICE: browser check of losslab serve skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A killed run of variant sgd that finished 3 epochs: a second line on the curves, to toggle. */
function killedRun(runsDir: string): void {
  const runId = '2020-01-01T00-00-00-000Z-sgd-s0-1';
  const folder = join(runsDir, 'tiny-mnist-odd', runId);
  mkdirSync(folder, { recursive: true });
  // the pid of a process that has ended: the run's process is gone
  writeFileSync(
    join(folder, 'started.json'),
    JSON.stringify({
      runId,
      variant: 'sgd',
      startedAt: '2020-01-01T00:00:00.000Z',
      definitionHash: 'a'.repeat(64),
      seed: 0,
      backend: 'cpu',
      codeFingerprint: 'b'.repeat(64),
      pid: spawnSync(process.execPath, ['-e', '0']).pid,
    }),
  );
  const epoch = (n: number, loss: number) => ({ epoch: n, loss, seconds: 1, samplesPerSecond: 100 });
  writeFileSync(
    join(folder, 'progress.json'),
    JSON.stringify({
      schema: 'losslab.progress/1',
      runId,
      epochs: 4,
      epoch: 3,
      step: 47,
      steps: 47,
      epochStartedAt: '2020-01-01T00:00:02.000Z',
      updatedAt: '2020-01-01T00:00:03.000Z',
      history: [epoch(1, 2.25), epoch(2, 1.5), epoch(3, 1.125)],
    }),
  );
}

describe.skipIf(mode === 'skip')('losslab serve in headless Chromium', () => {
  let browser: Browser | undefined;
  let root: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    if (mode === 'fail')
      throw new Error(`${CHROMIUM} not found and LOSSLAB_REQUIRE_BROWSER=1: apt-get install -y chromium`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    root = mkdtempSync(join(tmpdir(), 'losslab-serve-browser-'));
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await browser?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Starts `losslab serve --port=0` and resolves to the address it printed. */
  async function startServer(runsDir: string, reportsDir: string): Promise<string> {
    const server = spawn(
      process.execPath,
      [LAUNCHER, 'serve', '--port=0', `--runs-dir=${runsDir}`, `--reports-dir=${reportsDir}`],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(server);
    let out = '';
    server.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    return new Promise((found, failed) => {
      server.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const address = /http:\/\/127\.0\.0\.1:\d+\//.exec(out)?.[0];
        if (address !== undefined) found(address);
      });
      server.on('exit', () => failed(new Error(`losslab serve ended: ${out}`)));
    });
  }

  /** `state|state text` of the row of `variant` as the page shows it now ('' while there is none). */
  async function stateOf(page: Page, variant: string): Promise<string> {
    const row = page.locator(`tr[data-variant="${variant}"]`).first();
    if ((await row.count()) === 0) return '';
    const [state, shown] = await Promise.all([row.getAttribute('data-state'), row.locator('td.state').textContent()]);
    return `${state ?? ''}|${shown ?? ''}`;
  }

  it('shows a run running epoch by epoch, then complete; hover values, legend toggles, the report, 404s', async () => {
    const runsDir = join(root, 'runs');
    const reportsDir = join(root, 'reports');
    killedRun(runsDir);
    const address = await startServer(runsDir, reportsDir);
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${address}?poll=100`);
    expect(await page.locator('h2').first().textContent()).toBe('tiny-mnist-odd');
    expect(await stateOf(page, 'sgd')).toBe('killed|killed after epoch 3 of 4');

    const run = spawn(
      process.execPath,
      [
        LAUNCHER,
        'run',
        'examples/tiny-mnist-odd.ts',
        '--variant=adam',
        '--seeds=0',
        '--epochs=4',
        '--set',
        'data.limit=2000',
        `--runs-dir=${runsDir}`,
        `--reports-dir=${reportsDir}`,
      ],
      { cwd: ROOT, env: { ...process.env, LOSSLAB_BACKEND: 'cpu' }, stdio: 'ignore' },
    );
    children.push(run);
    const ended = new Promise<number | null>((done) => run.on('exit', (code) => done(code)));

    // Watch the page (not the files): the states and point counts it shows, in order.
    const states: string[] = [];
    const counts: number[] = [];
    for (let polls = 0; polls < 1200; polls++) {
      const state = await stateOf(page, 'adam');
      const points = Number(await page.locator('.live-chart').getAttribute('data-points'));
      if (state !== '' && states[states.length - 1] !== state) states.push(state);
      if (counts[counts.length - 1] !== points) counts.push(points);
      if (state.startsWith('complete') && points === 7) break;
      if (run.exitCode !== null && run.exitCode !== 0) break;
      await sleep(50);
    }
    expect(await ended).toBe(0);
    // running first (with its epoch and, once an epoch is done, an ETA), complete last
    expect(states[0]).toMatch(/^running\|running, (starting|epoch [1-4] of 4)/);
    expect(states.some((state) => /^running\|running, epoch [2-4] of 4, ETA \d/.test(state))).toBe(true);
    expect(states[states.length - 1]).toBe('complete|complete, 4 epochs');
    // the killed run's 3 points, then the new run's epochs one by one: never fewer, some in between
    expect(counts[counts.length - 1]).toBe(7);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    expect(counts.filter((count) => count > 3 && count < 7).length).toBeGreaterThanOrEqual(2);

    // Hover: the point of the killed run's epoch 2 shows its value.
    const chart = page.locator('.live-chart');
    const point = chart.locator('.mark-symbol path[aria-label*="epoch: 2"][aria-label*="value: 1.5"]');
    await point.hover();
    const tooltip = page.locator('#chart-tooltip');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    const shown = await tooltip.textContent();
    expect(shown).toContain('run: sgd s0');
    expect(shown).toContain('epoch: 2');
    expect(shown).toContain('value: 1.5');

    // Legend: clicking "adam s0" keeps that run and fades the other.
    const opacityOf = (label: string) =>
      chart.locator(`.mark-symbol path[aria-label*="run: ${label}"]`).first().getAttribute('opacity').then(Number);
    expect(await opacityOf('sgd s0')).toBe(1);
    // a legend label takes no pointer events itself: the click lands on its legend entry, as a user's does
    const label = await chart.locator('.role-legend-label text', { hasText: 'adam s0' }).boundingBox();
    await page.mouse.click(label!.x + label!.width / 2, label!.y + label!.height / 2);
    await expect.poll(() => opacityOf('sgd s0')).toBeCloseTo(0.08, 5);
    expect(await opacityOf('adam s0')).toBe(1);

    // The experiment's report: the report's charts, redrawn interactively, with values on hover.
    await page.goto(`${address}experiment/tiny-mnist-odd`);
    await page.locator('body[data-charts-ready="true"]').waitFor();
    expect(await page.locator('h1').first().textContent()).toBe('losslab report: tiny-mnist-odd');
    expect(await page.locator('figure[data-chart] > svg').count()).toBe(0); // every static SVG replaced
    const curvePoint = page.locator('#chart-curve-training-loss path[aria-roledescription="point"]').last();
    await curvePoint.hover();
    await expect.poll(() => tooltip.textContent()).toMatch(/epoch: 4[\s\S]*mean: 0\.\d+/);

    // Only this server was asked for anything; the page broke no policy and logged no error.
    expect(requested.filter((url) => !url.startsWith(address))).toEqual([]);
    expect(problems).toEqual([]);

    // Traversal, encoded or not, and absolute paths: 404 (asked without the browser's normalising).
    for (const path of [
      'files/runs/..%2f..%2fetc%2fpasswd',
      'files/runs/%2e%2e/%2e%2e/etc/passwd',
      'files/runs/tiny-mnist-odd/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      'files/reports/%2Fetc%2Fpasswd',
      'files/runs//etc/passwd',
      'run/..%2f..%2f/etc',
      'files/runs/%252e%252e/x',
    ])
      expect((await page.request.get(`${address}${path}`)).status(), path).toBe(404);
    await context.close();
  }, 120_000);
});
