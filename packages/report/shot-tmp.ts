// temporary review helper (not committed): screenshots of each figure at full resolution
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
const [file, out] = process.argv.slice(2) as [string, string];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(pathToFileURL(file).href);
let i = 0;
for (const f of await page.locator('figure, table, section#claims, section#comparison').all()) { await f.screenshot({ path: `${out}-${String(i++).padStart(2, '0')}.png` }); }
await browser.close();
