import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '@losslab/schema';
import { writeReport } from '../write.js';
import { blinkRecord, blinkRecords, classRecords, mnistRecord } from './fixtures.js';

/**
 * Opens generated reports in real headless Chromium (Debian's /usr/bin/chromium, as in CI) and
 * checks what a reader sees: every chart drew marks, nothing was fetched but the page itself,
 * the console stayed clean, and the verdict is the first section and fits the first screen (a
 * reader acts on it without scrolling). Screenshots go to <repo>/test-artifacts/report-<name>.png.
 */
const CHROMIUM = '/usr/bin/chromium';
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

const cases: { name: string; records: () => RunRecord[]; charts: number }[] = [
  // 2 variants × 3 seeds: 8 validation/training curves + 1 epochs-to-target chart.
  { name: 'blink', records: blinkRecords, charts: 9 },
  // One seed, two evaluation groups with a reference: 1 training curve + 2 × (confusion + counts).
  { name: 'mnist-odd', records: () => [mnistRecord()], charts: 5 },
  // One seed per variant: the report must still render and say no significance can be claimed.
  { name: 'one-seed', records: () => [blinkRecord('unweighted', 1), blinkRecord('class-weighted', 1)], charts: 9 },
  // 10 classes, 4 variants × 3 seeds with per-class results: 4 curves + one confusion matrix per
  // variant + the verdict's forest plot.
  { name: 'per-class', records: classRecords, charts: 9 },
];

/**
 * Whether this check runs: always when Chromium is installed; otherwise it is skipped with a
 * notice, unless LOSSLAB_REQUIRE_BROWSER=1 (set by .ci/run, which installs Chromium) makes a
 * missing browser a failure, so CI can never skip it silently.
 */
function browserCheck(env: Readonly<Record<string, string | undefined>>, installed: boolean): 'run' | 'skip' | 'fail' {
  if (installed) return 'run';
  return env.LOSSLAB_REQUIRE_BROWSER === '1' ? 'fail' : 'skip';
}

describe('browserCheck', () => {
  it('runs when Chromium is there, skips on a newcomer machine without it, fails where it is required', () => {
    expect(browserCheck({}, true)).toBe('run');
    expect(browserCheck({ LOSSLAB_REQUIRE_BROWSER: '1' }, true)).toBe('run');
    expect(browserCheck({}, false)).toBe('skip');
    expect(browserCheck({ LOSSLAB_REQUIRE_BROWSER: '0' }, false)).toBe('skip');
    expect(browserCheck({ LOSSLAB_REQUIRE_BROWSER: '1' }, false)).toBe('fail');
  });
});

const mode = browserCheck(process.env, existsSync(CHROMIUM));
if (mode === 'skip') {
  console.warn(
    `NOTICE: browser check of the HTML report skipped: ${CHROMIUM} not found. Install it with: apt-get install -y chromium`,
  );
}

describe.skipIf(mode === 'skip')('report in headless Chromium', () => {
  // undefined until beforeAll has launched it (afterAll runs even when the launch failed)
  let browser: Browser | undefined;
  let workDir: string;

  beforeAll(async () => {
    if (mode === 'fail')
      throw new Error(
        `${CHROMIUM} not found and LOSSLAB_REQUIRE_BROWSER=1: install it with apt-get install -y chromium`,
      );
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
    workDir = await mkdtemp(join(tmpdir(), 'losslab-report-browser-'));
    await mkdir(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it.each(cases)('$name: charts draw marks, no requests, no console errors', async ({ name, records, charts }) => {
    const outDir = join(workDir, name);
    await writeReport(records(), outDir);
    const pageUrl = pathToFileURL(join(outDir, 'index.html')).href;

    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
    const page = await context.newPage();
    const requests: string[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(pageUrl, { waitUntil: 'load' });

    // The verdict: first section, one bold headline per primary metric, whole within the first 900 px.
    expect(await page.locator('h2').first().textContent()).toBe('Verdict');
    const verdict = page.locator('section#verdict');
    const headlines = await verdict.locator('ul.verdict > li > strong').allTextContents();
    expect(headlines.length).toBeGreaterThan(0);
    for (const headline of headlines) expect(headline).toMatch(/^\S+ \((higher|lower) is better\): /);
    const box = await verdict.boundingBox();
    expect(box, 'the verdict section is visible').not.toBeNull();
    expect((box?.y ?? 0) + (box?.height ?? Infinity), 'the verdict ends within the first screen').toBeLessThanOrEqual(
      900,
    );

    // Per chart: how many path/rect marks inside Vega's mark groups have a non-zero box.
    const figures = page.locator('figure[data-chart]');
    expect(await figures.count()).toBe(charts);
    for (const figure of await figures.all()) {
      const id = await figure.getAttribute('data-chart');
      const visibleMarks = await figure.locator('g[class*="mark-"] path, g[class*="mark-"] rect').evaluateAll(
        // typed here: the tsconfig has no DOM lib, so playwright's Element type does not resolve
        (elements: { getBoundingClientRect(): { width: number; height: number } }[]) =>
          elements.filter((element) => {
            const box = element.getBoundingClientRect();
            return box.width > 0 && box.height > 0;
          }).length,
      );
      expect(visibleMarks, `chart ${id} drew no visible marks`).toBeGreaterThan(0);
      const axisTitles = await figure.locator('g.role-axis-title text').allTextContents();
      expect(axisTitles.length, `chart ${id} has no axis titles`).toBeGreaterThan(0);
      for (const title of axisTitles) expect(title, `chart ${id}: axis title "${title}" has no unit`).toMatch(/\(.+\)/);
    }

    await page.screenshot({ path: join(ARTIFACTS, `report-${name}.png`), fullPage: true });
    await context.close();

    expect(requests).toEqual([pageUrl]);
    expect(consoleErrors).toEqual([]);
  });
});
