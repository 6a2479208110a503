import type { Dirent } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ReportError } from './errors.js';
import { renderHtml } from './html.js';
import { chartFileName, renderMarkdown } from './markdown.js';
import { buildReport, type BuildReportOptions, type ReportModel } from './model.js';
import type { RunRecord } from '@losslab/schema';

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  readonly model: ReportModel;
  /** Paths under `outDir` as given (absolute or relative): index.html, report.md, then the SVGs. */
  readonly files: readonly string[];
}

/**
 * The file losslab writes into every report folder, listing the files written with it. A folder
 * is replaced only when it carries this marker (and nothing the marker does not list), so a
 * folder of the user's that merely looks like a report is never deleted.
 */
export const REPORT_MARKER = '.losslab-report';

/** The first line of {@link REPORT_MARKER}; the file names written follow, one a line. */
const MARKER_HEADING = 'losslab report folder: replaced whole by the next report written here';

/** The chart SVG names losslab gives (see `chartFileName`): the chart kinds of `charts.ts`. */
const CHART_FILE = /^(?:curve|confusion|counts|epochs-to-target)-[a-z0-9]+(?:-[a-z0-9]+)*\.svg$/;

/**
 * Whether `names` is exactly what a report written before the marker existed holds: index.html,
 * report.md, and SVGs each named like a losslab chart and shown by report.md as an image.
 */
async function isUnmarkedReport(target: string, names: readonly string[]): Promise<boolean> {
  if (!names.includes('index.html') || !names.includes('report.md')) return false;
  const charts = names.filter((name) => name !== 'index.html' && name !== 'report.md');
  if (!charts.every((name) => CHART_FILE.test(name))) return false;
  const markdown = await readFile(join(target, 'report.md'), 'utf8');
  const shown = new Set([...markdown.matchAll(/!\[[^\]\n]*\]\(([^)\s]+)\)/g)].map((match) => match[1]));
  return charts.every((name) => shown.has(name));
}

/** The file names a marker lists, or undefined when `target` has no marker (a regular file). */
async function markedFiles(target: string): Promise<Set<string> | undefined> {
  const path = join(target, REPORT_MARKER);
  const status = await lstat(path).catch(() => undefined);
  if (!status?.isFile()) return undefined;
  const [heading, ...names] = (await readFile(path, 'utf8')).split('\n');
  return heading === MARKER_HEADING ? new Set(names.filter((name) => name !== '')) : undefined;
}

/**
 * Checks that `target` is missing, empty, or a report folder losslab wrote, so that replacing it
 * whole cannot delete anything else (say, `--out=.`, or a user's site that holds an index.html).
 * A report folder carries {@link REPORT_MARKER} and only the files it lists; one written before
 * the marker existed is recognised by exactly the files such a report holds (see
 * {@link isUnmarkedReport}).
 */
async function requireReplaceable(target: string, outDir: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(target, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR')
      throw new ReportError('IO', `out: expected a folder for the report, but ${outDir} is a file`);
    throw error;
  }
  if (entries.length === 0) return;
  const marked = await markedFiles(target);
  const names = entries.filter((entry) => entry.name !== REPORT_MARKER).map((entry) => entry.name);
  const others = entries.filter((entry) => !entry.isFile() && entry.name !== REPORT_MARKER).map((entry) => entry.name);
  if (marked === undefined) {
    if (others.length === 0 && (await isUnmarkedReport(target, names))) return;
    throw new ReportError(
      'IO',
      `out: ${outDir} has no ${REPORT_MARKER} file, so it is not a folder losslab wrote a report into (it holds ${names.sort().join(', ')}); a report replaces its whole folder, so choose a missing or empty folder or an earlier report's`,
    );
  }
  const foreign = [...others, ...names.filter((name) => !marked.has(name) && !others.includes(name))];
  if (foreign.length > 0) {
    throw new ReportError(
      'IO',
      `out: ${outDir} holds ${foreign.sort().join(', ')}, which ${REPORT_MARKER} does not list as part of the report; a report replaces its whole folder, so move them away or choose another folder`,
    );
  }
}

/**
 * Puts the folder `staging` in the place of `target` with renames: the previous report (if any)
 * is moved aside, the new one moved in, then the previous one removed. If moving in fails, the
 * previous one is moved back. Readers see the old report or the new one, never a mix.
 */
async function swapIn(staging: string, target: string): Promise<void> {
  const previous = `${staging}-previous`;
  let movedAside = false;
  try {
    await rename(target, previous);
    movedAside = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await rename(staging, target);
  } catch (error) {
    if (movedAside) {
      await rename(previous, target).catch((restoreError: unknown) => {
        throw new ReportError(
          'IO',
          `out: could not move the new report in (${String(error)}) nor the previous one back (${String(restoreError)}); it is in ${previous}`,
        );
      });
    }
    throw error;
  }
  // The new report is in place; failing to delete the old copy must not report a failure.
  if (movedAside) await rm(previous, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Builds the report of `records` and writes `outDir/index.html` (self-contained),
 * `outDir/report.md` and one SVG per chart for the Markdown (named by {@link chartFileName}).
 * All or nothing: everything is written to a hidden temporary folder beside `outDir`, which then
 * replaces `outDir` by renames; if anything fails, the previous report stays as it was and the
 * temporary folder is removed. The folder also gets {@link REPORT_MARKER}, listing the files
 * written. `outDir` must be missing, empty, or a report folder (see `requireReplaceable`), since
 * it is replaced whole; otherwise this throws `IO` and touches nothing.
 *
 * @example
 * const { records, skipped } = await loadRuns('runs', { experiment: 'blink' });
 * const { files, model } = await writeReport(records, 'reports/blink', { skipped });
 */
export async function writeReport(
  records: readonly RunRecord[],
  outDir: string,
  options: BuildReportOptions = {},
): Promise<WrittenReport> {
  const model = await buildReport(records, options);
  const target = resolve(outDir);
  await requireReplaceable(target, outDir);
  await mkdir(dirname(target), { recursive: true });
  // Beside the target, so the final rename stays within one file system.
  const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  const charts = model.charts.map((chart) => ({ chart, name: chartFileName(chart.id) }));
  try {
    for (const { chart, name } of charts) {
      await writeFile(join(staging, name), `<?xml version="1.0" encoding="UTF-8"?>\n${chart.svg}\n`, 'utf8');
    }
    await writeFile(join(staging, 'report.md'), renderMarkdown(model), 'utf8');
    await writeFile(join(staging, 'index.html'), renderHtml(model), 'utf8');
    const written = ['index.html', 'report.md', ...charts.map(({ name }) => name)];
    await writeFile(join(staging, REPORT_MARKER), `${[MARKER_HEADING, ...written].join('\n')}\n`, 'utf8');
    await swapIn(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return {
    model,
    files: [join(outDir, 'index.html'), join(outDir, 'report.md'), ...charts.map(({ name }) => join(outDir, name))],
  };
}
