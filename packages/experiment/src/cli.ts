import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { allClaimsPass, claimSymbol, printable, type SkippedRun } from '@losslab/report';
import { loadRuns, reportCommand, writeReport } from '@losslab/report/node';
import { RECORD_FILE, RunRecord } from '@losslab/schema';
import { BACKEND_ENV_VAR, describeBackend, selectBackend, type BackendInfo } from '@losslab/runtime';
import { kerasProgress } from '@losslab/train';
import { loadDefinitionFile } from './load-definition.js';
import { firstLineOf, messageOf, stackOf } from './message.js';
import { renderHelp, renderOverview, type CommandSpec } from './arguments.js';
import {
  backendChoiceProblem,
  COMMANDS,
  EVALUATE,
  INIT,
  parseEvaluateArguments,
  parseInitArguments,
  parseReportArguments,
  parseRunArguments,
  parseWorkerArguments,
  REPORT,
  RUN,
  WORKER,
  type CommandArguments,
  type RunOptions,
} from './command-options.js';
import { resolveExperiment, type ResolvedExperiment, type ResolvedVariant } from './resolve.js';
import { describeFailure, runHash, runOne } from './run.js';
import { codeFingerprint } from './environment.js';
import { findReusableRun } from './store.js';
import { evaluateCommand } from './evaluate-command.js';
import { initCommand } from './init-command.js';
import { closestName } from './suggest.js';
import { dataFileProblems, prettySettings, settingsWithDefaults } from './dry-run.js';
import { registry } from './kinds/index.js';
import { runSweep } from './queue/sweep.js';
import { workerCommand } from './queue/worker.js';

/**
 * The losslab command line (`npx losslab …`; in a checkout also `tsx --conditions=@losslab/source
 * packages/experiment/src/cli.ts …`): `run`, `report`, `evaluate` and `worker`, each read by one
 * parser from its option table (command-options.ts), which `--help` prints. `run … --queue=redis://…` runs the matrix on workers
 * instead (see queue/sweep.ts). `--parallel=N` (alias `--jobs=N`) runs N runs at once: with 1, the
 * default, they run one after another in this process; with more, each run is a child process
 * (`run-one`) that hands its record back over IPC.
 */

const CLI_PATH = fileURLToPath(import.meta.url);

const EXIT_CODES = `exit codes: 0 ok; 1 a run or a checked claim failed, or the environment failed (a backend that
cannot load, a disk that is full), said in one line; 2 an invalid definition or invalid arguments.`;

/** Names `main` answers to besides the commands' own, for "did you mean". */
const HELP_NAMES = ['help', '--help', '-h'];

/** Resolves the definition with the options; prints every problem and returns undefined on failure. */
async function prepare(options: RunOptions): Promise<ResolvedExperiment | undefined> {
  let raw: unknown;
  try {
    raw = await loadDefinitionFile(options.definitionPath);
  } catch (error) {
    console.error(`error: ${messageOf(error)}`);
    // An error the definition's own code threw: its stack says where.
    if (options.debug) console.error(stackOf(error));
    else if (error instanceof Error && error.cause !== undefined)
      console.error('(run again with --debug for the stack trace)');
    return undefined;
  }
  // The variable is read only where --backend is absent; an empty value means unset.
  const fromEnv = process.env[BACKEND_ENV_VAR];
  const envProblem =
    options.backend === undefined && fromEnv ? backendChoiceProblem(BACKEND_ENV_VAR, fromEnv) : undefined;
  if (envProblem !== undefined) {
    console.error(`error: ${envProblem}`);
    return undefined;
  }
  const resolved = resolveExperiment(raw, options.definitionPath, {
    ...(options.variants ? { variants: options.variants } : {}),
    overrides: options.sets,
  });
  if (E.isLeft(resolved)) {
    console.error(`error: ${options.definitionPath} is not a valid experiment definition:`);
    resolved.left.problems.forEach((p) => console.error(`  ${p}`));
    console.error('nothing was run');
    return undefined;
  }
  return resolved.right;
}

/** Chooses the backend; an explicit choice that cannot load is one line on stderr, never a stack. */
async function chooseBackend(requested: string | undefined): Promise<BackendInfo | undefined> {
  try {
    return await selectBackend({ requested });
  } catch (error) {
    console.error(`error: ${firstLineOf(error)}`);
    return undefined;
  }
}

/** How one (variant, seed) of the matrix ended: its record, or how it failed. */
interface JobResult {
  /** `adam s3`: names the run in failure lines and in the prefix of a child's output. */
  readonly label: string;
  readonly record?: RunRecord;
  /** Why there is no record, for the summary: `TrainFailed`, `exit code 1`, `killed by SIGKILL`. */
  readonly ending?: string;
}

/**
 * Runs one (variant, seed) in this process (the whole run with `--parallel=1`, or a `run-one`
 * child), printing its progress and outcome; never throws.
 */
async function runHere(
  resolved: ResolvedExperiment,
  variant: ResolvedVariant,
  seed: number,
  options: RunOptions,
  backend: BackendInfo,
): Promise<JobResult> {
  const label = `${variant.name} s${seed}`;
  try {
    const outcome = await runOne(
      { definition: resolved.definition, variant, seed },
      {
        runsDir: options.runsDir,
        backend,
        progress: kerasProgress(process.stdout),
        reuse: !options.fresh,
        log: (line) => console.log(line),
        definitionFile: options.definitionPath,
      },
    )();
    if (E.isLeft(outcome)) {
      console.error(`error: ${describeFailure(outcome.left, { variant: variant.name, seed })}`);
      return { label, ending: outcome.left.tag };
    }
    const { record, folder, reused } = outcome.right;
    const metrics = Object.entries(record.evaluation.metrics)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join(', ');
    console.log(`${reused ? 'reused' : 'wrote'} ${folder} — ${record.evaluation.split}: ${metrics}`);
    return { label, record };
  } catch (error) {
    // Not a step's failure but a bug or the environment: this run fails, the others still run.
    console.error(`error: ${variant.name} seed ${seed}: ${firstLineOf(error)}`);
    if (options.debug && error instanceof Error && error.stack) console.error(error.stack);
    return { label, ending: 'crashed' };
  }
}

// ---- child processes (--parallel > 1) ------------------------------------------------------

/** The message a `run-one` child sends its parent when its run is complete. */
interface RecordMessage {
  readonly kind: 'record';
  readonly record: unknown;
}

const isRecordMessage = (message: unknown): message is RecordMessage =>
  typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'record';

/** Arguments that make a child process resolve exactly the same definition. */
function forwardedArguments(options: RunOptions, backend: string): string[] {
  const args = [options.definitionPath, `--backend=${backend}`, `--runs-dir=${options.runsDir}`];
  for (const [path, value] of options.sets) {
    if (path !== 'seeds') args.push(`--set=${path}=${JSON.stringify(value)}`);
  }
  if (options.fresh) args.push('--fresh');
  if (options.debug) args.push('--debug');
  return args;
}

/** Run children still alive, so a signal to this process reaches them too. */
const liveChildren = new Set<ChildProcess>();

/**
 * Ends every run child when this process is told to stop (a child also ends by itself when its
 * IPC channel closes), and says how to continue: the killed runs keep their checkpoints.
 */
function forwardStopSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      liveChildren.forEach((child) => child.kill(signal));
      console.error(
        `losslab: stopped by ${signal}. Run the same command again to continue each unfinished run from its last checkpoint (--fresh starts over).`,
      );
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/**
 * Runs `losslab run-one <args>` as a child started the way this process was (`entry` with the same
 * Node flags, e.g. tsx's loader), and resolves with the record it sends back over IPC.
 */
function runChild(entry: string, args: string[], label: string, prefixOutput: boolean): Promise<JobResult> {
  return new Promise((done) => {
    // The IPC channel is the child's lifeline: it closes when this process dies, even by SIGKILL.
    const child = spawn(process.execPath, [...process.execArgv, entry, 'run-one', ...args], {
      stdio: prefixOutput ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'],
      env: process.env,
    });
    liveChildren.add(child);
    let record: RunRecord | undefined;
    child.on('message', (message: unknown) => {
      if (!isRecordMessage(message)) return;
      // Checked like a record read from disk: the child is another program run.
      const decoded = RunRecord.decode(message.record);
      if (E.isRight(decoded)) record = decoded.right;
    });
    if (prefixOutput) {
      const relay = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
        let buffered = '';
        stream?.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) out.write(`[${label}] ${line}\n`);
        });
        stream?.on('end', () => buffered && out.write(`[${label}] ${buffered}\n`));
      };
      relay(child.stdout, process.stdout);
      relay(child.stderr, process.stderr);
    }
    child.on('close', (code, signal) => {
      liveChildren.delete(child);
      if (code === 0 && record !== undefined) done({ label, record });
      else done({ label, ending: signal ? `killed by ${signal}` : `exit code ${code ?? 1}` });
    });
  });
}

/** Runs `tasks` with at most `limit` in flight; one failing never stops the others. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

// ---- the run command -----------------------------------------------------------------------

/** `--dry-run`: what would run, with every variant's resolved settings (defaults filled in), and nothing run. */
function printPlan(options: RunOptions, resolved: ResolvedExperiment): void {
  const { definition, variants } = resolved;
  console.log(
    `dry run: ${definition.name} — ${variants.length} variant(s) × ${definition.seeds.length} seed(s) = ${variants.length * definition.seeds.length} run(s)`,
  );
  console.log(
    `  seeds ${definition.seeds.join(', ')}; parallel jobs ${options.jobs}; backend ${options.backend ?? process.env[BACKEND_ENV_VAR] ?? 'auto'}; check ${options.check}; fresh ${options.fresh}`,
  );
  console.log(
    `  runs into ${options.runsDir}/${definition.name}, report into ${options.reportsDir}/${definition.name}`,
  );
  if (options.queue !== undefined)
    console.log(`  on the workers of ${options.queue.display}, ${options.attempts} attempt(s) per run`);
  for (const variant of variants) {
    const settings = prettySettings(settingsWithDefaults(variant.spec)).replace(/\n/g, '\n  ');
    console.log(`  variant ${variant.name} (${runHash(variant.spec).slice(0, 12)}): ${settings}`);
  }
}

/**
 * The run folders of `experiment` without a record (failed, killed or still running), as the
 * report lists them. Only those folders are read: the records come from the runs themselves.
 * (A damaged `record.json` of an older run is not listed here; `losslab report` lists it.)
 */
async function unfinishedRuns(runsDir: string, experiment: string): Promise<readonly SkippedRun[]> {
  const dir = join(runsDir, experiment);
  if (!existsSync(dir)) return [];
  const runIds = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .filter((runId) => !existsSync(join(dir, runId, RECORD_FILE)))
    .sort();
  if (runIds.length === 0) return [];
  return (await loadRuns(runsDir, { experiment, runIds })).skipped;
}

async function runCommand(options: RunOptions, entry: string): Promise<number> {
  const resolved = await prepare(options);
  if (resolved === undefined) return 2;
  // A misspelt data file would fail every run, each leaving a failed folder. Queue workers may run
  // on other machines with their own copies of the data, so a sweep checks only with --dry-run.
  if (options.queue === undefined || options.dryRun) {
    const problems = dataFileProblems(resolved, registry, dirname(resolve(options.definitionPath)));
    if (problems.length > 0) {
      console.error(`error: ${options.definitionPath}: data files that cannot be read:`);
      problems.forEach((problem) => console.error(`  ${problem}`));
      console.error('nothing was run');
      return 2;
    }
  }
  if (options.dryRun) {
    printPlan(options, resolved);
    return 0;
  }
  const { definition, variants } = resolved;
  const backend = await chooseBackend(options.backend);
  if (backend === undefined) return 1;
  const inProcess = options.jobs === 1;
  const where =
    options.queue !== undefined
      ? `on the workers of ${options.queue.display}`
      : inProcess
        ? `in this process (pid ${process.pid})`
        : `${options.jobs} child processes at a time`;
  console.log(
    `losslab: ${definition.name} — ${variants.length} variant(s) × ${definition.seeds.length} seed(s), ${describeBackend(backend)}, ${where}`,
  );
  const jobs = variants.flatMap((variant) => definition.seeds.map((seed) => ({ variant, seed })));
  // Taken before the runs start, as each run takes its own: runs are matched by the code they ran.
  const code = codeFingerprint();
  const started = performance.now();
  let results: JobResult[];
  if (options.queue !== undefined) {
    const swept = await runSweep(definition, jobs, {
      target: options.queue,
      runsDir: options.runsDir,
      definitionPath: options.definitionPath,
      sets: options.sets,
      fresh: options.fresh,
      attempts: options.attempts,
      backend: backend.name,
    });
    // Redis cannot be used: said in one line, nothing written.
    if (swept === undefined) return 1;
    results = swept;
  } else if (inProcess) {
    forwardStopSignals();
    results = [];
    for (const [index, { variant, seed }] of jobs.entries()) {
      console.log(`run ${index + 1}/${jobs.length}: ${variant.name} seed ${seed}`);
      results.push(await runHere(resolved, variant, seed, options, backend));
    }
  } else {
    forwardStopSignals();
    let begun = 0;
    results = await pool(
      jobs.map(({ variant, seed }) => () => {
        console.log(`run ${++begun}/${jobs.length}: ${variant.name} seed ${seed}`);
        return runChild(
          entry,
          [...forwardedArguments(options, backend.name), `--variant=${variant.name}`, `--seeds=${seed}`],
          `${variant.name} s${seed}`,
          true,
        );
      }),
      options.jobs,
    );
  }
  const wall = (performance.now() - started) / 1000;
  const failed = results.filter((result) => result.record === undefined);
  // The report compares one run per (variant, seed): the one just made or reused. A run that failed
  // now is represented by an earlier complete run with the same settings, seed, backend and code,
  // if there is one (as after a --fresh rerun that failed).
  const records: RunRecord[] = [];
  for (const [index, { variant, seed }] of jobs.entries()) {
    const record =
      results[index]?.record ??
      (await findReusableRun(options.runsDir, definition.name, {
        definitionHash: runHash(variant.spec),
        seed,
        backend: backend.name,
        codeFingerprint: code,
      }));
    if (record) records.push(record);
  }
  console.log(
    `${records.length}/${jobs.length} run(s) complete in ${wall.toFixed(1)} s (${options.queue ? 'through the queue' : `parallel ${options.jobs}`})`,
  );
  failed.forEach((f) => console.error(printable(`failed: ${f.label} (${f.ending ?? 'no record'})`)));
  if (records.length === 0) return 1;
  const reportDir = resolve(options.reportsDir, definition.name);
  let written: Awaited<ReturnType<typeof writeReport>>;
  try {
    const skipped = await unfinishedRuns(options.runsDir, definition.name);
    // The definition's report settings decide the verdict (each record carries the same ones in `report`).
    const { primary, alpha } = definition.report ?? {};
    written = await writeReport(records, reportDir, {
      skipped,
      ...(primary === undefined ? {} : { primary }),
      ...(alpha === undefined ? {} : { alpha }),
    });
  } catch (error) {
    console.error(
      `error: could not write the report to ${reportDir}: ${firstLineOf(error)} (the runs are kept; rebuild it with: losslab report --experiment=${definition.name})`,
    );
    return 1;
  }
  console.log(`report: ${written.files.slice(0, 2).join(', ')}`);
  // Text from records and the definition (names, claim descriptions) is printed escaped.
  for (const mismatch of written.model.mismatches) console.error(printable(`⚠ ${mismatch}`));
  for (const verdict of written.model.verdicts) console.log(printable(verdict.sentence));
  // The claims as the report evaluated them: the printed verdicts and the exit code are the report's.
  const claims = written.model.claims;
  for (const claim of claims) {
    console.log(printable(`${claimSymbol(claim.status)} ${claim.claim.description ?? claim.statement}`));
    claim.evidence.forEach((line) => console.log(printable(`    ${line}`)));
  }
  if (failed.length > 0) return 1;
  if (options.check && !allClaimsPass(claims)) {
    console.error('--check: at least one claim failed');
    return 1;
  }
  if (options.check && written.model.mismatches.length > 0) {
    console.error('--check: the variants are not compared like with like');
    return 1;
  }
  return 0;
}

/** Sends `message` to the parent process and resolves once it is on its way (before this process exits). */
const sendToParent = (message: RecordMessage): Promise<void> =>
  new Promise((done) => {
    if (process.send === undefined) done();
    else process.send(message, undefined, {}, () => done());
  });

/** `run-one`: the child side of `--parallel=N` (N > 1), one (variant, seed) whose record goes back to the parent. */
async function runOneCommand(options: RunOptions): Promise<number> {
  const resolved = await prepare(options);
  if (resolved === undefined) return 2;
  const [variant] = resolved.variants;
  const [seed] = resolved.definition.seeds;
  if (
    resolved.variants.length !== 1 ||
    seed === undefined ||
    variant === undefined ||
    resolved.definition.seeds.length !== 1
  ) {
    console.error('error: run-one needs exactly one --variant and one --seeds value');
    return 2;
  }
  // Started by a parent `run`: end with it (its IPC channel closes when it dies, even by SIGKILL).
  if (process.send !== undefined) {
    process.once('disconnect', () => {
      console.error(`${variant.name} seed ${seed}: the parent losslab process ended; stopping this run`);
      process.exit(129);
    });
  }
  const backend = await chooseBackend(options.backend);
  if (backend === undefined) return 1;
  console.log(`${resolved.definition.name} / ${variant.name} / seed ${seed}: ${describeBackend(backend)}`);
  const { record } = await runHere(resolved, variant, seed, options, backend);
  if (record === undefined) return 1;
  await sendToParent({ kind: 'record', record });
  return 0;
}

/**
 * Prints the command's help, or its usage problems (exit 2), or runs it with its typed options.
 */
async function withArguments<Options>(
  command: CommandSpec,
  parsed: CommandArguments<Options>,
  act: (options: Options) => Promise<number>,
): Promise<number> {
  if (parsed.help) {
    console.log(renderHelp(command));
    return 0;
  }
  if (parsed.options === undefined) {
    parsed.problems.forEach((problem) => console.error(`error: ${problem}`));
    console.error(`(losslab ${command.name} --help lists every option)`);
    return 2;
  }
  return act(parsed.options);
}

/** `losslab --help`: every command with every option. */
const overview = (): string => renderOverview(COMMANDS, EXIT_CODES);

/** Runs one CLI command and resolves to its exit code. `entry` is the script run children start from. */
export async function main(argv: readonly string[], entry: string = CLI_PATH): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return withArguments(RUN, parseRunArguments(rest), (options) => runCommand(options, entry));
    case 'run-one':
      return withArguments(RUN, parseRunArguments(rest), runOneCommand);
    case 'worker':
      return withArguments(WORKER, parseWorkerArguments(rest), workerCommand);
    case 'report':
      return withArguments(REPORT, parseReportArguments(rest), (options) => reportCommand(options));
    case 'evaluate':
      return withArguments(EVALUATE, parseEvaluateArguments(rest), evaluateCommand);
    case 'init':
      return withArguments(INIT, parseInitArguments(rest), initCommand);
    case 'help':
    case '--help':
    case '-h': {
      // `losslab help run` is `losslab run --help`.
      const topic = COMMANDS.find((known) => known.name === rest[0]);
      console.log(topic === undefined ? overview() : renderHelp(topic));
      return 0;
    }
    default: {
      const names = [...COMMANDS.map((known) => known.name), ...HELP_NAMES];
      const closest = command === undefined ? undefined : closestName(command, names);
      if (command === undefined) console.error(overview());
      else
        console.error(
          `error: unknown command "${command}"${closest === undefined ? '' : `; did you mean "${closest}"?`}\n(losslab --help lists the commands and their options)`,
        );
      return 2;
    }
  }
}

/**
 * Runs the CLI as a program: `main`, then exits with its code. An unexpected error (full disk,
 * missing folder) is one line; `--debug` adds its stack. `entry` is the script this process was
 * started from (this file, or the `losslab` launcher), which `--parallel` children start from too.
 */
export function runCli(argv: readonly string[], entry: string = CLI_PATH): void {
  main(argv, entry).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`error: ${firstLineOf(error)}`);
      if (argv.includes('--debug') && error instanceof Error && error.stack) console.error(error.stack);
      else console.error('(run again with --debug for the stack trace)');
      process.exit(1);
    },
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === CLI_PATH) runCli(process.argv.slice(2));
