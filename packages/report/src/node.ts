/**
 * `@losslab/report/node`: what reads and writes files — loading run records from a runs folder,
 * writing a report (all or nothing), and the report command. Building and rendering a report
 * from records is on the main entry, `@losslab/report`, which also runs in browsers.
 */
export { loadRuns, formatDecodeErrors, latestRuns } from './load.js';
export type { LatestRuns, LoadedRuns, LoadRunsOptions, SkippedRun, SkipReason } from './load.js';
export { writeReport, REPORT_MARKER } from './write.js';
export type { WrittenReport } from './write.js';
export { reportCommand } from './command.js';
export type { CommandOutput, ReportCommandOptions } from './command.js';
export { loadPredictions } from './load-predictions.js';
export type { LoadedPredictions } from './load-predictions.js';
export { startChartThread } from './chart-thread.js';
export type { ChartThread } from './chart-thread.js';
