import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchCount, batches, type ArrayDataset, type BatchPlan } from '@losslab/data';
import { reduceLoss, type Loss, type ScalarReduction } from '@losslab/losses';
import { LosslabError, requireInteger } from '@losslab/runtime';
import { silentProgress, type ProgressReporter } from './progress';

/** One epoch of history: mean training loss over its steps, wall time, validation metrics. */
export interface EpochEntry {
  readonly epoch: number;
  readonly loss: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  readonly validation?: Readonly<Record<string, number>>;
}

/** What {@link fit} trains, on what, for how long, and what it measures after each epoch. */
export interface FitOptions {
  readonly model: tfl.LayersModel;
  /** Per-sample loss of `(labels, predictions)`; labels may be wider than the model output. */
  readonly loss: Loss;
  /** How per-sample losses become the scalar that is minimised; Keras' default if omitted. */
  readonly reduction?: ScalarReduction;
  readonly optimizer: tf.Optimizer;
  readonly data: ArrayDataset;
  readonly plan: BatchPlan;
  readonly epochs: number;
  /** Whole-epoch validation (or any per-epoch measurement); its numbers go into the history. */
  readonly validate?: (epoch: number) => Promise<Readonly<Record<string, number>>> | Readonly<Record<string, number>>;
  readonly progress?: ProgressReporter;
}

/**
 * losslab's training loop. Unlike `LayersModel.fit` it accepts labels of any width (the loss
 * decides which columns it reads), shuffles from the plan's seed, reduces per-sample losses with a
 * named reduction, stops on a non-finite loss naming the epoch and step, and keeps the number of
 * live tensors constant from epoch to epoch.
 *
 * @example
 * const history = await fit({ model, loss: masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
 *   optimizer: createOptimizer({ kind: 'adam' }), data, plan: { batchSize: 128, shuffle: true, remainder: 'drop', seed: 0 }, epochs: 3 });
 */
export async function fit(options: FitOptions): Promise<EpochEntry[]> {
  const { model, loss, optimizer, data, plan, validate } = options;
  const epochs = requireInteger('epochs', options.epochs, 1);
  const reduction = options.reduction ?? 'sumOverBatchSize';
  const progress = options.progress ?? silentProgress;
  const steps = batchCount(data.size, plan);
  if (steps === 0) {
    throw new LosslabError('INVALID_ARGUMENT', `batchSize: ${plan.batchSize} with remainder "drop" leaves no batch of ${data.size} samples`);
  }
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const history: EpochEntry[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    progress.epochStart(epoch, epochs, steps);
    const started = performance.now();
    let lossSum = 0;
    let samples = 0;
    let step = 0;
    for (const batch of batches(data, plan, epoch)) {
      step++;
      let value: number;
      try {
        const cost = optimizer.minimize(
          () => reduceLoss(loss, batch.y, model.apply(batch.x, { training: true }) as tf.Tensor2D, reduction),
          true,
          variables,
        );
        value = cost === null ? Number.NaN : (await cost.data())[0] ?? Number.NaN;
        cost?.dispose();
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
      if (!Number.isFinite(value)) {
        throw new LosslabError('NON_FINITE_LOSS', `loss became ${value} at epoch ${epoch}, step ${step} of ${steps}`);
      }
      lossSum += value;
      samples += batch.size;
      progress.step(step, lossSum / step);
    }
    const seconds = (performance.now() - started) / 1000;
    const validation = validate ? await validate(epoch) : undefined;
    const entry: EpochEntry = {
      epoch,
      loss: lossSum / steps,
      seconds,
      samplesPerSecond: samples / seconds,
      ...(validation ? { validation } : {}),
    };
    history.push(entry);
    progress.epochEnd({ epoch, steps, seconds, loss: entry.loss, ...(validation ? { validation } : {}) });
  }
  return history;
}
