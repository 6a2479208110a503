import { join } from 'node:path';
import { claimSymbol, allClaimsPass } from './claims.js';
import { ReportError } from './errors.js';
import type { GroupBy } from './groups.js';
import { latestRuns, loadRuns } from './load.js';
import type { DeclaredPrimary } from './verdict.js';
import { writeReport } from './write.js';

/** Where {@link reportCommand} prints; replaceable in tests. */
export interface CommandOutput {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/** Parsed flags of {@link reportCommand}. */
export interface ReportCommandOptions {
  readonly experiment?: string;
  readonly runIds?: readonly string[];
  readonly runsDir: string;
  readonly out: string;
  readonly check: boolean;
  readonly groupBy: GroupBy;
  readonly baseline?: string;
  /** Primary metrics of the verdict, as `--primary=macroF1,loss:lower` (default: per evaluation kind). */
  readonly primary?: readonly DeclaredPrimary[];
}

export const REPORT_USAGE = `usage: report (--experiment=<name> | --runs=<id>,<id>...) [options]
  --experiment=<name>   all complete runs of runs/<name>, grouped by variant
  --runs=<id>,<id>      compare these stored runs (labels include the commit or run id)
  --runs-dir=<dir>      where runs are stored (default: runs)
  --out=<dir>           output folder (default: reports/<experiment>, or reports/compare with --runs)
  --group-by=<how>      variant | commit | run | auto (default: variant; auto with --runs)
  --baseline=<label>    the group the others are compared with
  --primary=<m>[:dir],… primary metrics of the verdict, e.g. macroF1,loss:lower
                        (default: the definition's report.primary, recorded with its runs;
                        else per evaluation kind)
  --check               exit with code 1 unless every claim holds and the variants
                        differ only in their overrides (same data, epochs, code)`;

const FLAGS = new Set(['experiment', 'runs', 'runs-dir', 'out', 'group-by', 'baseline', 'primary', 'check', 'help']);

/** `macroF1,loss:lower` → primary metrics with their direction (absent: the metric's default). */
function parsePrimary(text: string): DeclaredPrimary[] {
  return text.split(',').map((part) => {
    const [metric = '', direction, extra] = part.trim().split(':');
    if (
      metric === '' ||
      extra !== undefined ||
      (direction !== undefined && direction !== 'higher' && direction !== 'lower')
    )
      throw new ReportError(
        'INVALID_ARGUMENT',
        `--primary: expected <metric> or <metric>:higher or <metric>:lower, comma-separated, got "${part}"`,
      );
    return direction === undefined ? { metric } : { metric, direction };
  });
}

/**
 * Parses `--name=value` / `--name value` flags of the report command.
 *
 * @example parseReportArgs(['--experiment=blink', '--check']) // { experiment: 'blink', check: true, runsDir: 'runs', out: 'reports/blink', groupBy: 'variant' }
 */
export function parseReportArgs(argv: readonly string[]): ReportCommandOptions | 'help' {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    if (match === null)
      throw new ReportError('INVALID_ARGUMENT', `argument "${argument}": expected a flag such as --experiment=<name>`);
    const name = match[1] ?? '';
    if (!FLAGS.has(name))
      throw new ReportError(
        'INVALID_ARGUMENT',
        `--${name}: unknown flag; expected one of ${[...FLAGS].map((flag) => `--${flag}`).join(', ')}`,
      );
    let value = match[2];
    if (value === undefined && name !== 'check' && name !== 'help') {
      value = argv[index + 1];
      if (value === undefined || value.startsWith('--'))
        throw new ReportError('INVALID_ARGUMENT', `--${name}: expected a value`);
      index++;
    }
    values.set(name, value ?? 'true');
  }
  if (values.has('help')) return 'help';
  const experiment = values.get('experiment');
  const runIds = values
    .get('runs')
    ?.split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  if (experiment === undefined && runIds === undefined) {
    throw new ReportError('INVALID_ARGUMENT', 'expected --experiment=<name> or --runs=<id>,<id>');
  }
  if (runIds?.length === 0) throw new ReportError('INVALID_ARGUMENT', '--runs: expected at least one run id');
  const groupBy = values.get('group-by') ?? (runIds === undefined ? 'variant' : 'auto');
  if (!['variant', 'commit', 'run', 'auto'].includes(groupBy)) {
    throw new ReportError('INVALID_ARGUMENT', `--group-by: expected variant, commit, run or auto, got ${groupBy}`);
  }
  const check = values.get('check');
  if (check !== undefined && check !== 'true' && check !== 'false')
    throw new ReportError('INVALID_ARGUMENT', `--check: expected no value, got ${check}`);
  const baseline = values.get('baseline');
  const primary = values.get('primary');
  return {
    ...(experiment === undefined ? {} : { experiment }),
    ...(runIds === undefined ? {} : { runIds }),
    ...(baseline === undefined ? {} : { baseline }),
    ...(primary === undefined ? {} : { primary: parsePrimary(primary) }),
    runsDir: values.get('runs-dir') ?? 'runs',
    out:
      values.get('out') ??
      (runIds === undefined ? join('reports', experiment ?? 'report') : join('reports', 'compare')),
    check: check === 'true',
    groupBy: groupBy as GroupBy,
  };
}

const CONSOLE: CommandOutput = { log: (line) => console.log(line), error: (line) => console.error(line) };

/**
 * The `report` CLI: loads runs, writes `index.html`, `report.md` and the SVGs, prints the paths
 * written, the verdict, the claims and any skipped run, and resolves to the process exit code: 0, 1 when
 * `--check` is given and a claim did not pass (failed or could not be decided) or the variants
 * are not compared like with like (see `likeWithLike`), 2 on bad
 * arguments or when there is nothing to report.
 *
 * @example
 * process.exitCode = await reportCommand(['--experiment=blink', '--check']);
 */
export async function reportCommand(argv: readonly string[], output: CommandOutput = CONSOLE): Promise<number> {
  try {
    const options = parseReportArgs(argv);
    if (options === 'help') {
      output.log(REPORT_USAGE);
      return 0;
    }
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
      groupBy: options.groupBy,
      skipped,
      ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
      ...(options.primary === undefined ? {} : { primary: options.primary }),
    });
    for (const file of files) output.log(`wrote ${file}`);
    for (const mismatch of model.mismatches) output.error(`⚠ ${mismatch}`);
    for (const verdict of model.verdicts) output.log(verdict.sentence);
    for (const result of model.claims) output.log(`${claimSymbol(result.status)} ${result.statement}`);
    for (const comparison of model.comparisons) output.log(comparison.sentence);
    if (options.check && !allClaimsPass(model.claims)) {
      output.error('check failed: not every claim holds');
      return 1;
    }
    if (options.check && model.mismatches.length > 0) {
      output.error('check failed: the variants are not compared like with like');
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof ReportError) {
      output.error(`report: ${error.message}`);
      if (error.code === 'INVALID_ARGUMENT') output.error(REPORT_USAGE);
      return 2;
    }
    throw error;
  }
}
