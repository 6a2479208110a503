import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expectNoTensorLeak, isLosslabError } from '@losslab/runtime';
import type { SequentialLayer } from '@losslab/schema';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import { createSequential, sequentialSummary, standardTopology } from '../index.js';

// The acceptance check's CNN: conv 3×3 (8) → batch norm → max pool 2 → flatten → dropout → dense 10
const CNN: SequentialLayer[] = [
  { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
  { kind: 'batchNormalization' },
  { kind: 'maxPooling2d', poolSize: 2 },
  { kind: 'flatten' },
  { kind: 'dropout', rate: 0.25 },
  { kind: 'dense', units: 10, activation: 'softmax' },
];

// Every other window option: strides, same padding, [h, w] sizes, average and global pooling.
const WINDOWS: SequentialLayer[] = [
  { kind: 'conv2d', filters: 4, kernelSize: [3, 2], strides: 2, padding: 'same' },
  { kind: 'activation', activation: 'tanh' },
  { kind: 'averagePooling2d', poolSize: [2, 3], strides: 1 },
  { kind: 'conv2d', filters: 3, kernelSize: 1 },
  { kind: 'globalAveragePooling2d' },
  { kind: 'dense', units: 2 },
];

const RECURRENT: SequentialLayer[] = [
  { kind: 'gru', units: 5, returnSequences: true },
  { kind: 'dropout', rate: 0.5 },
  { kind: 'lstm', units: 4 },
  { kind: 'batchNormalization' },
  { kind: 'dense', units: 3, activation: 'softmax' },
];

const values = (model: tfl.LayersModel): Float32Array[] => model.getWeights().map((w) => w.dataSync() as Float32Array);

describe.each(TEST_BACKENDS)('sequential models on %s', (backend) => {
  it.each([
    ['the CNN', CNN, [28, 28, 1]],
    ['strided and pooled convolutions', WINDOWS, [9, 11, 2]],
    ['recurrent layers', RECURRENT, [6, 3]],
  ] as const)('the summary of %s is what tfjs-layers builds, layer by layer', async (_, layers, inputShape) => {
    await useBackend(backend);
    const summary = sequentialSummary(layers, inputShape);
    const model = createSequential({ inputShape, layers }, 7);
    expect(model.layers).toHaveLength(layers.length);
    model.layers.forEach((layer, index) => {
      expect(summary.layers[index]!.outputShape).toEqual((layer.outputShape as number[]).slice(1));
      expect(summary.layers[index]!.parameters).toBe(layer.countParams());
    });
    expect(summary.parameters).toBe(model.countParams());
    model.dispose();
  });

  it('gives the CNN its Keras parameter count and output shapes', () => {
    // conv 3·3·1·8 + 8 = 80; batch norm 4·8 = 32; dense 13·13·8·10 + 10 = 13530
    const summary = sequentialSummary(CNN, [28, 28, 1]);
    expect(summary.layers.map((l) => [l.kind, l.outputShape, l.parameters])).toEqual([
      ['conv2d', [26, 26, 8], 80],
      ['batchNormalization', [26, 26, 8], 32],
      ['maxPooling2d', [13, 13, 8], 0],
      ['flatten', [1352], 0],
      ['dropout', [1352], 0],
      ['dense', [10], 13530],
    ]);
    expect(summary.parameters).toBe(13642);
    // same padding, stride 2: ceil(9 / 2) = 5, ceil(11 / 2) = 6; then a 2×3 window at stride 1
    expect(
      sequentialSummary(WINDOWS, [9, 11, 2])
        .layers.slice(0, 3)
        .map((l) => l.outputShape),
    ).toEqual([
      [5, 6, 4],
      [5, 6, 4],
      [4, 4, 4],
    ]);
  });

  it('seeds every initialiser from the seed and the layer position', async () => {
    await useBackend(backend);
    const twin: SequentialLayer[] = [
      { kind: 'conv2d', filters: 2, kernelSize: 2 },
      { kind: 'conv2d', filters: 2, kernelSize: 2 },
      { kind: 'flatten' },
      { kind: 'dense', units: 2 },
    ];
    const build = (seed: number) =>
      expectNoTensorLeak('build and dispose', () => {
        const model = createSequential({ inputShape: [4, 4, 2], layers: twin }, seed);
        const weights = values(model);
        model.dispose();
        return weights;
      });
    const [a, b, c] = [await build(3), await build(3), await build(4)];
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(c[0]);
    // two identical layers at different positions start from different kernels ([2, 2, 2, 2] each)
    expect(Array.from(a[0]!.slice(0, 8))).not.toEqual(Array.from(a[2]!.slice(0, 8)));
    expect(a[1]!.every((v) => v === 0)).toBe(true);
  });

  it('keeps Keras defaults: linear activation, stride 1, valid padding, batch norm momentum 0.99 and epsilon 0.001', async () => {
    await useBackend(backend);
    const model = createSequential(
      {
        inputShape: [5, 5, 1],
        layers: [
          { kind: 'conv2d', filters: 1, kernelSize: 3 },
          { kind: 'batchNormalization' },
          { kind: 'maxPooling2d' },
        ],
      },
      1,
    );
    const [conv, norm, pool] = model.layers.map((l) => l.getConfig());
    expect(conv).toMatchObject({ activation: 'linear', strides: [1, 1], padding: 'valid' });
    expect(norm).toMatchObject({ momentum: 0.99, epsilon: 0.001 });
    expect(pool).toMatchObject({ poolSize: [2, 2], strides: [2, 2], padding: 'valid' });
    model.dispose();
  });
});

/**
 * Trains the CNN (conv, batch norm, max pool, dropout, dense) a few SGD steps on `backend` from
 * seed 3: its initial weights, each step's loss, the final weights and moving statistics, and the
 * live tensors after each step, and how many tensors it left behind.
 */
async function trainCnn(backend: 'cpu' | 'wasm', steps: number) {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const model = createSequential({ inputShape: [8, 7, 1], layers: CNN }, 3);
  const initial = values(model).map((w) => Float32Array.from(w));
  const images = tf.randomUniform([6, 8, 7, 1], 0, 1, 'float32', 21);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 3, 9, 1, 3, 7], 'int32'), 10));
  const optimizer = tf.train.sgd(0.1);
  const losses: number[] = [];
  const live: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(
      () =>
        tf.tidy(() => {
          const predicted = model.apply(images, { training: true }) as tf.Tensor;
          return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(tf.add(predicted, 1e-7))), 1)));
        }) as tf.Scalar,
      true,
    )!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
    live.push(tf.memory().numTensors);
  }
  const final = values(model).map((w) => Float32Array.from(w));
  tf.dispose([images, labels]);
  optimizer.dispose();
  model.dispose();
  return { initial, losses, final, live, leaked: tf.memory().numTensors - before };
}

/** Largest |a − b| / max(|b|, 1) over every value of every array (as the runtime's kernel tests measure). */
const largestRelativeDifference = (a: Float32Array[], b: Float32Array[]): number =>
  Math.max(
    ...a.flatMap((array, i) => Array.from(array, (v, j) => Math.abs(v - b[i]![j]!) / Math.max(Math.abs(b[i]![j]!), 1))),
  );

describe('a CNN with batch normalisation trains alike on wasm and cpu', () => {
  it('starts from identical weights and ends within float32 tolerance, with no tensor growing across steps', async () => {
    const cpu = await trainCnn('cpu', 4);
    const wasm = await trainCnn('wasm', 4);
    expect(wasm.initial).toEqual(cpu.initial);
    expect(wasm.losses.at(-1)!).toBeLessThan(wasm.losses[0]!);
    // the moving statistics moved: the run went through batch normalisation in training mode
    expect(wasm.final[4]!.some((mean) => mean !== 0)).toBe(true);
    expect(largestRelativeDifference(wasm.final, cpu.final)).toBeLessThan(1e-5);
    wasm.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i]!) / cpu.losses[i]!).toBeLessThan(1e-5));
    expect(new Set(wasm.live).size, `live tensors per step ${wasm.live.join(', ')}`).toBe(1);
    expect([cpu.leaked, wasm.leaked]).toEqual([0, 0]);
  });
});

describe('sequential shapes', () => {
  it('rejects a layer that cannot take its input, naming its index and both shapes', () => {
    const conv = thrownBy(() => sequentialSummary(CNN, [16, 2]));
    expect(isLosslabError(conv) && conv.code).toBe('SHAPE_MISMATCH');
    expect(conv.message).toBe('layers.0: conv2d needs [height, width, channels] input (rank 3), got [16, 2]');
    const lstm = thrownBy(() => sequentialSummary([{ kind: 'flatten' }, { kind: 'lstm', units: 2 }], [28, 28, 1]));
    expect(lstm.message).toBe('layers.1: lstm needs [timesteps, features] input (rank 2), got [784]');
    const pooled = thrownBy(() => sequentialSummary([{ kind: 'maxPooling2d', poolSize: 3 }], [2, 8, 1]));
    expect(pooled.message).toContain('layers.0: maxPooling2d with a 3×3 window on [2, 8, 1] leaves nothing');
    // built only after the check: no half-built model
    expect(() => createSequential({ inputShape: [16, 2], layers: CNN }, 1)).toThrow(/layers\.0: conv2d/);
  });

  it('updates the batch normalisation moving statistics only in training, and saves them as standard tfjs layers', async () => {
    await useBackend('cpu');
    const model = createSequential({ inputShape: [3, 3, 1], layers: CNN.slice(0, 2) }, 5);
    const movingMean = () => Array.from(model.layers[1]!.getWeights()[2]!.dataSync());
    const x = tf.tidy(() => tf.add(tf.randomNormal([4, 3, 3, 1], 0, 1, 'float32', 9), 2));
    tf.dispose(model.predict(x));
    expect(movingMean()).toEqual(new Array(8).fill(0));
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor);
    // moving = 0.99 · 0 + 0.01 · batch mean of the conv output, per filter
    const convOut = tf.tidy(() => tf.mean(model.layers[0]!.apply(x) as tf.Tensor, [0, 1, 2]));
    Array.from(convOut.dataSync()).forEach((mean, i) => expect(movingMean()[i]).toBeCloseTo(0.01 * mean, 6));
    tf.dispose([x, convOut]);
    const { topology } = standardTopology(model.toJSON(null, false));
    expect(JSON.stringify(topology)).toContain('"BatchNormalization"');
    model.dispose();
  });
});
