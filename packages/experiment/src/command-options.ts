import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { DeclaredPrimary, GroupBy } from '@losslab/report';
import type { ReportCommandOptions } from '@losslab/report/node';
import { BACKENDS, SPLITS, type BackendName, type Split } from '@losslab/schema';
import { parseCommand, type CommandSpec, type Decoded } from './arguments.js';
import { parseArtifactsUrl, type ArtifactLocation } from './queue/artifacts.js';
import { parseQueueUrl, QUEUE_PASSWORD_ENV, withQueuePassword, type QueueTarget } from './queue/connection.js';
import { overridePathProblem } from './override-path.js';
import type { Overrides } from './resolve.js';

/**
 * The options of every `losslab` command: one table each (what `--help` prints and what the parser
 * accepts) and the typed options each command runs with.
 */

/** A command's typed options, or why there are none (each problem one line), or a request for its help. */
export interface CommandArguments<Options> {
  readonly options?: Options;
  readonly problems: readonly string[];
  readonly help: boolean;
}

const positiveInteger = (text: string, flag: string): Decoded<number> =>
  /^\d+$/.test(text) && Number(text) > 0
    ? { value: Number(text) }
    : { problem: `${flag}: expected a positive integer, got "${text}"` };

/** `text` itself when `problem` finds nothing wrong with it. */
const unless = <T extends string>(problem: string | undefined, text: T): Decoded<T> =>
  problem === undefined ? { value: text } : { problem };

/** A value that one of `choices` must be, or the problem naming them. */
const oneOf =
  <T extends string>(choices: readonly T[], said: string) =>
  (text: string, flag: string): Decoded<T> => {
    const choice = choices.find((known) => known === text);
    return choice === undefined ? { problem: `${flag}: expected one of ${said}, got "${text}"` } : { value: choice };
  };

const BACKEND_CHOICES = [...BACKENDS, 'auto'];

/** Where the default results folders are (see {@link resultsFolder}). */
const BESIDE = ' here, or beside a definition outside this folder';

/**
 * The folder a definition's runs/ and reports/ go in by default: the working folder when the
 * definition is inside it (a checkout's experiments/, a user's project), else the definition's own
 * folder, so results of a definition kept elsewhere stay beside it.
 */
function resultsFolder(definitionPath: string): string {
  const definition = resolve(definitionPath);
  const fromHere = relative(process.cwd(), definition);
  return fromHere.startsWith('..') || isAbsolute(fromHere) ? dirname(definition) : '';
}

/**
 * The problem with a backend choice given by `source` (`--backend`, `LOSSLAB_BACKEND`), or
 * undefined when it names a backend or `auto`.
 */
export const backendChoiceProblem = (source: string, value: string): string | undefined =>
  BACKEND_CHOICES.includes(value)
    ? undefined
    : `${source}: expected one of ${BACKEND_CHOICES.join(', ')}, got "${value}"`;

/** A command-line value: JSON when it parses (numbers, booleans, arrays, objects), else the string. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A `--set` value: JSON when it parses; otherwise a comma list of two or more values (Hydra's
 * multirun form) is a grid dimension, each item JSON when it parses; otherwise the text.
 *
 * @example setValue('0.001,0.01') // { kind: 'grid', values: [0.001, 0.01] }
 */
function setValue(text: string): unknown {
  const value = parseValue(text);
  // A JSON string ("a,b") is one value: only text that is not JSON can be a list.
  if (value !== text || !text.includes(',')) return value;
  return { kind: 'grid', values: value.split(',').map((item) => parseValue(item.trim())) };
}

/** `--help` was given: the command prints its help, whatever else is wrong. */
const HELP = { help: true, problems: [] } as const;

/** `--queue-password-file=FILE`: the Redis password, kept out of the command line. */
const QUEUE_PASSWORD_FILE = {
  type: 'string',
  value: 'FILE',
  default: { shown: `the URL's, else $${QUEUE_PASSWORD_ENV}` },
  description: 'with --queue: read the Redis password from the first line of FILE',
} as const;

/** `--queue=URL`, read into its target (without the password from elsewhere yet). */
const queueUrl = (text: string): Decoded<QueueTarget> => {
  const { target, problem } = parseQueueUrl(text);
  return target === undefined ? { problem: problem ?? `--queue: cannot read "${text}"` } : { value: target };
};

/** `--artifacts=URL`: the artifact store a sweep's model files go through (shared by submitter and workers). */
const ARTIFACTS = {
  type: 'string',
  value: 'file:///DIR|s3://bucket/prefix',
  default: { shown: 'none: small models travel through Redis' },
  description: 'with --queue: the store run files go through (S3 credentials from the AWS environment)',
  decode: (text: string): Decoded<ArtifactLocation> => {
    const { location, problem } = parseArtifactsUrl(text);
    return location === undefined ? { problem: problem ?? `--artifacts: cannot read "${text}"` } : { value: location };
  },
} as const;

/** The `--queue` target with its password from the URL, the password file or the environment; problems are pushed. */
function queueTarget(
  parsed: QueueTarget | undefined,
  passwordFile: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): QueueTarget | undefined {
  if (parsed === undefined) {
    if (passwordFile !== undefined) problems.push('--queue-password-file: given without --queue');
    return undefined;
  }
  const { target, problem } = withQueuePassword(parsed, passwordFile, env);
  if (problem !== undefined) problems.push(problem);
  return target;
}

// ---- run -------------------------------------------------------------------------------------

/** Options of `losslab run`. */
export interface RunOptions {
  readonly definitionPath: string;
  readonly variants?: readonly string[];
  readonly seeds?: readonly number[];
  readonly backend?: string;
  /**
   * Runs at once (`--parallel=N`, or its alias `--jobs=N`; the last given wins). With 1 the runs
   * execute one after another in the CLI's own process; with more, on that many long-lived worker processes.
   */
  readonly jobs: number;
  /** Print the resolved run matrix and settings, run nothing. */
  readonly dryRun: boolean;
  /** Print stack traces of unexpected errors. */
  readonly debug: boolean;
  readonly runsDir: string;
  readonly reportsDir: string;
  /** Exit 1 when a claim of the definition does not hold. */
  readonly check: boolean;
  /** Rerun even when a complete run with the same settings exists. */
  readonly fresh: boolean;
  /** Dotted path → value, applied to the raw definition before validation, in the order given. */
  readonly sets: Overrides;
  /** `--queue=redis://…`: run the matrix on `losslab worker`s through this Redis queue. */
  readonly queue?: QueueTarget;
  /** With `queue`: times a run may fail before it is recorded as failed. */
  readonly attempts: number;
  /** With `queue`: the artifact store the workers put run files in (`--artifacts`). */
  readonly artifacts?: ArtifactLocation;
  /** `--until-decided`: add seeds in rounds until every primary comparison is decided (until-decided.ts). */
  readonly untilDecided?: UntilDecidedOptions;
}

/** The settings of `--until-decided` (`--max-seeds`, `--round`, `--smallest-effect`). */
export interface UntilDecidedOptions {
  /** Seeds per variant at most; absent: twice the declared seeds. */
  readonly maxSeeds?: number;
  /** Seeds added per variant at each round. */
  readonly round: number;
  /** The smallest difference that matters, in the metric's units. */
  readonly smallestEffect: number;
}

/** A shorthand's value: JSON when it parses, as `--set` reads it. */
const asValue = (text: string): Decoded<unknown> => ({ value: parseValue(text) });

/** Shorthand options and the definition path each one sets. */
const SHORTHANDS = {
  epochs: 'train.epochs',
  'batch-size': 'train.batchSize',
  'learning-rate': 'optimizer.learningRate',
};

const DEFINITIONS = "the definition's";

export const RUN = {
  name: 'run',
  synopsis: '<definition.ts> [options]',
  summary: 'train every variant × seed of a definition file, then write its report',
  about: `Trains every variant × seed of a definition file and writes the report that compares them.
The file may be anywhere on disk; it imports from '@losslab/experiment'. A complete run with the
same settings, seed, backend and code is reused, not retrained.`,
  operand: 'definition',
  options: {
    definition: {
      type: 'string',
      value: 'FILE',
      default: { shown: 'the first argument' },
      description: 'the definition file, when not given as the first argument',
    },
    variant: {
      type: 'string',
      value: 'a,b',
      default: { shown: "all of the definition's" },
      description: 'the variants to run',
    },
    seeds: {
      type: 'string',
      value: '0,1',
      default: { shown: DEFINITIONS },
      description: 'the seeds to run',
      decode: (text, flag): Decoded<number[]> =>
        text.split(',').every((part) => /^\d+$/.test(part.trim()))
          ? { value: text.split(',').map((part) => Number(part.trim())) }
          : { problem: `${flag}: expected comma-separated non-negative integers, got "${text}"` },
    },
    backend: {
      type: 'string',
      value: 'wasm|cpu|tensorflow|auto',
      default: { shown: 'auto, or $LOSSLAB_BACKEND' },
      description: 'the TF.js backend',
      decode: (text, flag) => unless(backendChoiceProblem(flag, text), text),
    },
    parallel: {
      type: 'string',
      value: 'N',
      default: '1',
      description: 'runs at once: 1 runs them one after another in this process, N > 1 on N worker processes',
      decode: positiveInteger,
    },
    jobs: {
      type: 'string',
      value: 'N',
      default: '1',
      description: 'the same as --parallel; the one to write through nx run, which keeps --parallel for itself',
      decode: positiveInteger,
    },
    'runs-dir': {
      type: 'string',
      value: 'DIR',
      default: { shown: `runs${BESIDE}` },
      description: 'where runs are stored',
    },
    'reports-dir': {
      type: 'string',
      value: 'DIR',
      default: { shown: `reports${BESIDE}` },
      description: 'where the report is written, in <DIR>/<experiment>',
    },
    queue: {
      type: 'string',
      value: 'redis://[:password@]host:port[/db]',
      default: { shown: 'none: the runs go here' },
      description: `run on \`losslab worker\`s through this Redis queue (rediss:// for TLS); password also from $${QUEUE_PASSWORD_ENV}`,
      decode: queueUrl,
    },
    'queue-password-file': QUEUE_PASSWORD_FILE,
    artifacts: ARTIFACTS,
    attempts: {
      type: 'string',
      value: 'N',
      default: '2',
      description: 'with --queue: tries of a failing run before it counts as failed',
      decode: positiveInteger,
    },
    check: { type: 'boolean', description: 'exit 1 when a claim of the definition does not hold' },
    fresh: { type: 'boolean', description: 'rerun even when a complete run with the same settings exists' },
    'until-decided': {
      type: 'boolean',
      description:
        'add seeds in rounds until every primary comparison is decided (better, worse or too small to matter) or --max-seeds is reached; family-wise α kept across looks',
    },
    'max-seeds': {
      type: 'string',
      value: 'N',
      default: { shown: 'twice the declared seeds' },
      description: 'with --until-decided: the budget, seeds per variant at most (at least the declared seeds)',
      decode: positiveInteger,
    },
    round: {
      type: 'string',
      value: 'K',
      default: '1',
      description:
        'with --until-decided: seeds added per variant at each round (new seeds: the integers after the largest declared one)',
      decode: positiveInteger,
    },
    'smallest-effect': {
      type: 'string',
      value: 'X',
      default: '0.005',
      description:
        'with --until-decided: a difference whose repeated interval stays within ±X is too small to matter (metric units)',
      decode: (text, flag): Decoded<number> =>
        /^\d+(\.\d+)?$/.test(text)
          ? { value: Number(text) }
          : { problem: `${flag}: expected a number ≥ 0, got "${text}"` },
    },
    'dry-run': {
      type: 'boolean',
      description: "print every variant's settings with their defaults, check the data files, run nothing",
    },
    debug: { type: 'boolean', description: 'print the stack trace of an unexpected error' },
    set: {
      type: 'string',
      value: 'path=value',
      default: { shown: 'none' },
      // `path=v1,v2,v3` runs a grid of the values (setValue, search.ts); the README says so.
      description: 'set a field of every variant, checked like the file; repeatable',
      decode: (text, flag): Decoded<readonly [string, unknown]> => {
        const at = text.indexOf('=');
        if (at <= 0) return { problem: `${flag}: expected path=value, got "${text}"` };
        const problem = overridePathProblem(text.slice(0, at));
        return problem === undefined
          ? { value: [text.slice(0, at), setValue(text.slice(at + 1))] }
          : { problem: `${flag}: ${problem} (in ${JSON.stringify(text)})` };
      },
    },
    epochs: {
      type: 'string',
      value: 'N',
      default: { shown: DEFINITIONS },
      decode: asValue,
      description: 'the same as --set train.epochs=N',
    },
    'batch-size': {
      type: 'string',
      value: 'N',
      default: { shown: DEFINITIONS },
      decode: asValue,
      description: 'the same as --set train.batchSize=N',
    },
    'learning-rate': {
      type: 'string',
      value: 'X',
      default: { shown: DEFINITIONS },
      decode: asValue,
      description: 'the same as --set optimizer.learningRate=X',
    },
  },
} as const satisfies CommandSpec;

/** `a, b,` → `['a', 'b']`. */
const commaList = (text: string): string[] =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/**
 * Reads `run` arguments: `<definition.ts> --epochs=5 --seeds=0,1,2 --variant=a,b --backend=cpu
 * --set train.batchSize=64 --parallel=2 --check`. Returns the problems instead of throwing so they
 * can be listed together.
 *
 * @example parseRunArguments(['d.ts', '--epochs=3']).options?.sets // [['train.epochs', 3]]
 */
export function parseRunArguments(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): CommandArguments<RunOptions> {
  const parsed = parseCommand(RUN, argv);
  const { values, operand } = parsed;
  const problems = [...parsed.problems];
  if (operand !== undefined && values.definition !== undefined && values.definition !== operand)
    problems.push(`${operand}: unexpected argument (the definition is already ${values.definition})`);
  const definitionPath = values.definition ?? operand;
  if (definitionPath === undefined)
    problems.push('definition: expected the path of a definition file (e.g. experiments/mnist-odd.ts)');
  const queue = queueTarget(values.queue, values['queue-password-file'], env, problems);
  if (values.artifacts !== undefined && queue === undefined) problems.push('--artifacts: given without --queue');
  if (!values['until-decided'])
    for (const name of ['max-seeds', 'round', 'smallest-effect'])
      if (parsed.mentioned.has(name)) problems.push(`--${name}: given without --until-decided`);
  if (parsed.help) return HELP;
  if (problems.length > 0 || definitionPath === undefined) return { help: false, problems };
  const sets: (readonly [string, unknown])[] = [];
  // --parallel and --jobs are one setting: the last one given wins.
  let jobs = values.parallel;
  for (const given of parsed.given) {
    if (given.name === 'parallel' || given.name === 'jobs') jobs = given.value;
    else if (given.name === 'set') sets.push(given.value);
    else if (given.name in SHORTHANDS) sets.push([SHORTHANDS[given.name as keyof typeof SHORTHANDS], given.value]);
  }
  const { seeds } = values;
  return {
    help: false,
    problems,
    options: {
      definitionPath,
      ...(values.variant === undefined ? {} : { variants: commaList(values.variant) }),
      ...(seeds === undefined ? {} : { seeds }),
      ...(values.backend === undefined ? {} : { backend: values.backend }),
      jobs,
      runsDir: values['runs-dir'] ?? join(resultsFolder(definitionPath), 'runs'),
      reportsDir: values['reports-dir'] ?? join(resultsFolder(definitionPath), 'reports'),
      ...(queue === undefined ? {} : { queue }),
      ...(values.artifacts === undefined ? {} : { artifacts: values.artifacts }),
      attempts: values.attempts,
      check: values.check,
      fresh: values.fresh,
      dryRun: values['dry-run'],
      debug: values.debug,
      sets: seeds === undefined ? sets : [...sets, ['seeds', seeds] as const],
      ...(values['until-decided']
        ? {
            untilDecided: {
              ...(values['max-seeds'] === undefined ? {} : { maxSeeds: values['max-seeds'] }),
              round: values.round,
              smallestEffect: values['smallest-effect'],
            },
          }
        : {}),
    },
  };
}

const isFolder = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;

// ---- worker ----------------------------------------------------------------------------------

/** Options of `losslab worker`. */
export interface WorkerOptions {
  readonly target: QueueTarget;
  /** Runs at once on this machine, each in its own child process. */
  readonly concurrency: number;
  /** This worker's own run store: runs it already holds are reused, not retrained. */
  readonly runsDir: string;
  /**
   * How long a job's lock lasts without renewal. A worker that dies (SIGKILL, power) stops
   * renewing; after this long another worker's stalled-job check puts the job back in the queue.
   */
  readonly lockDurationMs: number;
  /** Shown by the coordinator as the machine a run is on. */
  readonly name: string;
  /** Folders besides the working folder whose definition files a job may name (`--allow-definitions`). */
  readonly allowDefinitions: readonly string[];
  /** Where run files go instead of Redis (`--artifacts`); absent: they travel inline, up to a limit. */
  readonly artifacts?: ArtifactLocation;
}

export const WORKER = {
  name: 'worker',
  synopsis: '--queue=redis://[:password@]host:port[/db] [options]',
  summary: 'run the runs that `losslab run … --queue=…` put in a Redis queue',
  about: `Takes runs from the queue that \`losslab run … --queue=…\` filled, runs each in a child process
and hands its record back. Needs the same checkout (code) and data files as the submitter. A job's
definition file must lie in the working folder or an --allow-definitions folder and have the
sha256 the job carries; it is checked before anything is imported.`,
  options: {
    queue: {
      type: 'string',
      value: 'URL',
      default: { shown: 'none; it is required' },
      description: `the Redis queue (rediss:// for TLS); password also from $${QUEUE_PASSWORD_ENV}`,
      decode: queueUrl,
    },
    'queue-password-file': QUEUE_PASSWORD_FILE,
    artifacts: ARTIFACTS,
    'allow-definitions': {
      type: 'string',
      value: 'DIR',
      default: { shown: 'only the working folder' },
      description: 'a folder (besides the working folder) whose definition files jobs may name; repeatable',
    },
    concurrency: {
      type: 'string',
      value: 'N',
      default: '1',
      description: 'runs at once on this machine',
      decode: positiveInteger,
    },
    'runs-dir': {
      type: 'string',
      value: 'DIR',
      default: 'runs',
      description: "this worker's own run store: runs it already holds are reused",
    },
    'lock-duration': {
      type: 'string',
      value: 'MS',
      default: '30000',
      description: "a job's lock without renewal: a dead worker's job returns to the queue after it",
      decode: positiveInteger,
    },
    name: {
      type: 'string',
      value: 'TEXT',
      default: { shown: '<hostname>:<pid>' },
      description: 'how the coordinator names this worker',
    },
  },
} as const satisfies CommandSpec;

/**
 * Reads `worker --queue=redis://host:port[/db] [--concurrency=N] [--runs-dir=runs]
 * [--lock-duration=ms] [--name=text]`; returns the problems instead of throwing.
 */
export function parseWorkerArguments(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): CommandArguments<WorkerOptions> {
  const parsed = parseCommand(WORKER, argv);
  const { values } = parsed;
  const problems = [...parsed.problems];
  if (!parsed.mentioned.has('queue')) problems.push('--queue: expected the Redis URL of the run queue');
  const target = queueTarget(values.queue, values['queue-password-file'], env, problems);
  const allowDefinitions = parsed.given.flatMap((given) => (given.name === 'allow-definitions' ? [given.value] : []));
  for (const folder of allowDefinitions)
    if (!isFolder(folder)) problems.push(`--allow-definitions: ${folder} is not a folder`);
  if (parsed.help) return HELP;
  if (problems.length > 0 || target === undefined) return { help: false, problems };
  return {
    help: false,
    problems,
    options: {
      target,
      concurrency: values.concurrency,
      runsDir: values['runs-dir'],
      lockDurationMs: values['lock-duration'],
      name: values.name ?? `${hostname()}:${process.pid}`,
      allowDefinitions,
      ...(values.artifacts === undefined ? {} : { artifacts: values.artifacts }),
    },
  };
}

// ---- evaluate --------------------------------------------------------------------------------

/** Options of `losslab evaluate`. */
export interface EvaluateOptions {
  readonly folder: string;
  /** Absent: the split the run was evaluated on, so the result can be compared with the record. */
  readonly split?: Split;
  /** Absent: the backend the run used (the same numbers). */
  readonly backend?: BackendName;
  readonly json: boolean;
}

export const EVALUATE = {
  name: 'evaluate',
  synopsis: '<run-folder> [options]',
  summary: 'evaluate the model a complete run saved, without training',
  about: `Re-evaluates the model a complete run saved (model.json + weights.bin) on the run's own data,
without training. On the run's own split and backend, the result is compared with the recorded one.`,
  operand: 'run folder',
  options: {
    split: {
      type: 'string',
      value: 'train|validation|test',
      default: { shown: 'the split the run was evaluated on' },
      description: 'the split to evaluate on',
      decode: oneOf(SPLITS, '"train", "validation", "test"'),
    },
    backend: {
      type: 'string',
      value: 'wasm|cpu|tensorflow',
      default: { shown: "the run's own" },
      description: 'the TF.js backend',
      decode: oneOf(BACKENDS, BACKENDS.join(', ')),
    },
    json: { type: 'boolean', description: 'print the evaluation as JSON (the shape of evaluation.json)' },
  },
} as const satisfies CommandSpec;

/** Reads `evaluate <run-folder> [--split=…] [--backend=…] [--json]`; returns the problems instead of throwing. */
export function parseEvaluateArguments(argv: readonly string[]): CommandArguments<EvaluateOptions> {
  const parsed = parseCommand(EVALUATE, argv);
  const { values, operand } = parsed;
  const problems = [...parsed.problems];
  if (operand === undefined)
    problems.push('run folder: expected the folder of a complete run (e.g. runs/mnist-odd/<run-id>)');
  if (parsed.help) return HELP;
  if (problems.length > 0 || operand === undefined) return { help: false, problems };
  const { split, backend } = values;
  return {
    help: false,
    problems,
    options: {
      folder: operand,
      ...(split === undefined ? {} : { split }),
      ...(backend === undefined ? {} : { backend }),
      json: values.json,
    },
  };
}

// ---- report ----------------------------------------------------------------------------------

const GROUPINGS: readonly GroupBy[] = ['variant', 'commit', 'run', 'auto'];

/** `macroF1,loss:lower` → primary metrics with their direction (absent: the metric's default), or the bad part. */
function readPrimary(text: string): DeclaredPrimary[] | { readonly bad: string } {
  const primary: DeclaredPrimary[] = [];
  for (const part of text.split(',')) {
    const [metric = '', direction, extra] = part.trim().split(':');
    if (
      metric === '' ||
      extra !== undefined ||
      (direction !== undefined && direction !== 'higher' && direction !== 'lower')
    )
      return { bad: part };
    primary.push(direction === undefined ? { metric } : { metric, direction });
  }
  return primary;
}

export const REPORT = {
  name: 'report',
  synopsis: '(--experiment=NAME | --runs=ID,ID) [options]',
  summary: 'rebuild a report from stored runs, or compare chosen runs',
  about: `Writes index.html, report.md and the charts from stored runs, without training: every current run
of an experiment grouped by variant, or the runs named by id (labels include the commit or run id).`,
  options: {
    experiment: {
      type: 'string',
      value: 'NAME',
      default: { shown: 'none; this or --runs is required' },
      description: 'report the complete runs of <runs-dir>/NAME',
    },
    runs: {
      type: 'string',
      value: 'ID,ID',
      default: { shown: 'none' },
      description: 'compare these stored runs',
      decode: (text, flag): Decoded<string[]> =>
        commaList(text).length > 0
          ? { value: commaList(text) }
          : { problem: `${flag}: expected at least one run id, got "${text}"` },
    },
    'runs-dir': { type: 'string', value: 'DIR', default: 'runs', description: 'where runs are stored' },
    out: {
      type: 'string',
      value: 'DIR',
      default: { shown: 'reports/<experiment>, or reports/compare with --runs' },
      description: 'the folder the report is written to',
    },
    'group-by': {
      type: 'string',
      value: GROUPINGS.join('|'),
      default: { shown: 'variant; auto with --runs' },
      description: 'what one column of the report is; auto: by commit when the runs span several, else by run',
      decode: oneOf(GROUPINGS, GROUPINGS.join(', ')),
    },
    baseline: {
      type: 'string',
      value: 'LABEL',
      default: { shown: 'the first group' },
      description: 'the group the others are compared with',
    },
    primary: {
      type: 'string',
      value: 'METRIC[:higher|lower],…',
      default: { shown: "the definition's report.primary, as its runs recorded it" },
      description: 'the primary metrics of the verdict, e.g. macroF1,loss:lower',
      decode: (text, flag): Decoded<DeclaredPrimary[]> => {
        const primary = readPrimary(text);
        return 'bad' in primary
          ? {
              problem: `${flag}: expected <metric> or <metric>:higher or <metric>:lower, comma-separated, got "${primary.bad}"`,
            }
          : { value: primary };
      },
    },
    check: {
      type: 'boolean',
      description: 'exit 1 unless every claim holds and the variants differ only in their overrides',
    },
  },
} as const satisfies CommandSpec;

/**
 * Reads `report --experiment=<name> | --runs=<id>,<id> [--runs-dir] [--out] [--group-by]
 * [--baseline] [--primary] [--check]`; returns the problems instead of throwing.
 *
 * @example parseReportArguments(['--experiment=blink']).options // { experiment: 'blink', runsDir: 'runs', out: 'reports/blink', groupBy: 'variant', check: false }
 */
export function parseReportArguments(argv: readonly string[]): CommandArguments<ReportCommandOptions> {
  const parsed = parseCommand(REPORT, argv);
  const { values } = parsed;
  const problems = [...parsed.problems];
  if (!parsed.mentioned.has('experiment') && !parsed.mentioned.has('runs'))
    problems.push('expected --experiment=<name> or --runs=<id>,<id>');
  if (parsed.help) return HELP;
  if (problems.length > 0) return { help: false, problems };
  const { experiment, primary } = values;
  const runIds = values.runs;
  const groupBy = values['group-by'];
  return {
    help: false,
    problems,
    options: {
      ...(experiment === undefined ? {} : { experiment }),
      ...(runIds === undefined ? {} : { runIds }),
      ...(values.baseline === undefined ? {} : { baseline: values.baseline }),
      ...(primary === undefined ? {} : { primary }),
      runsDir: values['runs-dir'],
      out: values.out ?? join('reports', runIds === undefined ? (experiment ?? 'report') : 'compare'),
      check: values.check,
      groupBy: groupBy ?? (runIds === undefined ? 'variant' : 'auto'),
    },
  };
}

// ---- init ------------------------------------------------------------------------------------

/** Options of `losslab init`. */
export interface InitOptions {
  readonly folder: string;
}

export const INIT = {
  name: 'init',
  synopsis: '<folder>',
  summary: 'set up a folder for definitions, with editor types for @losslab/*',
  about: `Writes package.json ("type": "module") and tsconfig.json into the folder (made if missing) so an
editor and tsc find the types of @losslab/*, TF.js, io-ts and fp-ts for definitions kept there. An
existing file is kept as it is.`,
  operand: 'folder',
  options: {},
} as const satisfies CommandSpec;

/** Reads `init <folder>`; returns the problems instead of throwing. */
export function parseInitArguments(argv: readonly string[]): CommandArguments<InitOptions> {
  const parsed = parseCommand(INIT, argv);
  const problems = [...parsed.problems];
  if (parsed.operand === undefined) problems.push('folder: expected the folder to set up (e.g. ~/my-study)');
  if (parsed.help) return HELP;
  if (problems.length > 0 || parsed.operand === undefined) return { help: false, problems };
  return { help: false, problems, options: { folder: parsed.operand } };
}

// ---- runs ------------------------------------------------------------------------------------

/** Options of `losslab runs`. */
export interface RunsOptions {
  readonly runsDir: string;
  readonly experiment?: string;
}

export const RUNS = {
  name: 'runs',
  synopsis: '[options]',
  summary: 'list stored runs with their state, epochs and metrics',
  about: `Prints one table per experiment: every run folder with its state (running with its epoch and
ETA, complete, killed, failed with the reason, or unreadable with the reason), variant, seed, epochs
and latest metrics. Reads only; a running run shows every epoch it has finished.`,
  options: {
    'runs-dir': { type: 'string', value: 'DIR', default: 'runs', description: 'where runs are stored' },
    experiment: {
      type: 'string',
      value: 'NAME',
      default: { shown: 'every experiment in <runs-dir>' },
      description: 'only the runs of <runs-dir>/NAME',
    },
  },
} as const satisfies CommandSpec;

/** Reads `runs [--runs-dir=DIR] [--experiment=NAME]`; returns the problems instead of throwing. */
export function parseRunsArguments(argv: readonly string[]): CommandArguments<RunsOptions> {
  const parsed = parseCommand(RUNS, argv);
  if (parsed.help) return HELP;
  if (parsed.problems.length > 0) return { help: false, problems: parsed.problems };
  const { experiment } = parsed.values;
  return {
    help: false,
    problems: [],
    options: { runsDir: parsed.values['runs-dir'], ...(experiment === undefined ? {} : { experiment }) },
  };
}

// ---- serve -----------------------------------------------------------------------------------

/** Options of `losslab serve`. */
export interface ServeOptions {
  readonly runsDir: string;
  readonly reportsDir: string;
  readonly port: number;
  readonly host: string;
}

/** The loopback address `serve` binds unless told otherwise. */
export const LOOPBACK = '127.0.0.1';

export const SERVE = {
  name: 'serve',
  synopsis: '[options]',
  summary: 'watch runs live in a browser: states, curves, reports, comparisons',
  about: `Serves a local page of the experiments in <runs-dir>: every run with its state (epoch k of N and
an ETA while it runs), live learning curves, each experiment's report with interactive charts, a
page per run and a comparison of chosen runs. Reads only, never writes; serves no file outside
<runs-dir> and <reports-dir>; loads nothing from the network. Stop it with Ctrl-C.`,
  options: {
    'runs-dir': { type: 'string', value: 'DIR', default: 'runs', description: 'where runs are stored' },
    'reports-dir': {
      type: 'string',
      value: 'DIR',
      default: 'reports',
      description: 'where written reports are (their files are linked from the page)',
    },
    port: {
      type: 'string',
      value: 'N',
      default: '6070',
      description: 'the port to listen on (0: any free port, printed)',
      decode: (text, flag): Decoded<number> =>
        /^\d+$/.test(text) && Number(text) <= 65535
          ? { value: Number(text) }
          : { problem: `${flag}: expected a port number from 0 to 65535, got "${text}"` },
    },
    host: {
      type: 'string',
      value: 'ADDRESS',
      default: LOOPBACK,
      description: 'the address to bind; any other than loopback lets anyone who reaches the port read the runs',
    },
  },
} as const satisfies CommandSpec;

/** Reads `serve [--runs-dir] [--reports-dir] [--port] [--host]`; returns the problems instead of throwing. */
export function parseServeArguments(argv: readonly string[]): CommandArguments<ServeOptions> {
  const parsed = parseCommand(SERVE, argv);
  if (parsed.help) return HELP;
  if (parsed.problems.length > 0) return { help: false, problems: parsed.problems };
  const { values } = parsed;
  return {
    help: false,
    problems: [],
    options: { runsDir: values['runs-dir'], reportsDir: values['reports-dir'], port: values.port, host: values.host },
  };
}

/** Every command `losslab --help` lists, in that order. */
export const COMMANDS: readonly CommandSpec[] = [RUN, REPORT, RUNS, SERVE, EVALUATE, WORKER, INIT];
