import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchCount, batches, type ArrayDataset, type BatchAugment, type BatchPlan } from '@losslab/data';
import { DEFAULT_REDUCTION, reduceLoss, type Loss, type ScalarReduction } from '@losslab/losses';
import { LosslabError, requireInteger } from '@losslab/runtime';
import { fusedDenseStep } from './fused-step.js';
import { hostValues, isHostAdam } from './host-adam.js';
import { silentProgress, type ProgressReporter } from './progress.js';
import { earlyStoppingState, learningRateAt, learningRateOf, setLearningRate } from './schedule.js';
import type { EarlyStoppingSpec, EpochRecord, ScheduleSpec, TrainingState } from '@losslab/schema';
import { captureCheckpoint, restoreCheckpoint } from './checkpoint.js';

/**
 * One epoch of history: mean training loss over its steps, wall time, validation metrics. The
 * record's own type, so what `fit` returns is what a run record holds.
 */
export type EpochEntry = EpochRecord;

/** What {@link fit} trains, on what, for how long, and what it measures after each epoch. */
export interface FitOptions {
  readonly model: tfl.LayersModel;
  /** Per-sample loss of `(labels, predictions)`; labels may be wider than the model output. */
  readonly loss: Loss;
  /**
   * The loss of epoch `epoch` (1-based), for a loss that changes with the epoch (deferred
   * re-weighting); `loss` when absent. Asked at the start of every epoch trained, so a resumed fit
   * uses the loss an uninterrupted one would.
   */
  readonly lossAt?: (epoch: number) => Loss;
  /** How per-sample losses become the scalar that is minimised; Keras' default if omitted. */
  readonly reduction?: ScalarReduction;
  readonly optimizer: tf.Optimizer;
  readonly data: ArrayDataset;
  readonly plan: BatchPlan;
  readonly epochs: number;
  /** Changes each training batch's features (augmentation, seeded per epoch and batch); validation never sees it. */
  readonly augment?: BatchAugment;
  /** Whole-epoch validation (or any per-epoch measurement); its numbers go into the history. */
  readonly validate?: (epoch: number) => Promise<Readonly<Record<string, number>>> | Readonly<Record<string, number>>;
  readonly progress?: ProgressReporter;
  /** Called after every training step with its 1-based number within the epoch and its loss (TF.js' name). */
  readonly onBatchEnd?: (step: number, loss: number, epoch: number) => void | Promise<void>;
  /** Called after every epoch with its history entry, validation included (TF.js' name). */
  readonly onEpochEnd?: (entry: EpochEntry) => void | Promise<void>;
  /** The learning rate of each epoch (from the optimiser's own rate, which is the default). */
  readonly schedule?: ScheduleSpec;
  /** Stop on a validation metric that no longer improves (needs `validate`). */
  readonly earlyStopping?: EarlyStoppingSpec;
  /**
   * Hands a {@link TrainingState} to `save` after every `every`-th epoch (default 1) that training
   * continues past; the final epoch gets none (the caller has the trained model then).
   */
  readonly checkpoint?: CheckpointOptions;
  /**
   * Continue from a checkpoint of the same setup (model, optimiser, data, plan, epochs) instead of
   * from epoch 1: the model and optimiser, freshly built, take its state, and the result is the
   * one an uninterrupted fit would have given.
   */
  readonly resume?: TrainingState;
  /**
   * Train a dense stack with a (sliced, masked, sample-weighted) categorical cross-entropy by the
   * fused dense path (`fusedDenseStep`: hand-written backward pass, the loss on the host) on the
   * cpu and wasm backends. Default true; false always takes the straightforward autodiff path
   * (to measure against it). Other models and losses take that path anyway.
   */
  readonly fusedDense?: boolean;
}

/** What {@link fit} trained: its history, where it stopped and, with early stopping, which epoch it kept. */
export interface FitResult {
  /** One entry per epoch trained, from epoch 1 (a resumed fit includes the checkpoint's). */
  readonly history: EpochEntry[];
  /** The last epoch trained: `epochs`, or earlier when early stopping ended training. */
  readonly stoppedAt: number;
  /** With early stopping: the epoch whose validation metric was best (its weights are restored when `restoreBest`). */
  readonly bestEpoch?: number;
}

/** When {@link fit} checkpoints and where the checkpoint goes. */
export interface CheckpointOptions {
  readonly every?: number;
  readonly save: (checkpoint: TrainingState) => Promise<void>;
}

/**
 * A scalar that is 0 when every element of every tensor is finite and NaN otherwise:
 * `Σ_t Σ 0 · t` (0 · x is NaN exactly for NaN and ±Infinity). Exact, unlike a norm, which can
 * overflow on large finite values.
 */
function nonFiniteProbe(tensors: readonly tf.Tensor[]): tf.Scalar {
  if (tensors.length === 0) return tf.scalar(0);
  return tf.addN(tensors.map((t) => tf.sum(tf.mul(t, 0)))) as tf.Scalar;
}

/** The first tensor of `named` holding a NaN or ±Infinity, as `name (NaN)`; read only on the error path. */
function firstNonFinite(named: readonly { name: string; tensor: tf.Tensor }[]): string {
  for (const { name, tensor } of named) {
    const values = tensor.dataSync();
    const bad = values.find((v) => !Number.isFinite(v));
    if (bad !== undefined) return `${name} (${bad})`;
  }
  return 'a tensor';
}

/**
 * True when every value is finite (no NaN, no ±Infinity): `x − x` is 0 exactly for finite x.
 * An indexed loop that accumulates, without a branch per element: `for…of` with
 * `Number.isFinite` took about 0.5 ms per mnist-odd step (100,000 values).
 */
function allFinite(values: Float32Array): boolean {
  let probe = 0;
  // for…of over a Float32Array is itself about 4 times slower here.
  // eslint-disable-next-line @typescript-eslint/prefer-for-of
  for (let i = 0; i < values.length; i++) probe += values[i]! - values[i]!;
  return probe === 0;
}

/** One turn of the event loop: `setImmediate` in Node (no 1 ms timer floor), a timer elsewhere. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((resume) => (typeof setImmediate === 'function' ? setImmediate(resume) : setTimeout(resume, 0)));

/**
 * losslab's training loop. Unlike `LayersModel.fit` it accepts labels of any width (the loss
 * decides which columns it reads), shuffles from the plan's seed (epoch `e` of `1..epochs` trains in
 * `epochOrder(size, plan, e)`), reduces per-sample losses with a named reduction, and keeps the
 * number of live tensors constant from epoch to epoch.
 *
 * Each step reads back one small vector `[loss, gradient probe, weight probe]` (with a
 * `HostAdam`: the loss, the weights and the gradients, checked and updated on the host) and stops with a
 * `NON_FINITE_LOSS` error naming the epoch and step that produced the non-finite value:
 * - `loss became NaN at epoch 2, step 1 of 4`;
 * - `gradient became non-finite at epoch 1, step 3 of 4: dense_Dense1/kernel (NaN); the loss was 0.6931`
 *   (the loss can be finite while its gradient is not; such a gradient is never applied);
 * - `weights became non-finite after the update at epoch 1, step 3 of 4: dense_Dense1/bias (Infinity)`
 *   (finite gradients, overflowing update; found by the next step's readback or at the epoch's end).
 *
 * @example
 * const { history } = await fit({ model, loss: masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
 *   optimizer: createOptimizer({ kind: 'adam' }), data, plan: { batchSize: 128, shuffle: true, remainder: 'drop', seed: 0 }, epochs: 3 });
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  const { model, loss, optimizer, data, plan, validate } = options;
  const epochs = requireInteger('epochs', options.epochs, 1);
  const reduction = options.reduction ?? DEFAULT_REDUCTION;
  const progress = options.progress ?? silentProgress;
  const steps = batchCount(data.size, plan);
  if (steps === 0) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `batchSize: ${plan.batchSize} with remainder "drop" leaves no batch of ${data.size} samples`,
    );
  }
  // LayerVariable.read() returns its tf.Variable, typed as a plain Tensor.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const host = isHostAdam(optimizer) ? optimizer : undefined;
  const at = (epoch: number, step: number): string => `epoch ${epoch}, step ${step} of ${steps}`;
  // Where the current weights came from, for the message when they turn out non-finite.
  let lastUpdate = 'the initial weights are non-finite';
  const weightsError = (): LosslabError =>
    new LosslabError(
      'NON_FINITE_LOSS',
      `${lastUpdate}: ${firstNonFinite(variables.map((v) => ({ name: v.name, tensor: v })))}`,
    );
  const { schedule, earlyStopping } = options;
  if (earlyStopping !== undefined && validate === undefined)
    throw new LosslabError('INVALID_ARGUMENT', 'earlyStopping: needs per-epoch validation (validate)');
  const baseRate = schedule === undefined ? undefined : learningRateOf(optimizer);
  const checkpointEvery = requireInteger('checkpoint.every', options.checkpoint?.every ?? 1, 1);
  // The weights of the best epoch so far, kept on the host when they are to be restored.
  let bestWeights: Float32Array[] | undefined;
  let bestEpoch: number | undefined;
  const history: EpochEntry[] = [];
  const resume = options.resume;
  if (resume !== undefined) {
    if (resume.epoch >= epochs)
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `resume: the checkpoint is of epoch ${resume.epoch}; there is nothing left to train in ${epochs} epochs`,
      );
    const restored = await restoreCheckpoint(resume, model, optimizer);
    history.push(...restored.history);
    bestWeights = restored.bestWeights;
    lastUpdate = `weights became non-finite in the checkpoint of epoch ${resume.epoch}`;
  }
  for (let epoch = history.length + 1; epoch <= epochs; epoch++) {
    const learningRate =
      schedule === undefined || baseRate === undefined ? undefined : learningRateAt(schedule, baseRate, epoch, epochs);
    if (learningRate !== undefined) setLearningRate(optimizer, learningRate);
    const epochLoss = options.lossAt?.(epoch) ?? loss;
    const fused = options.fusedDense === false ? undefined : fusedDenseStep(model, epochLoss, reduction);
    progress.epochStart(epoch, epochs, steps);
    const started = performance.now();
    let lossSum = 0;
    let samples = 0;
    let step = 0;
    let stepLoss: number;
    for (const batch of batches(data, plan, epoch, options.augment)) {
      step++;
      let grads: tf.NamedTensorMap | undefined;
      try {
        const computed =
          fused?.(batch.x, batch.y) ??
          optimizer.computeGradients(
            () => reduceLoss(epochLoss, batch.y, model.apply(batch.x, { training: true }) as tf.Tensor2D, reduction),
            variables,
          );
        grads = computed.grads;
        // A variable the loss does not reach has no gradient; minimize passes it on the same way.
        const named = variables.map((v) => ({ name: v.name, tensor: computed.grads[v.name] }));
        const present = named.filter((g): g is { name: string; tensor: tf.Tensor } => g.tensor !== undefined);
        let value: number;
        if (host !== undefined) {
          // Host optimiser (cpu/wasm): the loss, the weights and the gradients are read back as
          // they are (memory copies there). The update checks its own results: a non-finite
          // weight or gradient makes a new weight non-finite, and only then are they searched
          // (in the order of the probe path below) for the message; nothing is applied.
          [value = Number.NaN] = await computed.value.data();
          computed.value.dispose();
          // Views of the wasm heap where possible: read before the step makes any tensor.
          const weightValues = variables.map(hostValues);
          const gradientValues = named.map((g) => (g.tensor === undefined ? undefined : hostValues(g.tensor)));
          const unapplied = Number.isFinite(value)
            ? host.stepIfFinite(variables, weightValues, gradientValues)
            : undefined;
          if (unapplied !== undefined || !Number.isFinite(value)) {
            if (!weightValues.every(allFinite)) throw weightsError();
            if (!Number.isFinite(value)) {
              throw new LosslabError('NON_FINITE_LOSS', `loss became ${value} at ${at(epoch, step)}`);
            }
            if (!gradientValues.every((g) => g === undefined || allFinite(g))) {
              throw new LosslabError(
                'NON_FINITE_LOSS',
                `gradient became non-finite at ${at(epoch, step)}: ${firstNonFinite(present)}; the loss was ${value}`,
              );
            }
            const overflowed = variables[unapplied?.variable ?? 0]?.name ?? 'a weight';
            throw new LosslabError(
              'NON_FINITE_LOSS',
              `weights became non-finite after the update at ${at(epoch, step)}: ${overflowed} (${String(unapplied?.value)})`,
            );
          }
        } else {
          // One readback per step: the loss and whether the gradients and the weights (as the
          // previous update left them) are all finite.
          const health = tf.tidy(() =>
            tf.stack([computed.value, nonFiniteProbe(present.map((g) => g.tensor)), nonFiniteProbe(variables)]),
          );
          computed.value.dispose();
          const [loss = Number.NaN, gradientProbe = Number.NaN, weightProbe = Number.NaN] = await health.data();
          health.dispose();
          value = loss;
          // Non-finite weights make the loss non-finite too: blame the update that made them.
          if (!Number.isFinite(weightProbe)) throw weightsError();
          if (!Number.isFinite(value)) {
            throw new LosslabError('NON_FINITE_LOSS', `loss became ${value} at ${at(epoch, step)}`);
          }
          if (!Number.isFinite(gradientProbe)) {
            throw new LosslabError(
              'NON_FINITE_LOSS',
              `gradient became non-finite at ${at(epoch, step)}: ${firstNonFinite(present)}; the loss was ${value}`,
            );
          }
          // Same order as `optimizer.minimize(f, true, variables)`, which Adam's slots depend on.
          optimizer.applyGradients(named as { name: string; tensor: tf.Tensor }[]);
        }
        lastUpdate = `weights became non-finite after the update at ${at(epoch, step)}`;
        lossSum += value;
        stepLoss = value;
        samples += batch.size;
      } finally {
        tf.dispose([batch.x, batch.y]);
        if (grads !== undefined) tf.dispose(Object.values(grads));
      }
      progress.step(step, lossSum / step);
      await options.onBatchEnd?.(step, stepLoss, epoch);
      // Readbacks resolve as microtasks, so without this the loop never lets I/O run: a signal
      // handler or a closed IPC channel (the parent process died) would wait for the whole fit.
      await yieldToEventLoop();
    }
    // The last update of the epoch has no next step to check it before validation does.
    const probe = tf.tidy(() => nonFiniteProbe(variables));
    const [weightProbe = Number.NaN] = await probe.data();
    probe.dispose();
    if (!Number.isFinite(weightProbe)) throw weightsError();
    const seconds = (performance.now() - started) / 1000;
    const validation = validate ? await validate(epoch) : undefined;
    const entry: EpochEntry = {
      epoch,
      loss: lossSum / steps,
      seconds,
      samplesPerSecond: samples / seconds,
      ...(validation ? { validation } : {}),
      ...(learningRate === undefined ? {} : { learningRate }),
    };
    history.push(entry);
    progress.epochEnd({ epoch, steps, seconds, loss: entry.loss, ...(validation ? { validation } : {}) });
    await options.onEpochEnd?.(entry);
    if (earlyStopping !== undefined) {
      const values = history.map((h) => h.validation?.[earlyStopping.metric] ?? Number.NaN);
      if (!Number.isFinite(values[values.length - 1]))
        throw new LosslabError(
          'INVALID_ARGUMENT',
          `earlyStopping.metric: validation has no "${earlyStopping.metric}" (it has ${Object.keys(validation ?? {}).join(', ')})`,
        );
      const state = earlyStoppingState(values, earlyStopping);
      bestEpoch = state.bestEpoch;
      if (earlyStopping.restoreBest === true && state.bestEpoch === epoch)
        bestWeights = variables.map((v) => (v.dataSync() as Float32Array).slice());
      if (state.stop) break;
    }
    if (options.checkpoint !== undefined && epoch < epochs && epoch % checkpointEvery === 0)
      await options.checkpoint.save(
        await captureCheckpoint(model, optimizer, { epoch, history, ...(bestWeights ? { bestWeights } : {}) }),
      );
  }
  if (bestWeights !== undefined) {
    const kept = bestWeights;
    variables.forEach((v, i) => {
      const values = kept[i];
      if (values !== undefined) tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
    });
  }
  return { history, stoppedAt: history.length, ...(bestEpoch === undefined ? {} : { bestEpoch }) };
}
