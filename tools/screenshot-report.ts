/**
 * Takes a full-page screenshot of a generated report in Debian's headless Chromium, to look at
 * what a reader sees: `npx tsx tools/screenshot-report.ts reports/blink` → test-artifacts/blink-report.png.
 */
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const reportDir = resolve(process.argv[2] ?? 'reports/mnist-odd');
const out = resolve(process.argv[3] ?? join('test-artifacts', `${basename(reportDir)}-report.png`));
mkdirSync(resolve(out, '..'), { recursive: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  await page.goto(pathToFileURL(join(reportDir, 'index.html')).href, { waitUntil: 'load' });
  await page.screenshot({ path: out, fullPage: true });
  console.log(out);
} finally {
  await browser.close();
}
