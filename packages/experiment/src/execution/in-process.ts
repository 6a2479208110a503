import * as E from 'fp-ts/lib/Either.js';
import type { ExperimentDefinition } from '@losslab/schema';
import type { BackendInfo } from '@losslab/runtime';
import { kerasProgress } from '@losslab/train';
import type { RunOptions } from '../command-options.js';
import { registry } from '../kinds/index.js';
import { firstLineOf } from '../message.js';
import type { SourceLoader } from '../pipeline.js';
import { describeFailure, runOne } from '../run.js';
import { forwardStopSignals } from './child-processes.js';
import { cellLabel, metricsLine, type CellResult, type Execution, type RunCell } from './execution.js';
import { keptSourceLoader } from './kept-data.js';

/** The options {@link runHere} reads. */
type HereOptions = Pick<RunOptions, 'runsDir' | 'fresh' | 'definitionPath' | 'debug'>;

/**
 * Runs one cell in this process (every run with `--parallel=1`, the one of a `run-one` child, or
 * each run of a pool's worker process, which passes its kept data as `loadSource`), printing its
 * progress and outcome; never throws.
 */
export async function runHere(
  definition: ExperimentDefinition,
  { variant, seed }: RunCell,
  options: HereOptions,
  backend: BackendInfo,
  loadSource?: SourceLoader,
): Promise<CellResult> {
  const label = cellLabel(variant.name, seed);
  try {
    const outcome = await runOne(
      { definition, variant, seed },
      {
        runsDir: options.runsDir,
        backend,
        progress: kerasProgress(process.stdout),
        reuse: !options.fresh,
        log: (line) => console.log(line),
        definitionFile: options.definitionPath,
        ...(loadSource === undefined ? {} : { loadSource }),
      },
    );
    if (E.isLeft(outcome)) {
      console.error(`error: ${describeFailure(outcome.left, { variant: variant.name, seed })}`);
      return { label, ending: outcome.left.tag };
    }
    const { record, folder, reused } = outcome.right;
    console.log(`${reused ? 'reused' : 'wrote'} ${folder} — ${record.evaluation.split}: ${metricsLine(record)}`);
    return { label, record };
  } catch (error) {
    // Not a phase's failure but a bug or the environment: this run fails, the others still run.
    console.error(`error: ${variant.name} seed ${seed}: ${firstLineOf(error)}`);
    if (options.debug && error instanceof Error && error.stack) console.error(error.stack);
    return { label, ending: 'crashed' };
  }
}

/**
 * The data source of this process's last run, kept for its next (kept-data.ts): the runs of
 * `--parallel=1` share their data as a `--jobs=N` worker's runs do, so that neither reads and
 * decodes the files for every run while the other does not.
 */
let keptData: SourceLoader | undefined;

/** `--parallel=1`: the runs one after another in this process, keeping their data between runs. */
export const inProcessExecution = (
  definition: ExperimentDefinition,
  options: RunOptions,
  backend: BackendInfo,
): Execution => ({
  where: `in this process (pid ${process.pid})`,
  async run(cells) {
    forwardStopSignals();
    const results: CellResult[] = [];
    for (const [index, cell] of cells.entries()) {
      console.log(`run ${index + 1}/${cells.length}: ${cell.variant.name} seed ${cell.seed}`);
      keptData ??= keptSourceLoader(registry);
      results.push(await runHere(definition, cell, options, backend, keptData));
    }
    return results;
  },
});
