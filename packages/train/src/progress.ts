/** Receives training progress; `fit` calls it, and never depends on where it prints. */
export interface ProgressReporter {
  epochStart(epoch: number, epochs: number, steps: number): void;
  /** `step` is 1-based; `meanLoss` is the running mean over the epoch so far. */
  step(step: number, meanLoss: number): void;
  /** Called once per epoch with its final numbers and any validation metrics. */
  epochEnd(summary: { epoch: number; steps: number; seconds: number; loss: number; validation?: Readonly<Record<string, number>> }): void;
}

/** Writable the reporter prints to; `isTTY` picks the live bar or one line per epoch. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const BAR_WIDTH = 30;

/** `468/468 [==============================]`: Keras' bar, with `>` at its head while running. */
export function progressBar(step: number, steps: number): string {
  const filled = Math.floor((BAR_WIDTH * Math.min(step, steps)) / Math.max(steps, 1));
  const bar = filled > 0 ? '='.repeat(filled - 1) + (step < steps ? '>' : '=') : '';
  return `${String(step).padStart(String(steps).length)}/${steps} [${bar.padEnd(BAR_WIDTH, '.')}]`;
}

const formatSeconds = (seconds: number): string => `${Math.round(seconds)}s`;
const formatPerStep = (seconds: number, steps: number): string => `${Math.round((1000 * seconds) / Math.max(steps, 1))}ms/step`;
const formatMetrics = (metrics: Readonly<Record<string, number>> | undefined): string =>
  Object.entries(metrics ?? {})
    .map(([name, value]) => ` - val_${name}: ${value.toFixed(4)}`)
    .join('');

/**
 * Keras-style progress. On a terminal: a live bar redrawn in place,
 * `468/468 [==============================] - 6s 13ms/step - loss: 0.1372`; otherwise (CI, pipes,
 * log files) one plain line per epoch, so logs stay readable.
 *
 * @example
 * await fit({ ...options, progress: kerasProgress(process.stdout) });
 */
export function kerasProgress(stream: ProgressStream, now: () => number = () => performance.now()): ProgressReporter {
  const live = stream.isTTY === true;
  let started = 0;
  let steps = 0;
  let lastDraw = 0;
  return {
    epochStart(epoch, epochs, stepCount) {
      started = now();
      steps = stepCount;
      lastDraw = 0;
      if (live) stream.write(`Epoch ${epoch}/${epochs}\n`);
    },
    step(step, meanLoss) {
      if (!live) return;
      const t = now();
      // Redrawing every step would cost more than small steps themselves.
      if (step < steps && t - lastDraw < 100) return;
      lastDraw = t;
      const seconds = (t - started) / 1000;
      stream.write(`\r${progressBar(step, steps)} - ${formatSeconds(seconds)} ${formatPerStep(seconds, step)} - loss: ${meanLoss.toFixed(4)}`);
    },
    epochEnd({ epoch, steps: stepCount, seconds, loss, validation }) {
      const tail = `${formatSeconds(seconds)} ${formatPerStep(seconds, stepCount)} - loss: ${loss.toFixed(4)}${formatMetrics(validation)}`;
      if (live) {
        stream.write(`\r${progressBar(stepCount, stepCount)} - ${tail}\n`);
      } else {
        stream.write(`epoch ${epoch}: ${stepCount} steps - ${tail}\n`);
      }
    },
  };
}

/** A reporter that prints nothing (tests, library use). */
export const silentProgress: ProgressReporter = { epochStart() {}, step() {}, epochEnd() {} };
