import * as tf from '@tensorflow/tfjs-core';
import type { EarlyStoppingSpec, ScheduleSpec } from '@losslab/schema';
import { LosslabError } from '@losslab/runtime';
import { isHostAdam } from './host-adam.js';

/**
 * The learning rate of epoch `epoch` (1-based) of `epochs` under `schedule`, from the optimiser's
 * own rate `base` (formulas at {@link ScheduleSpec}).
 *
 * @example learningRateAt({ kind: 'stepDecay', every: 2, factor: 0.5 }, 0.1, 5, 10); // 0.1 · 0.5² = 0.025
 */
export function learningRateAt(schedule: ScheduleSpec, base: number, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'stepDecay':
      return base * schedule.factor ** Math.floor((epoch - 1) / schedule.every);
    case 'exponential':
      return base * schedule.rate ** (epoch - 1);
    case 'cosine': {
      const warmup = schedule.warmupEpochs ?? 0;
      if (epoch <= warmup) return (base * epoch) / warmup;
      const floor = base * (schedule.minFraction ?? 0);
      const progress = (epoch - warmup - 1) / Math.max(1, epochs - warmup - 1);
      return floor + ((base - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
  }
}

/** The learning rate an optimiser steps with now (Adam and SGD, tfjs' or losslab's host Adam). */
export function learningRateOf(optimizer: tf.Optimizer): number {
  const rate = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  if (typeof rate !== 'number')
    throw new LosslabError('INVALID_ARGUMENT', `optimizer ${optimizer.getClassName()}: has no numeric learningRate`);
  return rate;
}

/** Sets the rate the next steps use: tfjs' optimisers read their `learningRate` field at every step. */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  // tfjs makes `instanceof` true for any optimizer, so ask the class name. SGD keeps its rate
  // as a tensor too, which only its setter replaces.
  if (!isHostAdam(optimizer) && optimizer.getClassName() === 'SGD') {
    (optimizer as unknown as Pick<tf.SGDOptimizer, 'setLearningRate'>).setLearningRate(rate);
    return;
  }
  learningRateOf(optimizer); // the same guard: only optimisers that have the field
  (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

/** Where early stopping stands after some epochs: the best epoch so far and whether to stop now. */
export interface EarlyStoppingState {
  readonly bestEpoch: number;
  readonly stop: boolean;
}

/**
 * The early-stopping rule on a history of validation metrics: the best epoch is the first one
 * whose metric beats every earlier best by more than `minDelta`; training stops once `patience`
 * epochs have passed without such an improvement. Pure, so the run record can restate it.
 *
 * @example earlyStoppingState([0.5, 0.4, 0.41, 0.42], { metric: 'loss', direction: 'min', patience: 2 }); // { bestEpoch: 2, stop: true }
 */
export function earlyStoppingState(values: readonly number[], spec: EarlyStoppingSpec): EarlyStoppingState {
  const delta = spec.minDelta ?? 0;
  let best = Number.NaN;
  let bestEpoch = 0;
  values.forEach((value, i) => {
    const better = spec.direction === 'min' ? value < best - delta : value > best + delta;
    if (bestEpoch === 0 || better) {
      best = value;
      bestEpoch = i + 1;
    }
  });
  return { bestEpoch, stop: bestEpoch > 0 && values.length - bestEpoch >= spec.patience };
}
