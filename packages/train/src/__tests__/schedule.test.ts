import { describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import { meanSquaredError } from '@losslab/losses';
import { createMlp } from '@losslab/models';
import { liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  createOptimizer,
  earlyStoppingState,
  fit,
  learningRateAt,
  learningRateOf,
  setLearningRate,
  type FitOptions,
} from '../index.js';

describe('learningRateAt', () => {
  it('follows each schedule (hand-computed)', () => {
    expect(learningRateAt({ kind: 'constant' }, 0.1, 7, 10)).toBe(0.1);
    expect([1, 2, 3, 4, 5].map((e) => learningRateAt({ kind: 'stepDecay', every: 2, factor: 0.5 }, 0.1, e, 5))).toEqual(
      [0.1, 0.1, 0.05, 0.05, 0.025],
    );
    expect(learningRateAt({ kind: 'exponential', rate: 0.9 }, 1, 3, 5)).toBeCloseTo(0.81, 12);
    // cosine, 2 warm-up epochs of 6: 0.05, 0.1, then 0.1 → 0.01 over epochs 3–6 (t = 0, 1/3, 2/3, 1)
    const cosine = [1, 2, 3, 4, 5, 6].map((e) =>
      learningRateAt({ kind: 'cosine', warmupEpochs: 2, minFraction: 0.1 }, 0.1, e, 6),
    );
    const expected = [0.05, 0.1, 0.1, 0.01 + 0.09 * 0.75, 0.01 + 0.09 * 0.25, 0.01];
    cosine.forEach((rate, i) => expect(rate).toBeCloseTo(expected[i]!, 12));
  });
});

describe('earlyStoppingState', () => {
  it('stops after `patience` epochs without an improvement larger than minDelta', () => {
    const spec = { metric: 'loss', direction: 'min', patience: 2 } as const;
    expect(earlyStoppingState([0.5, 0.4], spec)).toEqual({ bestEpoch: 2, stop: false });
    expect(earlyStoppingState([0.5, 0.4, 0.41], spec)).toEqual({ bestEpoch: 2, stop: false });
    expect(earlyStoppingState([0.5, 0.4, 0.41, 0.42], spec)).toEqual({ bestEpoch: 2, stop: true });
    // 0.39 beats 0.4 by less than minDelta 0.02: no improvement
    expect(earlyStoppingState([0.5, 0.4, 0.39, 0.395], { ...spec, minDelta: 0.02 })).toEqual({
      bestEpoch: 2,
      stop: true,
    });
    expect(earlyStoppingState([0.1, 0.3, 0.2], { metric: 'f1', direction: 'max', patience: 1 })).toEqual({
      bestEpoch: 2,
      stop: true,
    });
  });
});

describe.each(TEST_BACKENDS)('fit with a schedule and early stopping on %s', (backend) => {
  const data = arrayDataset({
    features: Float32Array.from({ length: 32 }, (_, i) => (i % 8) / 8),
    featureShape: [1],
    labels: Float32Array.from({ length: 32 }, (_, i) => ((i % 8) / 8) * 2),
    labelWidth: 1,
  });
  const linearModel = () => createMlp({ inputShape: [1], hidden: [], output: { units: 1, activation: 'linear' } }, 1);
  /** fit on the line y = 2x, batches of 8 in order; `more` adds or overrides options. */
  const fitLine = (model: LayersModel, optimizer: tf.Optimizer, epochs: number, more: Partial<FitOptions> = {}) =>
    fit({
      model,
      loss: meanSquaredError(),
      optimizer,
      data,
      plan: { batchSize: 8, shuffle: false, remainder: 'drop', seed: 0 },
      epochs,
      ...more,
    });

  it('sets and records the rate of every epoch, on host Adam, tfjs Adam and SGD', async () => {
    await useBackend(backend);
    for (const optimizer of [
      createOptimizer({ kind: 'adam', learningRate: 0.1 }),
      createOptimizer({ kind: 'adam', learningRate: 0.1 }, { host: false }),
      createOptimizer({ kind: 'sgd', learningRate: 0.1 }),
    ]) {
      const model = linearModel();
      const { history } = await fitLine(model, optimizer, 3, {
        schedule: { kind: 'stepDecay', every: 1, factor: 0.5 },
      });
      expect(history.map((h) => h.learningRate)).toEqual([0.1, 0.05, 0.025]);
      expect(learningRateOf(optimizer)).toBe(0.025);
      model.dispose();
      optimizer.dispose();
    }
  });

  it('a zero learning rate leaves the weights alone (the rate really reaches the optimiser)', async () => {
    await useBackend(backend);
    const model = linearModel();
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.1 });
    setLearningRate(optimizer, 0);
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    await fitLine(model, optimizer, 1);
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    model.dispose();
    optimizer.dispose();
  });

  it('stops when the validation metric stalls and restores the best weights, leaking nothing', async () => {
    await useBackend(backend);
    const model = linearModel();
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.1 });
    // A made-up validation curve: best at epoch 2, then worse.
    const curve = [0.5, 0.3, 0.4, 0.45, 0.2];
    const weightsAt: number[][] = [];
    const live = liveTensorCount();
    const { history, stoppedAt, bestEpoch } = await fitLine(model, optimizer, 5, {
      validate: (epoch) => ({ score: curve[epoch - 1] ?? 0 }),
      onEpochEnd: () => {
        weightsAt.push(model.getWeights().flatMap((w) => Array.from(w.dataSync())));
      },
      earlyStopping: { metric: 'score', direction: 'min', patience: 2, restoreBest: true },
    });
    expect(liveTensorCount()).toBe(live);
    expect(history).toHaveLength(4);
    // fit says where it stopped and which epoch it kept: the run record takes both from here
    expect({ stoppedAt, bestEpoch }).toEqual({ stoppedAt: 4, bestEpoch: 2 });
    expect(model.getWeights().flatMap((w) => Array.from(w.dataSync()))).toEqual(weightsAt[1]);
    expect(weightsAt[3]).not.toEqual(weightsAt[1]);
    model.dispose();
    optimizer.dispose();
  });

  it('names a metric the validation does not have', async () => {
    await useBackend(backend);
    const model = linearModel();
    const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.1 });
    await expect(
      fitLine(model, optimizer, 2, {
        validate: () => ({ f1: 0.5 }),
        earlyStopping: { metric: 'recall', direction: 'max', patience: 1 },
      }),
    ).rejects.toThrow('earlyStopping.metric: validation has no "recall" (it has f1)');
    model.dispose();
    optimizer.dispose();
  });
});
