import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { printable, printOutcome, type SequentialOutcome, type SequentialPlan, type SkippedRun } from '@losslab/report';
import { loadPredictions, loadRuns, startChartThread, writeReport, type ChartThread } from '@losslab/report/node';
import { RECORD_FILE, type ModelSummary, type RunRecord } from '@losslab/schema';
import { BACKEND_ENV_VAR, describeBackend, selectBackend, type BackendInfo } from '@losslab/runtime';
import { backendChoiceProblem, type RunOptions } from './command-options.js';
import { hashOf } from './canonical.js';
import { codeParts, type CodeParts } from './environment.js';
import { dataFileProblems, prettySettings, settingsWithDefaults } from './dry-run.js';
import { endWithParent, sendRecordToParent } from './execution/child-processes.js';
import type { CellResult, Execution, RunCell } from './execution/execution.js';
import { inProcessExecution, runHere } from './execution/in-process.js';
import { WorkerPool, workerPoolExecution } from './execution/worker-pool.js';
import { registry } from './kinds/index.js';
import { loadDefinitionFile } from './load-definition.js';
import { modelShapes, summaryLines } from './model-shapes.js';
import { firstLineOf, messageOf, stackOf } from './message.js';
import { openArtifactStore } from './queue/artifacts.js';
import { queueExecution } from './queue/sweep.js';
import { resolveExperiment, type ResolvedExperiment } from './resolve.js';
import { RunIndex } from './run-index.js';
import { runSearches, type SearchOutcome } from './search-run.js';
import { searchPlanLines, searchSeedProblems } from './search-plan.js';
import { reuseKey } from './store.js';
import { runUntilDecided, untilDecidedPlan, untilDecidedPlanLine } from './until-decided.js';

/**
 * `losslab run`: resolves the definition once, runs its matrix through one {@link Execution} (in
 * this process, in child processes or on queue workers), then writes the report and prints its
 * outcome; and `run-one`, the child side of `--parallel=N`.
 */

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

/** `--dry-run`: what would run, with every variant's resolved settings (defaults filled in), and nothing run. */
function printPlan(
  options: RunOptions,
  resolved: ResolvedExperiment,
  summaries: ReadonlyMap<string, ModelSummary>,
  sequential: SequentialPlan | undefined,
): void {
  const { definition, variants } = resolved;
  console.log(
    `dry run: ${definition.name} — ${variants.length} variant(s) × ${definition.seeds.length} seed(s) = ${variants.reduce((runs, variant) => runs + (variant.seeds ?? definition.seeds).length, 0)} run(s)`,
  );
  console.log(
    `  seeds ${definition.seeds.join(', ')}; parallel jobs ${options.jobs}; backend ${options.backend ?? process.env[BACKEND_ENV_VAR] ?? 'auto'}; check ${options.check}; fresh ${options.fresh}`,
  );
  console.log(
    `  runs into ${options.runsDir}/${definition.name}, report into ${options.reportsDir}/${definition.name}`,
  );
  if (options.queue !== undefined)
    console.log(`  on the workers of ${options.queue.display}, ${options.attempts} attempt(s) per run`);
  if (sequential !== undefined) console.log(untilDecidedPlanLine(sequential));
  for (const variant of variants) {
    const settings = prettySettings(settingsWithDefaults(variant.spec)).replace(/\n/g, '\n  ');
    console.log(`  variant ${variant.name} (${variant.hash.slice(0, 12)}): ${settings}`);
    const summary = summaries.get(variant.name);
    if (summary !== undefined) console.log(`  model of ${variant.name}:\n    ${summaryLines(summary).join('\n    ')}`);
  }
  searchPlanLines(resolved).forEach((line) => console.log(line));
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

/** Where the runs go: `--queue` workers, this process (`--parallel=1`), or child processes. */
function executionFor(
  options: RunOptions,
  resolved: ResolvedExperiment,
  backend: BackendInfo,
  pool: WorkerPool | undefined,
  code: CodeParts,
): Execution {
  if (options.queue !== undefined)
    return queueExecution(resolved.definition, {
      target: options.queue,
      runsDir: options.runsDir,
      definitionPath: options.definitionPath,
      sets: options.sets,
      fresh: options.fresh,
      attempts: options.attempts,
      backend: backend.name,
      code,
      ...(options.artifacts === undefined ? {} : { artifacts: openArtifactStore(options.artifacts) }),
    });
  return options.jobs === 1
    ? inProcessExecution(resolved.definition, options, backend)
    : workerPoolExecution(options, backend, pool);
}

/** Writes the report of `records` and prints its outcome; resolves to the exit code. */
async function report(
  options: RunOptions,
  resolved: ResolvedExperiment,
  records: readonly RunRecord[],
  searches: readonly SearchOutcome[],
  sequential?: SequentialOutcome,
  charts?: ChartThread,
): Promise<number> {
  const { definition } = resolved;
  const reportDir = resolve(options.reportsDir, definition.name);
  let written: Awaited<ReturnType<typeof writeReport>>;
  try {
    const skipped = await unfinishedRuns(options.runsDir, definition.name);
    // The definition's report settings decide the verdict (each record carries the same ones in `report`).
    const { primary, alpha } = definition.report ?? {};
    // As `losslab report` does: calibration and the example-level intervals need each run's predictions.
    written = await writeReport(records, reportDir, {
      ...(await loadPredictions(options.runsDir, records)),
      skipped,
      ...(primary === undefined ? {} : { primary }),
      ...(alpha === undefined ? {} : { alpha }),
      searches,
      ...(sequential === undefined ? {} : { sequential }),
      ...(charts === undefined ? {} : { renderSvg: charts.render }),
    });
  } catch (error) {
    console.error(
      `error: could not write the report to ${reportDir}: ${firstLineOf(error)} (the runs are kept; rebuild it with: losslab report --experiment=${definition.name})`,
    );
    return 1;
  }
  console.log(`report: ${written.files.slice(0, 2).join(', ')}`);
  return printOutcome(
    written.model,
    { check: options.check },
    {
      log: (line) => console.log(line),
      error: (line) => console.error(line),
    },
  );
}

/**
 * Runs the searches of `resolved` (search-run.ts) and resolves the definition again with each
 * variant's chosen values; the same options and definition when there is no search.
 */
async function tuneVariants(
  options: RunOptions,
  resolved: ResolvedExperiment,
  backend: BackendInfo,
  pool: WorkerPool | undefined,
  code: CodeParts,
): Promise<{ options: RunOptions; resolved: ResolvedExperiment; searches: readonly SearchOutcome[] } | undefined> {
  if (resolved.searches.length === 0) return { options, resolved, searches: [] };
  const searches = await runSearches(resolved, executionFor(options, resolved, backend, pool, code));
  if (searches === undefined) return undefined;
  const tunedOptions = { ...options, sets: [...options.sets, ...searches.flatMap((search) => search.values)] };
  const tuned = await prepare(tunedOptions);
  return tuned === undefined ? undefined : { options: tunedOptions, resolved: tuned, searches };
}

/**
 * `losslab run`: resolves to its exit code (see `EXIT_CODES` in cli.ts). With `--jobs=N` (N > 1)
 * the worker processes start first, so they load while this process checks the definition and data.
 * (`_entry`, the script `run-one` children started from, is no longer used: the pool's workers
 * start from execution/pool-worker.mjs.)
 */
export async function runCommand(given: RunOptions, _entry?: string): Promise<number> {
  const pool =
    given.jobs > 1 && given.queue === undefined && !given.dryRun ? new WorkerPool(given, given.jobs) : undefined;
  const charts: { thread?: ChartThread } = {};
  try {
    return await runMatrix(given, pool, charts);
  } finally {
    pool?.close();
    charts.thread?.close();
  }
}

async function runMatrix(
  given: RunOptions,
  pool: WorkerPool | undefined,
  charts: { thread?: ChartThread },
): Promise<number> {
  const declared = await prepare(given);
  if (declared === undefined) return 2;
  let options = given;
  let resolved = declared;
  const seedProblems = searchSeedProblems(resolved);
  if (seedProblems.length > 0) {
    console.error(`error: ${options.definitionPath} is not a valid experiment definition:`);
    seedProblems.forEach((problem) => console.error(`  ${problem}`));
    console.error('nothing was run');
    return 2;
  }
  // A misspelt data file would fail every run, each leaving a failed folder. Queue workers may run
  // on other machines with their own copies of the data, so a sweep checks only with --dry-run.
  let summaries: ReadonlyMap<string, ModelSummary> = new Map();
  if (options.queue === undefined || options.dryRun) {
    const baseDir = dirname(resolve(options.definitionPath));
    const problems = dataFileProblems(resolved, registry, baseDir);
    if (problems.length > 0) {
      console.error(`error: ${options.definitionPath}: data files that cannot be read:`);
      problems.forEach((problem) => console.error(`  ${problem}`));
      console.error('nothing was run');
      return 2;
    }
    // A layer that cannot take its input would fail every run after loading the data.
    const shapes = await modelShapes(resolved, registry, baseDir);
    if (shapes.problems.length > 0) {
      console.error(`error: ${options.definitionPath}: models that do not fit the data:`);
      shapes.problems.forEach((problem) => console.error(`  ${problem}`));
      console.error('nothing was run');
      return 2;
    }
    summaries = shapes.summaries;
  }
  const planned = options.untilDecided === undefined ? undefined : untilDecidedPlan(resolved, options.untilDecided);
  if (planned !== undefined && 'problem' in planned) {
    console.error(`error: ${planned.problem}`);
    console.error('nothing was run');
    return 2;
  }
  const sequentialPlan = planned?.plan;
  if (options.dryRun) {
    printPlan(options, resolved, summaries, sequentialPlan);
    return 0;
  }
  const backend = await chooseBackend(options.backend);
  if (backend === undefined) return 1;
  // Taken once, before the runs start (each run takes its own), after the definition registered its
  // user kinds: runs are matched by the code they ran, and queue workers must run the same.
  const code = codeParts(registry);
  const tuned = await tuneVariants(options, resolved, backend, pool, code);
  if (tuned === undefined) return 1;
  ({ options, resolved } = tuned);
  const { definition, variants } = resolved;
  const execution = executionFor(options, resolved, backend, pool, code);
  const budget = sequentialPlan === undefined ? '' : `, until decided (at most ${sequentialPlan.maxSeeds} seeds)`;
  console.log(
    `losslab: ${definition.name} — ${variants.length} variant(s) × ${definition.seeds.length} seed(s)${budget}, ${describeBackend(backend)}, ${execution.where}`,
  );
  // vega loads on a worker thread while the runs train, for the report's charts; it also draws a
  // few charts to warm up when the runs train here (one core busy), not in worker processes.
  charts.thread = startChartThread({ warmUpRounds: options.jobs === 1 && options.queue === undefined ? 3 : 0 });
  const fingerprint = hashOf(code);
  const started = performance.now();
  const failed: CellResult[] = [];
  // Read once, and only when some run failed: the runs folder answers for all of them.
  let runIndex: RunIndex | undefined;
  /** Runs `cells` and resolves to a record per cell that has one; undefined when the execution cannot start. */
  const runCells = async (cells: readonly RunCell[]): Promise<RunRecord[] | undefined> => {
    const results = await execution.run(cells);
    // The queue cannot be used: said in one line, nothing written.
    if (results === undefined) return undefined;
    failed.push(...results.filter((result) => result.record === undefined));
    // The report compares one run per (variant, seed): the one just made or reused. A run that failed
    // now is represented by an earlier complete run with the same settings, seed, backend and code,
    // if there is one (as after a --fresh rerun that failed).
    const records: RunRecord[] = [];
    for (const [index, { variant, seed }] of cells.entries()) {
      let record = results[index]?.record;
      if (record === undefined) {
        runIndex ??= await RunIndex.read(options.runsDir, definition.name);
        record = runIndex.find(reuseKey(variant, seed, backend.name, fingerprint));
      }
      if (record) records.push(record);
    }
    return records;
  };
  let records: readonly RunRecord[];
  let cellCount: number;
  let sequential: SequentialOutcome | undefined;
  if (sequentialPlan === undefined) {
    // A variance-study variant runs its own seeds (seed-design.ts).
    const cells: RunCell[] = variants.flatMap((variant) =>
      (variant.seeds ?? definition.seeds).map((seed) => ({ variant, seed })),
    );
    const made = await runCells(cells);
    if (made === undefined) return 1;
    records = made;
    cellCount = cells.length;
  } else {
    const study = await runUntilDecided(resolved, sequentialPlan, runCells);
    if (study === undefined) return 1;
    ({ records, outcome: sequential, cells: cellCount } = study);
  }
  const wall = (performance.now() - started) / 1000;
  console.log(
    `${records.length}/${cellCount} run(s) complete in ${wall.toFixed(1)} s (${options.queue ? 'through the queue' : `parallel ${options.jobs}`})`,
  );
  failed.forEach((f) => console.error(printable(`failed: ${f.label} (${f.ending ?? 'no record'})`)));
  if (records.length === 0) return 1;
  const outcome = await report(options, resolved, records, tuned.searches, sequential, charts.thread);
  return failed.length > 0 ? 1 : outcome;
}

/** `run-one`: the child side of `--parallel=N` (N > 1), one (variant, seed) whose record goes back to the parent. */
export async function runOneCommand(options: RunOptions): Promise<number> {
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
  endWithParent(`${variant.name} seed ${seed}`);
  const backend = await chooseBackend(options.backend);
  if (backend === undefined) return 1;
  console.log(`${resolved.definition.name} / ${variant.name} / seed ${seed}: ${describeBackend(backend)}`);
  const { record } = await runHere(resolved.definition, { variant, seed }, options, backend);
  if (record === undefined) return 1;
  await sendRecordToParent(record);
  return 0;
}
