import type { RunRecord } from '@losslab/schema';
import type { ResolvedVariant } from '../resolve.js';

/**
 * Where the runs of a matrix execute — in this process (in-process.ts), in worker processes
 * (worker-pool.ts) or on the workers of a queue (queue/sweep.ts) — behind one interface, so the run
 * command treats them alike.
 */

/** One (variant, seed) of the run matrix. */
export interface RunCell {
  readonly variant: ResolvedVariant;
  readonly seed: number;
}

/** How one cell ended: its record, or why there is none. */
export interface CellResult {
  /** `adam s3`: names the run in failure lines and in the prefix of a child's output. */
  readonly label: string;
  readonly record?: RunRecord;
  /** Why there is no record, for the summary: `TrainFailed`, `exit code 1`, `killed by SIGKILL`. */
  readonly ending?: string;
}

/** One way of executing the runs of a matrix. */
export interface Execution {
  /** For the opening line: `in this process (pid 42)`, `4 child processes at a time`, `on the workers of redis://…`. */
  readonly where: string;
  /**
   * Runs every cell and resolves with one result per cell, in order; never rejects for a run's
   * failure. Resolves to undefined when it cannot start at all (said on stderr, nothing written).
   */
  run(cells: readonly RunCell[]): Promise<readonly CellResult[] | undefined>;
}

/** `adam s3`. */
export const cellLabel = (variant: string, seed: number): string => `${variant} s${seed}`;

/** `accuracy 0.9123, loss 0.2345`: a run's evaluation metrics in one line. */
export const metricsLine = (record: RunRecord): string =>
  Object.entries(record.evaluation.metrics)
    .map(([name, value]) => `${name} ${value.toFixed(4)}`)
    .join(', ');
