import { formatValue, printable, sortMetrics } from '@losslab/report';
import type { RunsOptions } from './command-options.js';
import { describeState, headlineNumbers, listRuns, type RunStatus } from './run-state.js';

/** Metrics a row shows at most (the table stays one line per run). */
const METRICS_SHOWN = 4;

/** `accuracy 0.912  macroF1 0.880  loss 0.231`: the run's first metrics in the report's order. */
export function metricsText(status: RunStatus): string {
  const numbers = headlineNumbers(status);
  return sortMetrics(Object.keys(numbers))
    .slice(0, METRICS_SHOWN)
    .map((name) => `${name} ${formatValue(numbers[name] ?? Number.NaN)}`)
    .join('  ');
}

/** `3/10`: epochs finished of those planned. */
const epochsText = (status: RunStatus): string =>
  `${status.history.length}${status.epochs === undefined ? '' : `/${status.epochs}`}`;

/** Columns padded to their widest cell (the last one left as it is). */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The runs table of each experiment: state, variant, seed, epochs, metrics, run id.
 *
 * @example runsTable([{ experiment: 'blink', runs }]) // ['blink', '  state ...', ...]
 */
function runsTable(experiments: Awaited<ReturnType<typeof listRuns>>): string[] {
  const lines: string[] = [];
  for (const { experiment, runs } of experiments) {
    lines.push(`${experiment} (${runs.length} run${runs.length === 1 ? '' : 's'})`);
    const rows = [
      ['state', 'variant', 'seed', 'epochs', 'run', 'metrics'],
      ...runs.map((run) => [
        run.reason === undefined ? describeState(run) : run.state,
        run.variant ?? '?',
        run.seed === undefined ? '?' : String(run.seed),
        epochsText(run),
        run.runId,
        metricsText(run),
      ]),
    ];
    lines.push(...columns(rows).map((line) => `  ${line}`));
    // Reasons are long: one line each under the table rather than a column that widens every row.
    for (const run of runs) if (run.reason !== undefined) lines.push(`  ${run.runId}: ${describeState(run)}`);
    lines.push('');
  }
  return lines.map(printable);
}

/** `losslab runs`: prints the runs table; exit 0, or 2 when there are no runs to show. */
export async function runsCommand(options: RunsOptions, log: (line: string) => void = console.log): Promise<number> {
  const experiments = await listRuns(options.runsDir, options.experiment);
  if (experiments.length === 0) {
    console.error(
      `error: no runs found in ${options.runsDir}${options.experiment === undefined ? '' : `/${options.experiment}`}`,
    );
    return 2;
  }
  for (const line of runsTable(experiments)) log(line);
  return 0;
}
