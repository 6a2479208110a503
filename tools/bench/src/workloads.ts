/**
 * The three training workloads of the benchmark, run through losslab's own `fit`:
 * - `mlp`: mnist-odd — 60,000 MNIST images, MLP 784→64 relu→10 softmax, masked categorical
 *   cross-entropy, Adam, batch 128 (468 steps per epoch);
 * - `lstm`: LSTM(32) → dense 2 softmax, L1 (mean absolute error), 4,096 seeded random windows ×
 *   30 frames × 1 feature with random one-hot labels, Adam, batch 64 (64 steps per epoch);
 * - `cnn`: the network of `experiments/mnist-cnn.ts` (`sequential`: conv 8 3×3 relu → max-pool 2 →
 *   conv 16 3×3 relu → max-pool 2 → flatten → dropout 0.25 → dense 10 softmax, 5,258 parameters),
 *   categorical cross-entropy, Adam 0.003, batch 64 with the last partial batch kept, on the first
 *   `--images=N` MNIST training images (default {@link CNN_IMAGES}, the study's 5,000: 79 steps).
 *
 * Usage: tsx tools/bench/src/workloads.ts <mlp|lstm|cnn> [--epochs=N] [--backend=wasm|cpu] [--images=N]
 * [--adam=host|tf] [--fast-kernels=false] [--lstm=ops|layers] [--dense=autodiff]: each switch turns one
 * optimisation off, for before/after measurements (stock wasm matMul/Slice kernels, tf.train.adam,
 * FusedLstm's op-by-op recurrence instead of its sequence kernels or tfjs-layers' LSTM, the MLP trained through autodiff instead of train's fused dense step).
 * Prints one JSON line: per-epoch seconds, live tensors and RSS after each epoch, and the loss.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { arrayDataset, combineLabels, oneHot, scalePixels, type ArrayDataset } from '@losslab/data';
import { loadMnist } from '@losslab/data/node';
import { categoricalCrossentropy, masked, meanAbsoluteError, type Loss } from '@losslab/losses';
import { createLstmClassifier, createMlp, createSequential, type SequentialSpec } from '@losslab/models';
import { createRng, labelLayout, selectBackend } from '@losslab/runtime';
import { createOptimizer, fit } from '@losslab/train';
import type * as tfl from '@tensorflow/tfjs-layers';

export const WORKLOADS = ['mlp', 'lstm', 'cnn'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** The CNN workload's training images: the first 5,000, as `experiment:mnist-cnn` trains on. */
export const CNN_IMAGES = 5000;
/** The CNN workload's batch size, from `experiments/mnist-cnn.ts`. */
export const CNN_BATCH = 64;

/** `experiments/mnist-cnn.ts`'s network, on MNIST images [28, 28, 1]. */
const CNN: SequentialSpec = {
  inputShape: [28, 28, 1],
  layers: [
    { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
    { kind: 'maxPooling2d', poolSize: 2 },
    { kind: 'conv2d', filters: 16, kernelSize: 3, activation: 'relu' },
    { kind: 'maxPooling2d', poolSize: 2 },
    { kind: 'flatten' },
    { kind: 'dropout', rate: 0.25 },
    { kind: 'dense', units: 10, activation: 'softmax' },
  ],
};

export interface Workload {
  readonly model: tfl.LayersModel;
  readonly loss: Loss;
  readonly data: ArrayDataset;
  readonly batchSize: number;
  /** Adam's learning rate (the definitions': Keras' 0.001 for the MLP and LSTM, 0.003 for the CNN). */
  readonly learningRate: number;
  /** Whether the last partial batch is trained (the CNN study keeps it) or dropped. */
  readonly remainder: 'keep' | 'drop';
}

/** The LSTM workload's data: seeded uniform frames in [0, 1), seeded one-hot labels (both written for PyTorch too). */
export function lstmData(count = 4096, frames = 30, seed = 0): ArrayDataset {
  const rng = createRng(seed);
  const features = new Float32Array(count * frames);
  for (let i = 0; i < features.length; i++) features[i] = rng.next();
  const labels = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) labels[i * 2 + (rng.next() < 0.5 ? 0 : 1)] = 1;
  return arrayDataset({ features, featureShape: [frames, 1], labels, labelWidth: 2 });
}

export async function createWorkload(
  name: WorkloadName,
  seed = 0,
  options: { lstm?: 'fused' | 'ops' | 'layers'; images?: number } = {},
): Promise<Workload> {
  if (name === 'cnn') {
    const images = options.images ?? CNN_IMAGES;
    const train = await loadMnist({ split: 'train' });
    if (!Number.isInteger(images) || images < 1 || images > train.count)
      throw new Error(`--images must be an integer in [1, ${train.count}], got ${images}`);
    const data = arrayDataset({
      features: scalePixels(train.images.subarray(0, images * 784)),
      featureShape: [28, 28, 1],
      labels: oneHot(train.labels.subarray(0, images), 10),
      labelWidth: 10,
    });
    return {
      model: createSequential(CNN, seed),
      loss: categoricalCrossentropy(),
      data,
      batchSize: CNN_BATCH,
      learningRate: 0.003,
      remainder: 'keep',
    };
  }
  if (name === 'mlp') {
    const train = await loadMnist({ split: 'train' });
    const layout = labelLayout({ digit: 10, isOdd: 1 });
    const labels = combineLabels(
      layout,
      { digit: oneHot(train.labels, 10), isOdd: Float32Array.from(train.labels, (d) => d % 2) },
      train.count,
    );
    const data = arrayDataset({
      features: scalePixels(train.images),
      featureShape: [784],
      labels,
      labelWidth: layout.width,
    });
    const model = createMlp(
      { inputShape: [784], hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'softmax' } },
      seed,
    );
    return {
      model,
      loss: masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
      data,
      batchSize: 128,
      learningRate: 0.001,
      remainder: 'drop',
    };
  }
  const model = createLstmClassifier(
    { inputShape: [30, 1], layers: [{ units: 32 }], output: { units: 2, activation: 'softmax' } },
    seed,
    { implementation: options.lstm ?? 'fused' },
  );
  return {
    model,
    loss: meanAbsoluteError(),
    data: lstmData(),
    batchSize: 64,
    learningRate: 0.001,
    remainder: 'drop',
  };
}

/** Writes {@link lstmData} for the PyTorch script: float32 features [n, 30, 1], then float32 labels [n, 2]. */
export function writeLstmData(path: string): void {
  const data = lstmData();
  const out = new Float32Array(data.features.length + data.labels.length);
  out.set(data.features);
  out.set(data.labels, data.features.length);
  writeFileSync(path, new Uint8Array(out.buffer));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args[0];
  if (!(WORKLOADS as readonly (string | undefined)[]).includes(name))
    throw new Error('usage: workloads.ts <mlp|lstm|cnn> [--epochs=N] [--backend=wasm|cpu] [--images=N]');
  const option = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.split('=')[1];
  const epochs = Number(option('epochs') ?? 3);
  const backend = await selectBackend({
    requested: option('backend') ?? 'wasm',
    fastMatMul: option('fast-kernels') !== 'false',
  });
  const images = option('images');
  const lstm = option('lstm');
  const workload = await createWorkload(name as WorkloadName, 0, {
    lstm: lstm === 'layers' || lstm === 'ops' ? lstm : 'fused',
    ...(images === undefined ? {} : { images: Number(images) }),
  });
  const tensors: number[] = [];
  const rss: number[] = [];
  const { history } = await fit({
    model: workload.model,
    loss: workload.loss,
    optimizer: createOptimizer(
      { kind: 'adam', learningRate: workload.learningRate },
      option('adam') === undefined ? {} : { host: option('adam') === 'host' },
    ),
    data: workload.data,
    plan: { batchSize: workload.batchSize, shuffle: true, remainder: workload.remainder, seed: 0 },
    epochs,
    ...(option('dense') === 'autodiff' ? { fusedDense: false } : {}),
    validate: () => {
      tensors.push(tf.memory().numTensors);
      rss.push(process.memoryUsage.rss());
      return {};
    },
  });
  console.log(
    JSON.stringify({
      workload: name,
      backend: backend.name,
      seconds: history.map((h) => h.seconds),
      loss: history.map((h) => h.loss),
      tensors,
      rss,
    }),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
