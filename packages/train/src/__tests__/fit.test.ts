import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { arrayDataset, combineLabels, epochOrder, oneHot, type ArrayDataset, type BatchPlan } from '@losslab/data';
import { categoricalCrossentropy, defineLoss, masked } from '@losslab/losses';
import { createMlp } from '@losslab/models';
import { createRng, isLosslabError, labelLayout, liveTensorCount } from '@losslab/runtime';
import { rejectionOf, TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { createOptimizer, fit, type EpochEntry } from '../index.js';

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
  const labels = combineLabels(
    layout,
    { digit: oneHot(classes, 4), isOdd: Float32Array.from(classes, (c) => c % 2) },
    size,
  );
  return arrayDataset({ features, featureShape: [4], labels, labelWidth: layout.width });
}

async function trainTiny(
  seed: number,
  epochs = 4,
  validate?: (epoch: number) => Record<string, number>,
): Promise<EpochEntry[]> {
  const model = createMlp(
    { inputShape: [4], hidden: [{ units: 8, activation: 'relu' }], output: { units: 4, activation: 'softmax' } },
    seed,
  );
  const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.05 });
  try {
    const { history } = await fit({
      model,
      loss: masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
      optimizer,
      data: tinyDataset(),
      plan: { batchSize: 16, shuffle: true, remainder: 'drop', seed },
      epochs,
      ...(validate ? { validate } : {}),
    });
    return history;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

describe.each(TEST_BACKENDS)('fit on %s', (backend) => {
  it('trains on labels wider than the model output, which LayersModel.fit rejects', async () => {
    await useBackend(backend);
    const data = tinyDataset();
    const model = createMlp(
      { inputShape: [4], hidden: [{ units: 8, activation: 'relu' }], output: { units: 4, activation: 'softmax' } },
      0,
    );
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const x = tf.tensor2d(data.features, [data.size, 4]);
    const y = tf.tensor2d(data.labels, [data.size, layout.width]);
    // verbose 0 is ModelLoggingVerbosity.SILENT, an enum tfjs-layers does not export.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
    const rejected = await rejectionOf(model.fit(x, y, { epochs: 1, verbose: 0 }));
    // tfjs-layers' check of label against output shape (the label is 4 + 1 columns wide).
    expect(rejected.message).toMatch(
      /^target expected a batch of elements where each example has shape \[4\] .* each with shape \[5\] \(tensor shape \[64,5\]\)$/,
    );
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

/** tinyDataset with its labels rewritten row by row: `row(i, label)` returns the new label row. */
function withLabels(data: ArrayDataset, width: number, row: (i: number, label: number[]) => number[]): ArrayDataset {
  const labels = new Float32Array(data.size * width);
  for (let i = 0; i < data.size; i++) {
    labels.set(row(i, Array.from(data.labels.subarray(i * data.labelWidth, (i + 1) * data.labelWidth))), i * width);
  }
  return arrayDataset({ features: data.features, featureShape: data.featureShape, labels, labelWidth: width });
}

const inOrder: BatchPlan = { batchSize: 16, shuffle: false, remainder: 'drop', seed: 0 };

describe.each(TEST_BACKENDS)(
  'fit on %s: the step named in a non-finite error is the step that produced it',
  (backend) => {
    it('names the step whose gradient is non-finite although its loss is finite, and never applies it', async () => {
      await useBackend(backend);
      // Row 40 (step 3 of 4 in order) has a NaN label. This loss masks only its output, as masked()
      // once did: the value stays finite but the gradient of where() is 0 · NaN = NaN.
      const data = withLabels(tinyDataset(), 5, (i, label) => (i === 40 ? [Number.NaN, ...label.slice(1)] : label));
      const outputOnlyMask = defineLoss('outputOnlyMask', (yTrue, yPred) => {
        const digit = tf.slice(yTrue, [0, 0], [-1, 4]);
        const cce = tf.neg(tf.sum<tf.Tensor1D>(tf.mul(digit, tf.log(tf.clipByValue(yPred, 1e-7, 1))), 1));
        return tf.where(tf.isFinite(tf.sum(digit, 1)), cce, tf.zerosLike(cce));
      });
      const before = liveTensorCount();
      const model = createMlp({ inputShape: [4], hidden: [], output: { units: 4, activation: 'softmax' } }, 0);
      const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.05 });
      const error = await fit({ model, loss: outputOnlyMask, optimizer, data, plan: inOrder, epochs: 2 }).catch(
        (e: unknown) => e,
      );
      expect(isLosslabError(error, 'NON_FINITE_LOSS')).toBe(true);
      expect((error as Error).message).toMatch(
        /^gradient became non-finite at epoch 1, step 3 of 4: dense_\w+\/kernel \(NaN\); the loss was \d+\.\d+$/,
      );
      // The NaN gradient was never applied: the model keeps the weights of step 2.
      const weights = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
      expect(weights.every(Number.isFinite)).toBe(true);
      model.dispose();
      optimizer.dispose();
      expect(liveTensorCount(), 'live tensors after the failed fit').toBe(before);
    });

    it('with HostAdam: names the step whose update overflowed and leaves the weights of the step before', async () => {
      await useBackend(backend);
      const before = liveTensorCount();
      const model = createMlp({ inputShape: [4], hidden: [], output: { units: 4, activation: 'softmax' } }, 0);
      // Adam moves each weight by about lr per step: 1e39 overflows float32 at the first update.
      const optimizer = createOptimizer({ kind: 'adam', learningRate: 1e39 });
      const initial = model.getWeights().map((w) => Array.from(w.dataSync()));
      const error = await rejectionOf(
        fit({
          model,
          loss: categoricalCrossentropy(),
          optimizer,
          data: withLabels(tinyDataset(), 4, (_, l) => l.slice(0, 4)),
          plan: inOrder,
          epochs: 1,
        }),
      );
      expect(isLosslabError(error, 'NON_FINITE_LOSS')).toBe(true);
      expect(error.message).toMatch(
        /^weights became non-finite after the update at epoch 1, step 1 of 4: dense_\w+\/kernel \(-?Infinity\)$/,
      );
      expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(initial);
      model.dispose();
      optimizer.dispose();
      expect(liveTensorCount(), 'live tensors after the failed fit').toBe(before);
    });

    it.each([
      { scaledStep: 3, expected: 'epoch 1, step 3 of 4' },
      // The last step of an epoch: once reported as "loss became NaN at epoch 2, step 1".
      { scaledStep: 4, expected: 'epoch 1, step 4 of 4' },
    ])(
      'names the step whose update made the weights non-finite (step $scaledStep)',
      async ({ scaledStep, expected }) => {
        await useBackend(backend);
        // loss = scale · Σ_j p_j with scale 0 except on the rows of one step, where it is 1e37: that
        // step's loss and gradients are finite (~1e37), but SGD's update lr · g overflows float32.
        const data = withLabels(tinyDataset(), 1, (i) => [Math.floor(i / 16) + 1 === scaledStep ? 1e37 : 0]);
        const scaled = defineLoss('scaled', (yTrue, yPred) =>
          tf.mul(tf.sum<tf.Tensor1D>(yPred, 1), tf.reshape(yTrue, [-1])),
        );
        const before = liveTensorCount();
        const model = createMlp({ inputShape: [4], hidden: [], output: { units: 4, activation: 'linear' } }, 0);
        const optimizer = createOptimizer({ kind: 'sgd', learningRate: 1e3 });
        const error = await fit({ model, loss: scaled, optimizer, data, plan: inOrder, epochs: 2 }).catch(
          (e: unknown) => e,
        );
        model.dispose();
        optimizer.dispose();
        expect(liveTensorCount(), 'live tensors after the failed fit').toBe(before);
        expect(isLosslabError(error, 'NON_FINITE_LOSS')).toBe(true);
        expect((error as Error).message).toMatch(
          new RegExp(`^weights became non-finite after the update at ${expected}: dense_\\w+/kernel \\(-?Infinity\\)$`),
        );
      },
    );
  },
);

describe.each(TEST_BACKENDS)('fit on %s: shuffling', (backend) => {
  it('trains epoch e in epochOrder(size, plan, e): another order every epoch, the same for the same seed', async () => {
    await useBackend(backend);
    // Label = the row id (the loss ignores it and reads it back), so the loss sees the row order.
    const data = withLabels(tinyDataset(), 1, (i) => [i]);
    const plan: BatchPlan = { batchSize: 16, shuffle: true, remainder: 'drop', seed: 5 };
    const record = async (): Promise<number[][]> => {
      const seen: number[][] = [];
      const recording = defineLoss('recording', (yTrue, yPred) => {
        seen.push(Array.from(yTrue.dataSync()));
        return tf.sum<tf.Tensor1D>(tf.square(yPred), 1);
      });
      const model = createMlp({ inputShape: [4], hidden: [], output: { units: 2, activation: 'softmax' } }, 0);
      const optimizer = createOptimizer({ kind: 'sgd', learningRate: 0.1 });
      await fit({ model, loss: recording, optimizer, data, plan, epochs: 3 });
      model.dispose();
      optimizer.dispose();
      // 4 steps per epoch, each one batch of 16 row ids.
      return [0, 1, 2].map((e) => seen.slice(e * 4, e * 4 + 4).flat());
    };
    const orders = await record();
    orders.forEach((order, e) => expect(order, `epoch ${e + 1}`).toEqual(Array.from(epochOrder(64, plan, e + 1))));
    expect(orders[1]).not.toEqual(orders[0]);
    expect(orders[2]).not.toEqual(orders[1]);
    expect(await record()).toEqual(orders);
  });
});

describe('fit errors', () => {
  it('stops on a non-finite loss, naming the epoch and the step', async () => {
    await useBackend('cpu');
    const model = createMlp({ inputShape: [4], hidden: [], output: { units: 4, activation: 'softmax' } }, 0);
    const nanLoss = defineLoss('nan', (_yTrue, yPred) => tf.div<tf.Tensor1D>(tf.sum(yPred, 1), tf.scalar(0)));
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

describe('fit callbacks', () => {
  it('calls onBatchEnd after every step with its loss and onEpochEnd with each history entry', async () => {
    await useBackend('cpu');
    const model = createMlp(
      { inputShape: [4], hidden: [{ units: 8, activation: 'relu' }], output: { units: 4, activation: 'softmax' } },
      5,
    );
    const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.05 });
    const batchesSeen: { epoch: number; step: number; loss: number }[] = [];
    const epochsSeen: EpochEntry[] = [];
    try {
      const { history } = await fit({
        model,
        loss: masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
        optimizer,
        data: tinyDataset(),
        plan: { batchSize: 16, shuffle: true, remainder: 'drop', seed: 5 },
        epochs: 3,
        validate: (epoch) => ({ marker: epoch * 10 }),
        onBatchEnd: (step, loss, epoch) => {
          batchesSeen.push({ epoch, step, loss });
        },
        onEpochEnd: async (entry) => {
          await Promise.resolve();
          epochsSeen.push(entry);
        },
      });
      // 64 samples in batches of 16: 4 steps per epoch, numbered 1–4 in each of 3 epochs.
      expect(batchesSeen.map((b) => `${b.epoch}.${b.step}`)).toEqual(
        [1, 2, 3].flatMap((epoch) => [1, 2, 3, 4].map((step) => `${epoch}.${step}`)),
      );
      expect(epochsSeen).toEqual(history);
      expect(epochsSeen.map((entry) => entry.validation?.marker)).toEqual([10, 20, 30]);
      // An epoch's loss is the mean of its steps' losses.
      for (const entry of history) {
        const steps = batchesSeen.filter((b) => b.epoch === entry.epoch).map((b) => b.loss);
        expect(entry.loss).toBeCloseTo(steps.reduce((a, b) => a + b, 0) / steps.length, 10);
      }
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  });
});
