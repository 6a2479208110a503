import { ReportError } from './errors.js';
import { printable } from './format.js';
import type { GroupBy } from './groups.js';
import { latestRuns, loadRuns } from './load.js';
import { loadPredictions } from './load-predictions.js';
import { printOutcome } from './outcome.js';
import type { DeclaredPrimary } from './verdict.js';
import { writeReport } from './write.js';

/** Where {@link reportCommand} prints; replaceable in tests. */
export interface CommandOutput {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/** What {@link reportCommand} reports, as `losslab report` reads it from its options. */
export interface ReportCommandOptions {
  /** All current runs of `<runsDir>/<experiment>`, grouped by variant. */
  readonly experiment?: string;
  /** These stored runs (their folder names), compared as given rather than only the current ones. */
  readonly runIds?: readonly string[];
  readonly runsDir: string;
  /** The folder the report is written to. */
  readonly out: string;
  /** Exit 1 unless every claim holds and the variants are compared like with like. */
  readonly check: boolean;
  readonly groupBy: GroupBy;
  /** The group label the others are compared with (default: the first group). */
  readonly baseline?: string;
  /** Primary metrics of the verdict, as `--primary=macroF1,loss:lower` (default: per evaluation kind). */
  readonly primary?: readonly DeclaredPrimary[];
}

const CONSOLE: CommandOutput = { log: (line) => console.log(line), error: (line) => console.error(line) };

/**
 * The work of `losslab report` (whose options the `losslab` command reads): loads runs, writes
 * `index.html`, `report.md` and the SVGs, prints the paths written, the verdict, the claims and
 * any skipped run, and resolves to the process exit code: 0, 1 when `check` is set and a claim did
 * not pass (failed or could not be decided) or the variants are not compared like with like (see
 * `likeWithLike`), 2 when the runs cannot be read or there is nothing to report.
 *
 * @example
 * process.exitCode = await reportCommand({ experiment: 'blink', runsDir: 'runs', out: 'reports/blink', groupBy: 'variant', check: true });
 */
export async function reportCommand(options: ReportCommandOptions, given: CommandOutput = CONSOLE): Promise<number> {
  // Every line printed may carry text from records: escaped once, here.
  const output: CommandOutput = {
    log: (line) => given.log(printable(line)),
    error: (line) => given.error(printable(line)),
  };
  try {
    const loaded = await loadRuns(options.runsDir, {
      ...(options.experiment === undefined ? {} : { experiment: options.experiment }),
      ...(options.runIds === undefined ? {} : { runIds: options.runIds }),
    });
    const { skipped } = loaded;
    // Explicit --runs are compared as given; otherwise only each variant's current runs.
    const latest = options.runIds === undefined ? latestRuns(loaded.records) : { records: loaded.records, leftOut: 0 };
    const records = latest.records;
    if (latest.leftOut > 0)
      output.log(
        `left out ${latest.leftOut} older run(s) made with other settings, code or backend (compare them with --runs)`,
      );
    for (const skip of skipped) output.error(`skipped ${skip.folder} (${skip.reason}): ${skip.errors.join('; ')}`);
    if (records.length === 0) {
      output.error(
        `no complete runs found in ${options.runsDir}${options.experiment === undefined ? '' : `/${options.experiment}`}`,
      );
      return 2;
    }
    const { files, model } = await writeReport(records, options.out, {
      ...(await loadPredictions(options.runsDir, records)),
      groupBy: options.groupBy,
      skipped,
      ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
      ...(options.primary === undefined ? {} : { primary: options.primary }),
    });
    for (const file of files) output.log(`wrote ${file}`);
    return printOutcome(model, { check: options.check, comparisons: true }, given);
  } catch (error) {
    if (error instanceof ReportError) {
      output.error(`report: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
