/**
 * The backend's matMul speed and the compute floor of each workload: the time the matMuls of
 * one training step take alone (each shape timed untransposed, the way the installed kernels
 * run them), times the steps of an epoch.
 *
 * Usage: tsx tools/bench/src/matmul.ts [--backend=wasm] — prints one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@losslab/runtime';

/** [m, k, n, count per step]: the matMuls of one training step, forward and backward. */
type Shape = readonly [number, number, number, number];

/** MLP 784→64→10, batch 128: forward of both layers, dW of both, dx of the second (the input needs no gradient). */
const MLP_STEP: readonly Shape[] = [
  [128, 784, 64, 1], // x·W1
  [784, 128, 64, 1], // dW1 = xᵀ·dz1
  [128, 64, 10, 1], // h·W2
  [64, 128, 10, 1], // dW2 = hᵀ·dz2
  [128, 10, 64, 1], // dh = dz2·W2ᵀ
];
/** LSTM(32) over 30 frames of 1 feature, batch 64, then dense 32→2. */
const LSTM_STEP: readonly Shape[] = [
  [64, 1, 128, 30], // x_t·W
  [64, 32, 128, 30], // h_{t-1}·U
  [1, 64, 128, 30], // dW += x_tᵀ·dz_t
  [32, 64, 128, 30], // dU += h_{t-1}ᵀ·dz_t
  [64, 128, 32, 30], // dh_{t-1} = dz_t·Uᵀ
  [64, 32, 2, 1],
  [32, 64, 2, 1],
  [64, 2, 32, 1],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median seconds of one [m, k]·[k, n] matMul (untransposed, operands reused as weights are within a step). */
function timeMatMul(m: number, k: number, n: number): number {
  const a = tf.randomUniform([m, k]);
  const b = tf.randomUniform([k, n]);
  const reps = Math.max(5, Math.min(2000, Math.round(2e8 / (2 * m * k * n + 2e5))));
  for (let i = 0; i < reps; i++) tf.matMul(a, b).dispose();
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const started = performance.now();
    for (let i = 0; i < reps; i++) tf.matMul(a, b).dispose();
    samples.push((performance.now() - started) / 1000 / reps);
  }
  tf.dispose([a, b]);
  return median(samples);
}

function floorOf(step: readonly Shape[], steps: number): { flops: number; seconds: number } {
  let flops = 0;
  let seconds = 0;
  for (const [m, k, n, count] of step) {
    flops += 2 * m * k * n * count * steps;
    seconds += timeMatMul(m, k, n) * count * steps;
  }
  return { flops, seconds };
}

async function main(): Promise<void> {
  const backend = process.argv.find((a) => a.startsWith('--backend='))?.split('=')[1] ?? 'wasm';
  await selectBackend({ requested: backend });
  const main = timeMatMul(128, 784, 64);
  const mlp = floorOf(MLP_STEP, 468);
  const lstm = floorOf(LSTM_STEP, 64);
  console.log(
    JSON.stringify({
      backend,
      gflops: (2 * 128 * 784 * 64) / main / 1e9,
      mlp: { gflop: mlp.flops / 1e9, floorSeconds: mlp.seconds },
      lstm: { gflop: lstm.flops / 1e9, floorSeconds: lstm.seconds },
    }),
  );
}

await main();
