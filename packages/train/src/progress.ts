/** Receives training progress; `fit` calls it, and never depends on where it prints. */
export interface ProgressReporter {
  epochStart(epoch: number, epochs: number, steps: number): void;
  /** `step` is 1-based; `meanLoss` is the running mean over the epoch so far. */
  step(step: number, meanLoss: number): void;
  /** Called once per epoch with its final numbers and any validation metrics. */
  epochEnd(summary: {
    epoch: number;
    steps: number;
    seconds: number;
    loss: number;
    validation?: Readonly<Record<string, number>>;
  }): void;
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
const formatPerStep = (seconds: number, steps: number): string =>
  `${Math.round((1000 * seconds) / Math.max(steps, 1))}ms/step`;
const formatMetrics = (metrics: Readonly<Record<string, number>> | undefined): string =>
  Object.entries(metrics ?? {})
    .map(([name, value]) => ` - val_${name}: ${value.toFixed(4)}`)
    .join('');

/**
 * Keras' ETA text for `seconds` left (whole seconds, truncated like Keras' `%d`): `45s` below a
 * minute, `m:ss` below an hour, `h:mm:ss` beyond.
 *
 * @example
 * formatEta(12.7); // '12s'
 * formatEta(99); // '1:39'
 * formatEta(3725); // '1:02:05'
 */
export function formatEta(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  if (whole >= 3600) return `${Math.floor(whole / 3600)}:${two(Math.floor((whole % 3600) / 60))}:${two(whole % 60)}`;
  if (whole >= 60) return `${Math.floor(whole / 60)}:${two(whole % 60)}`;
  return `${whole}s`;
}

/**
 * Redraws the current terminal line: carriage return, ANSI "erase to end of line", the text.
 * Without the erase, a line shorter than the one before it would keep that line's last characters.
 */
const REDRAW = '\r\x1b[K';

/** Options of {@link kerasProgress}. */
export interface KerasProgressOptions {
  /** Milliseconds since some fixed origin; inject a fake clock in tests. Default `performance.now`. */
  readonly now?: () => number;
  /** Printed before every line, e.g. `run 3/9 (sgd, seed 3):`, so parallel runs' lines can be told apart. */
  readonly label?: string;
}

/**
 * Keras-style progress. On a terminal: a live bar redrawn in place with the epoch's ETA from the
 * mean step time so far, `234/468 [==============>...............] - ETA: 3s - loss: 0.1372`
 * (ETA = elapsed / step · (steps − step)), and at the end of the epoch its total time,
 * `468/468 [==============================] - 6s 13ms/step - loss: 0.1372`. Each redraw erases the
 * rest of the line (`\r\x1b[K`). Otherwise (CI, pipes, log files) one plain line per epoch, so
 * logs stay readable. A second argument that is a function is taken as `now` (the older form).
 *
 * @example
 * await fit({ ...options, progress: kerasProgress(process.stdout) });
 * await fit({ ...options, progress: kerasProgress(process.stdout, { label: 'run 3/9 (sgd, seed 3):' }) });
 */
export function kerasProgress(
  stream: ProgressStream,
  options: KerasProgressOptions | (() => number) = {},
): ProgressReporter {
  const { now = () => performance.now(), label } = typeof options === 'function' ? { now: options } : options;
  const live = stream.isTTY === true;
  const prefix = label === undefined || label === '' ? '' : `${label} `;
  let started = 0;
  let steps = 0;
  let lastDraw = 0;
  return {
    epochStart(epoch, epochs, stepCount) {
      started = now();
      steps = stepCount;
      lastDraw = 0;
      if (live) stream.write(`${prefix}Epoch ${epoch}/${epochs}\n`);
    },
    step(step, meanLoss) {
      if (!live) return;
      const t = now();
      // Redrawing every step would cost more than small steps themselves.
      if (step < steps && t - lastDraw < 100) return;
      lastDraw = t;
      const seconds = (t - started) / 1000;
      const timing =
        step < steps
          ? `ETA: ${formatEta((seconds / step) * (steps - step))}`
          : `${formatSeconds(seconds)} ${formatPerStep(seconds, step)}`;
      stream.write(`${REDRAW}${prefix}${progressBar(step, steps)} - ${timing} - loss: ${meanLoss.toFixed(4)}`);
    },
    epochEnd({ epoch, steps: stepCount, seconds, loss, validation }) {
      const tail = `${formatSeconds(seconds)} ${formatPerStep(seconds, stepCount)} - loss: ${loss.toFixed(4)}${formatMetrics(validation)}`;
      if (live) {
        stream.write(`${REDRAW}${prefix}${progressBar(stepCount, stepCount)} - ${tail}\n`);
      } else {
        stream.write(`${prefix}epoch ${epoch}: ${stepCount} steps - ${tail}\n`);
      }
    },
  };
}

/** A reporter that prints nothing (tests, library use). */
export const silentProgress: ProgressReporter = { epochStart() {}, step() {}, epochEnd() {} };
