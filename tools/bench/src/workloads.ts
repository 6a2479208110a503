/**
 * The two training workloads of the benchmark, run through losslab's own `fit`:
 * - `mlp`: mnist-odd — 60,000 MNIST images, MLP 784→64 relu→10 softmax, masked categorical
 *   cross-entropy, Adam, batch 128 (468 steps per epoch);
 * - `lstm`: LSTM(32) → dense 2 softmax, L1 (mean absolute error), 4,096 seeded random windows ×
 *   30 frames × 1 feature with random one-hot labels, Adam, batch 64 (64 steps per epoch).
 *
 * Usage: tsx tools/bench/src/workloads.ts <mlp|lstm> [--epochs=N] [--backend=wasm|cpu] [--adam=host|tf]
 * [--fast-kernels=false] [--lstm=layers]: each switches one optimisation off, for before/after
 * measurements (stock wasm matMul/Slice kernels, tf.train.adam, tfjs-layers' LSTM).
 * Prints one JSON line: per-epoch seconds, live tensors and RSS after each epoch, and the loss.
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { arrayDataset, combineLabels, oneHot, scalePixels, type ArrayDataset } from '@losslab/data';
import { loadMnist } from '@losslab/data/node';
import { categoricalCrossentropy, masked, meanAbsoluteError, type Loss } from '@losslab/losses';
import { createLstmClassifier, createMlp } from '@losslab/models';
import { createRng, labelLayout, selectBackend } from '@losslab/runtime';
import { createOptimizer, fit } from '@losslab/train';
import type * as tfl from '@tensorflow/tfjs-layers';

export type WorkloadName = 'mlp' | 'lstm';

export interface Workload {
  readonly model: tfl.LayersModel;
  readonly loss: Loss;
  readonly data: ArrayDataset;
  readonly batchSize: number;
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
  lstm: 'fused' | 'layers' = 'fused',
): Promise<Workload> {
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
    };
  }
  const model = createLstmClassifier(
    { inputShape: [30, 1], layers: [{ units: 32 }], output: { units: 2, activation: 'softmax' } },
    seed,
    { implementation: lstm },
  );
  return { model, loss: meanAbsoluteError(), data: lstmData(), batchSize: 64 };
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
  if (name !== 'mlp' && name !== 'lstm')
    throw new Error('usage: workloads.ts <mlp|lstm> [--epochs=N] [--backend=wasm|cpu]');
  const option = (key: string): string | undefined => args.find((a) => a.startsWith(`--${key}=`))?.split('=')[1];
  const epochs = Number(option('epochs') ?? 3);
  const backend = await selectBackend({
    requested: option('backend') ?? 'wasm',
    fastMatMul: option('fast-kernels') !== 'false',
  });
  const workload = await createWorkload(name, 0, option('lstm') === 'layers' ? 'layers' : 'fused');
  const tensors: number[] = [];
  const rss: number[] = [];
  const { history } = await fit({
    model: workload.model,
    loss: workload.loss,
    optimizer: createOptimizer(
      { kind: 'adam' },
      option('adam') === undefined ? {} : { host: option('adam') === 'host' },
    ),
    data: workload.data,
    plan: { batchSize: workload.batchSize, shuffle: true, remainder: 'drop', seed: 0 },
    epochs,
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
