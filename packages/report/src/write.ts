import type { Dirent } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
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

/** The files a report folder holds; anything else there means it is not (only) a report. */
const isReportFile = (name: string): boolean => name === 'index.html' || name === 'report.md' || name.endsWith('.svg');

/**
 * Checks that `target` is missing, or a folder holding only report files, so that replacing it
 * whole cannot delete anything else (say, `--out=.`).
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
  const foreign = entries.filter((entry) => !entry.isFile() || !isReportFile(entry.name)).map((entry) => entry.name);
  if (foreign.length > 0) {
    throw new ReportError(
      'IO',
      `out: ${outDir} holds ${foreign.sort().join(', ')}, which is not part of a report; a report replaces its whole folder, so choose an empty folder or an earlier report's`,
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
 * temporary folder is removed. `outDir` must be missing, empty, or hold only a report
 * (index.html, report.md, *.svg), since it is replaced whole; otherwise this throws `IO`.
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
