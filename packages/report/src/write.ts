import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtml } from './html';
import { chartFileName, renderMarkdown } from './markdown';
import { buildReport, type BuildReportOptions, type ReportModel } from './model';
import type { RunRecord } from './record';

/** What {@link writeReport} wrote. */
export interface WrittenReport {
  readonly model: ReportModel;
  /** Absolute-or-relative paths as given by `outDir`: index.html, report.md, then the SVGs. */
  readonly files: readonly string[];
}

/** Writes `text` to `path` through a temporary file and a rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Builds the report of `records` and writes `outDir/index.html` (self-contained),
 * `outDir/report.md` and one `outDir/<chart>.svg` per chart for the Markdown, each through a
 * temporary file and a rename. SVGs are written before the pages that reference them.
 *
 * @example
 * const { records, skipped } = await loadRuns('runs', { experiment: 'blink' });
 * const { files, model } = await writeReport(records, 'reports/blink', { skipped });
 */
export async function writeReport(records: readonly RunRecord[], outDir: string, options: BuildReportOptions = {}): Promise<WrittenReport> {
  const model = await buildReport(records, options);
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  for (const chart of model.charts) {
    const path = join(outDir, chartFileName(chart.id));
    await writeFileAtomic(path, `<?xml version="1.0" encoding="UTF-8"?>\n${chart.svg}\n`);
    files.push(path);
  }
  const markdown = join(outDir, 'report.md');
  const html = join(outDir, 'index.html');
  await writeFileAtomic(markdown, renderMarkdown(model));
  await writeFileAtomic(html, renderHtml(model));
  return { model, files: [html, markdown, ...files] };
}
