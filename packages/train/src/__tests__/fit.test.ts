import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { arrayDataset, combineLabels, oneHot, type ArrayDataset } from '@losslab/data';
import { categoricalCrossentropy, defineLoss, masked } from '@losslab/losses';
import { createMlp } from '@losslab/models';
import { createRng, isLosslabError, labelLayout, liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { createOptimizer, fit, type EpochEntry } from '../index';

const layout = labelLayout({ digit: 4, isOdd: 1 });

/** 64 samples of 4 features whose class is the index of the largest feature; label = one-hot + odd flag. */
function tinyDataset(seed = 1): ArrayDataset {
  const rng = createRng(seed);
  const size = 64;
  const features = Float32Array.from({ length: size * 4 }, () => rng.next());
  const classes = Array.from({ length: size }, (_, i) => {
    const row = Array.from(features.subarray(i * 4, i * 4 + 4));
    return row.indexOf(Math.max(...row));
  });
  const labels = combineLabels(layout, { digit: oneHot(classes, 4), isOdd: Float32Array.from(classes, (c) => c % 2) }, size);
  return arrayDataset({ features, featureShape: [4], labels, labelWidth: layout.width });
}

async function trainTiny(seed: number, epochs = 4, validate?: (epoch: number) => Record<string, number>): Promise<EpochEntry[]> {
  const model = createMlp({ inputShape: [4], hidden: [{ units: 8, activation: 'relu' }], output: { units: 4, activation: 'softmax' } }, seed);
  const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.05 });
  try {
    return await fit({
      model,
      loss: masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
      optimizer,
      data: tinyDataset(),
      plan: { batchSize: 16, shuffle: true, remainder: 'drop', seed },
      epochs,
      ...(validate ? { validate } : {}),
    });
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

describe.each(TEST_BACKENDS)('fit on %s', (backend) => {
  it('trains on labels wider than the model output, which LayersModel.fit rejects', async () => {
    await useBackend(backend);
    const data = tinyDataset();
    const model = createMlp({ inputShape: [4], hidden: [{ units: 8, activation: 'relu' }], output: { units: 4, activation: 'softmax' } }, 0);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = tf.tensor2d(data.features, [data.size, 4]);
    const y = tf.tensor2d(data.labels, [data.size, layout.width]);
    await expect(model.fit(x, y, { epochs: 1, verbose: 0 })).rejects.toThrow(/expected dense_\w+ to have shape \[null,4\]|shape/);
    tf.dispose([x, y]);
    model.dispose();

    const history = await trainTiny(0, 6);
    expect(history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(history.at(-1)!.loss).toBeLessThan(history[0]!.loss);
    for (const entry of history) {
      expect(entry.seconds).toBeGreaterThan(0);
      expect(entry.samplesPerSecond).toBeCloseTo(64 / entry.seconds, 6);
    }
  });

  it('is reproducible from its seed and differs across seeds', async () => {
    await useBackend(backend);
    const a = (await trainTiny(3)).map((h) => h.loss);
    const b = (await trainTiny(3)).map((h) => h.loss);
    const c = (await trainTiny(4)).map((h) => h.loss);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps the live tensor count constant from epoch 1 to the last epoch', async () => {
    await useBackend(backend);
    const counts: number[] = [];
    const before = liveTensorCount();
    await trainTiny(1, 5, () => {
      counts.push(liveTensorCount());
      return {};
    });
    expect(counts).toHaveLength(5);
    expect(new Set(counts).size).toBe(1);
    expect(liveTensorCount()).toBe(before);
  });
});

describe('fit errors', () => {
  it('stops on a non-finite loss, naming the epoch and the step', async () => {
    await useBackend('cpu');
    const model = createMlp({ inputShape: [4], hidden: [], output: { units: 4, activation: 'softmax' } }, 0);
    const nanLoss = defineLoss('nan', (_yTrue, yPred) => tf.div(tf.sum(yPred, 1), tf.scalar(0)) as tf.Tensor1D);
    const error = await fit({
      model,
      loss: nanLoss,
      optimizer: createOptimizer({ kind: 'sgd', learningRate: 0.1 }),
      data: tinyDataset(),
      plan: { batchSize: 16, shuffle: false, remainder: 'drop', seed: 0 },
      epochs: 2,
    }).catch((e: unknown) => e);
    expect(isLosslabError(error, 'NON_FINITE_LOSS')).toBe(true);
    expect((error as Error).message).toBe('loss became Infinity at epoch 1, step 1 of 4');
    model.dispose();
  });

  it('rejects a batch size that leaves no batch, naming it', async () => {
    await useBackend('cpu');
    const model = createMlp({ inputShape: [4], hidden: [], output: { units: 4, activation: 'softmax' } }, 0);
    await expect(
      fit({
        model,
        loss: categoricalCrossentropy(),
        optimizer: createOptimizer({ kind: 'adam' }),
        data: tinyDataset(),
        plan: { batchSize: 100, shuffle: false, remainder: 'drop', seed: 0 },
        epochs: 1,
      }),
    ).rejects.toThrow('batchSize: 100 with remainder "drop" leaves no batch of 64 samples');
    model.dispose();
  });
});
