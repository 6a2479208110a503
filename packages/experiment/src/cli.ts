import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import {
  allClaimsPass,
  claimSymbol,
  evaluateClaims,
  groupRuns,
  loadRuns,
  reportCommand,
  writeReport,
} from '@losslab/report';
import type { RunRecord } from '@losslab/schema';
import { BACKEND_ENV_VAR, describeBackend, selectBackend, type BackendInfo } from '@losslab/runtime';
import { kerasProgress } from '@losslab/train';
import { messageOf } from './message';
import { backendChoiceProblem, parseRunArguments, type RunOptions } from './overrides';
import { resolveExperiment, type ResolvedExperiment } from './resolve';
import { describeFailure, runHash, runOne } from './run';
import { codeFingerprint } from './environment';
import { findReusableRun } from './store';

/**
 * The losslab command line:
 *   run <definition.ts> [--variant=a,b] [--seeds=0,1] [--epochs=N] [--batch-size=N] [--set path=value]
 *       [--backend=wasm|cpu|tensorflow|auto] [--jobs=N] [--fresh] [--check] [--dry-run] [--debug]
 *       [--runs-dir=runs] [--reports-dir=reports]
 *   report --experiment=<name> | --runs=<id>,<id> [--check]
 * Exit codes: 0 ok; 1 a run or a checked claim failed, or the environment failed (a backend that
 * cannot load, a disk that is full), said in one line; 2 invalid definition or arguments.
 */

const CLI_PATH = fileURLToPath(import.meta.url);

/** One line for the terminal: the first line of a thrown message (a stack or a dump never follows it). */
const firstLineOf = (error: unknown): string => messageOf(error).split('\n')[0] ?? '';

/** Loads a definition module (its default export, or `definition`). */
export async function loadDefinitionFile(path: string): Promise<unknown> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown; definition?: unknown };
  const raw = module.default ?? module.definition;
  if (raw === undefined)
    throw new Error(
      `${path}: expected a default export (or an export named "definition") holding the experiment definition`,
    );
  return raw;
}

/** Parses arguments and resolves the definition; prints every problem and returns undefined on failure. */
async function prepare(
  argv: readonly string[],
): Promise<{ options: RunOptions; resolved: ResolvedExperiment } | undefined> {
  const parsed = parseRunArguments(argv);
  if (parsed.options === undefined) {
    parsed.problems.forEach((p) => console.error(`error: ${p}`));
    return undefined;
  }
  const options = parsed.options;
  let raw: unknown;
  try {
    raw = await loadDefinitionFile(options.definitionPath);
  } catch (error) {
    console.error(`error: ${messageOf(error)}`);
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
  return { options, resolved: resolved.right };
}

/** Arguments that make a child process resolve exactly the same definition. */
function forwardedArguments(options: RunOptions, backend: string): string[] {
  const args = [options.definitionPath, `--backend=${backend}`, `--runs-dir=${options.runsDir}`];
  for (const [path, value] of options.sets) {
    if (path !== 'seeds') args.push(`--set=${path}=${JSON.stringify(value)}`);
  }
  if (options.fresh) args.push('--fresh');
  return args;
}

interface ChildResult {
  readonly label: string;
  readonly code: number;
  /** How it ended, for the summary: `exit code 1` or `killed by SIGKILL`. */
  readonly ending: string;
}

/** Run children still alive, so a signal to this process reaches them too. */
const liveChildren = new Set<ChildProcess>();

/** Ends every run child when this process is told to stop; a child also ends by itself when its IPC channel closes. */
function forwardStopSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      liveChildren.forEach((child) => child.kill(signal));
      console.error(`losslab: stopped by ${signal}; ${liveChildren.size} run(s) ended`);
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

function runChild(args: string[], label: string, prefixOutput: boolean): Promise<ChildResult> {
  return new Promise((done) => {
    // The IPC channel is the child's lifeline: it closes when this process dies, even by SIGKILL.
    const child = spawn(process.execPath, [...process.execArgv, CLI_PATH, 'run-one', ...args], {
      stdio: prefixOutput ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'],
      env: process.env,
    });
    liveChildren.add(child);
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
      done({ label, code: code ?? 1, ending: signal ? `killed by ${signal}` : `exit code ${code ?? 1}` });
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

/** Chooses the backend; an explicit choice that cannot load is one line on stderr, never a stack. */
async function chooseBackend(requested: string | undefined): Promise<BackendInfo | undefined> {
  try {
    return await selectBackend({ requested });
  } catch (error) {
    console.error(`error: ${firstLineOf(error)}`);
    return undefined;
  }
}

/** `--dry-run`: what would run, with every variant's resolved settings, and nothing run. */
function printPlan(options: RunOptions, resolved: ResolvedExperiment): void {
  const { definition, variants } = resolved;
  console.log(
    `dry run: ${definition.name} — ${variants.length} variant(s) × ${definition.seeds.length} seed(s) = ${variants.length * definition.seeds.length} run(s)`,
  );
  console.log(
    `  seeds ${definition.seeds.join(', ')}; jobs ${options.jobs}; backend ${options.backend ?? process.env[BACKEND_ENV_VAR] ?? 'auto'}; check ${options.check}; fresh ${options.fresh}`,
  );
  console.log(
    `  runs into ${options.runsDir}/${definition.name}, report into ${options.reportsDir}/${definition.name}`,
  );
  for (const variant of variants)
    console.log(`  variant ${variant.name} (${runHash(variant.spec).slice(0, 12)}): ${JSON.stringify(variant.spec)}`);
}

async function runCommand(argv: readonly string[]): Promise<number> {
  const prepared = await prepare(argv);
  if (prepared === undefined) return 2;
  const { options, resolved } = prepared;
  if (options.dryRun) {
    printPlan(options, resolved);
    return 0;
  }
  const { definition, variants } = resolved;
  const backend = await chooseBackend(options.backend);
  if (backend === undefined) return 1;
  console.log(
    `losslab: ${definition.name} — ${variants.length} variant(s) × ${definition.seeds.length} seed(s), ${describeBackend(backend)}`,
  );
  const jobs = variants.flatMap((variant) => definition.seeds.map((seed) => ({ variant, seed })));
  // Taken before the runs start, as each run takes its own: runs are matched by the code they ran.
  const code = codeFingerprint();
  forwardStopSignals();
  const started = performance.now();
  let begun = 0;
  const results = await pool(
    jobs.map(({ variant, seed }) => () => {
      console.log(`run ${++begun}/${jobs.length}: ${variant.name} seed ${seed}`);
      return runChild(
        [...forwardedArguments(options, backend.name), `--variant=${variant.name}`, `--seeds=${seed}`],
        `${variant.name} s${seed}`,
        options.jobs > 1,
      );
    }),
    options.jobs,
  );
  const wall = (performance.now() - started) / 1000;
  const failed = results.filter((r) => r.code !== 0);
  const records: RunRecord[] = [];
  for (const { variant, seed } of jobs) {
    const record = await findReusableRun(options.runsDir, definition.name, {
      definitionHash: runHash(variant.spec),
      seed,
      backend: backend.name,
      codeFingerprint: code,
    });
    if (record) records.push(record);
  }
  console.log(`${records.length}/${jobs.length} run(s) complete in ${wall.toFixed(1)} s (jobs ${options.jobs})`);
  failed.forEach((f) => console.error(`failed: ${f.label} (${f.ending})`));
  if (records.length === 0) return 1;
  const { skipped } = await loadRuns(options.runsDir, { experiment: definition.name });
  const reportDir = resolve(options.reportsDir, definition.name);
  let written: Awaited<ReturnType<typeof writeReport>>;
  try {
    written = await writeReport(records, reportDir, { skipped });
  } catch (error) {
    console.error(
      `error: could not write the report to ${reportDir}: ${firstLineOf(error)} (the runs are kept; rebuild it with: losslab report --experiment=${definition.name})`,
    );
    return 1;
  }
  console.log(`report: ${written.files.slice(0, 2).join(', ')}`);
  const claims = evaluateClaims(groupRuns(records));
  for (const claim of claims) {
    console.log(`${claimSymbol(claim.status)} ${claim.claim.description ?? claim.statement}`);
    claim.evidence.forEach((line) => console.log(`    ${line}`));
  }
  if (failed.length > 0) return 1;
  if (options.check && !allClaimsPass(claims)) {
    console.error('--check: at least one claim failed');
    return 1;
  }
  return 0;
}

async function runOneCommand(argv: readonly string[]): Promise<number> {
  const prepared = await prepare(argv);
  if (prepared === undefined) return 2;
  const { options, resolved } = prepared;
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
    return 1;
  }
  const { record, folder, reused } = outcome.right;
  const metrics = Object.entries(record.evaluation.metrics)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
  console.log(`${reused ? 'reused' : 'wrote'} ${folder} — ${record.evaluation.split}: ${metrics}`);
  return 0;
}

/** Runs one CLI command and resolves to its exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'run-one':
      return runOneCommand(rest);
    case 'report':
      return reportCommand([...rest]);
    default:
      console.error('usage: losslab run <definition.ts> [options] | losslab report --experiment=<name> [options]');
      return 2;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === CLI_PATH) {
  const argv = process.argv.slice(2);
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // An environment failure (full disk, missing folder) is one line; --debug shows where it came from.
      console.error(`error: ${firstLineOf(error)}`);
      if (argv.includes('--debug') && error instanceof Error && error.stack) console.error(error.stack);
      else console.error('(run again with --debug for the stack trace)');
      process.exit(1);
    },
  );
}
