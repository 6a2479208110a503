import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstLineOf } from './message.js';
import { renderHelp, renderOverview, type CommandSpec } from './arguments.js';
import {
  COMMANDS,
  EVALUATE,
  INIT,
  parseEvaluateArguments,
  parseInitArguments,
  parseReportArguments,
  parseRunArguments,
  parseRunsArguments,
  parseServeArguments,
  parseWorkerArguments,
  REPORT,
  RUN,
  RUNS,
  SERVE,
  WORKER,
  type CommandArguments,
} from './command-options.js';
import { closestName } from './suggest.js';

/**
 * The losslab command line (`npx losslab …`; in a checkout also `tsx --conditions=@losslab/source
 * packages/experiment/src/cli.ts …`): argument handling and dispatch only. Each command (`run`,
 * `report`, `runs`, `serve`, `evaluate`, `worker`, `init`) is read by one parser from its option table
 * (command-options.ts), which `--help` prints, and runs from its own module: `run` from
 * run-command.ts, whose runs execute in this process, on long-lived worker processes (`--jobs=N`,
 * execution/worker-pool.ts) or on queue workers (queue/sweep.ts). A command's module is imported
 * only when that command runs, so `--help` or `runs` never loads TensorFlow.js, the queue or vega.
 */

const CLI_PATH = fileURLToPath(import.meta.url);

const EXIT_CODES = `exit codes: 0 ok; 1 a run or a checked claim failed, or the environment failed (a backend that
cannot load, a disk that is full), said in one line; 2 an invalid definition or invalid arguments.`;

/** Names `main` answers to besides the commands' own, for "did you mean". */
const HELP_NAMES = ['help', '--help', '-h', '--version'];

/** The version of @losslab/experiment, from its package.json (beside src/ and dist/ alike). */
export const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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

/** `losslab --help`: each command in one line and its usage; `<command> --help` has its options. */
const overview = (): string => renderOverview(COMMANDS, EXIT_CODES);

/** Runs one CLI command and resolves to its exit code. `entry` is the script run children start from. */
export async function main(argv: readonly string[], entry: string = CLI_PATH): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return withArguments(RUN, parseRunArguments(rest), async (options) => {
        // --jobs=N: the workers load while this process imports the run command.
        (await import('./execution/worker-pool.js')).startWorkersEarly(options);
        return (await import('./run-command.js')).runCommand(options, entry);
      });
    case 'run-one':
      return withArguments(RUN, parseRunArguments(rest), async (options) =>
        (await import('./run-command.js')).runOneCommand(options),
      );
    case 'worker':
      return withArguments(WORKER, parseWorkerArguments(rest), async (options) =>
        (await import('./queue/worker.js')).workerCommand(options),
      );
    case 'report':
      return withArguments(REPORT, parseReportArguments(rest), async (options) =>
        (await import('@losslab/report/node')).reportCommand(options),
      );
    case 'runs':
      return withArguments(RUNS, parseRunsArguments(rest), async (options) =>
        (await import('./runs-command.js')).runsCommand(options),
      );
    case 'serve':
      return withArguments(SERVE, parseServeArguments(rest), async (options) =>
        (await import('./serve/command.js')).serveCommand(options),
      );
    case '--version':
      console.log(version());
      return 0;
    case 'evaluate':
      return withArguments(EVALUATE, parseEvaluateArguments(rest), async (options) =>
        (await import('./evaluate-command.js')).evaluateCommand(options),
      );
    case 'init':
      return withArguments(INIT, parseInitArguments(rest), async (options) =>
        (await import('./init-command.js')).initCommand(options),
      );
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
