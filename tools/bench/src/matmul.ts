/**
 * The backend's matMul speed and the compute floor of each workload: the time the matMuls of
 * one training step take alone (each shape timed untransposed, the way the installed kernels
 * run them), times the steps of an epoch.
 *
 * The CNN's floor is its convolutions and its dense layer, each timed alone as the backend runs
 * it: the forward convolutions as the backend's `conv2d` (XNNPACK on wasm), each kernel gradient
 * as the one untransposed matMul that losslab's wasm `Conv2DBackpropFilter` makes of it (patches
 * [kh·kw·ci, b·oh·ow] · dy [b·oh·ow, co]), the second convolution's input gradient as the matMul
 * of its `Conv2DBackpropInput` (dy [b·oh·ow, co] · Wᵀ [co, kh·kw·ci]); the first convolution's
 * input needs no gradient. Left out: building the patches and scattering the columns (plain
 * JavaScript in those kernels), the poolings, ReLUs, dropout, softmax, loss and Adam, which are
 * memory-bound. Times batch-64 steps × images / 64 (the last partial batch counted pro rata).
 *
 * Usage: tsx tools/bench/src/matmul.ts [--backend=wasm] [--cnn-images=5000] — prints one JSON line.
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

/** The CNN's convolutions, batch 64: [batch, height, width, in channels, filters], 3×3, stride 1, valid. */
const CNN_CONVS = [
  { input: [64, 28, 28, 1], filters: 8, inputGradient: false },
  { input: [64, 13, 13, 8], filters: 16, inputGradient: true },
] as const;
/** The CNN's dense layer 400→10, batch 64: forward, dW, dx (the flatten before it needs dx). */
const CNN_DENSE: readonly Shape[] = [
  [64, 400, 10, 1],
  [400, 64, 10, 1],
  [64, 10, 400, 1],
];
const CNN_BATCH = 64;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median seconds of `op(a, b)` on two seeded uniform operands of the given shapes. */
function timeOp(
  aShape: number[],
  bShape: number[],
  flops: number,
  op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
): number {
  const a = tf.randomUniform(aShape, 0, 1, 'float32', 1);
  const b = tf.randomUniform(bShape, 0, 1, 'float32', 2);
  const reps = Math.max(5, Math.min(2000, Math.round(2e8 / (flops + 2e5))));
  for (let i = 0; i < reps; i++) op(a, b).dispose();
  const samples: number[] = [];
  for (let r = 0; r < 7; r++) {
    const started = performance.now();
    for (let i = 0; i < reps; i++) op(a, b).dispose();
    samples.push((performance.now() - started) / 1000 / reps);
  }
  tf.dispose([a, b]);
  return median(samples);
}

/** Median seconds of one [m, k]·[k, n] matMul (untransposed, operands reused as weights are within a step). */
const timeMatMul = (m: number, k: number, n: number): number =>
  timeOp([m, k], [k, n], 2 * m * k * n, (a, b) => tf.matMul(a, b));

/** The CNN's floor for `images` training images: see the file comment. */
function cnnFloor(images: number): { flops: number; seconds: number } {
  const steps = images / CNN_BATCH;
  let flops = 0;
  let seconds = 0;
  for (const { input, filters, inputGradient } of CNN_CONVS) {
    const [batch, height, width, channels] = input;
    const positions = batch * (height - 2) * (width - 2);
    const taps = 9 * channels;
    const convFlops = 2 * positions * taps * filters;
    const forward = timeOp([...input], [3, 3, channels, filters], convFlops, (x, w) =>
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'),
    );
    const kernelGradient = timeMatMul(taps, positions, filters);
    const dx = inputGradient ? timeMatMul(positions, filters, taps) : 0;
    const passes = inputGradient ? 3 : 2;
    flops += passes * convFlops * steps;
    seconds += (forward + kernelGradient + dx) * steps;
  }
  const dense = floorOf(CNN_DENSE, steps);
  return { flops: flops + dense.flops, seconds: seconds + dense.seconds };
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
  const option = (key: string): string | undefined =>
    process.argv.find((a) => a.startsWith(`--${key}=`))?.slice(key.length + 3);
  const backend = option('backend') ?? 'wasm';
  const cnnImages = Number(option('cnn-images') ?? 5000);
  await selectBackend({ requested: backend });
  const main = timeMatMul(128, 784, 64);
  const mlp = floorOf(MLP_STEP, 468);
  const lstm = floorOf(LSTM_STEP, 64);
  const cnn = cnnFloor(cnnImages);
  console.log(
    JSON.stringify({
      backend,
      gflops: (2 * 128 * 784 * 64) / main / 1e9,
      mlp: { gflop: mlp.flops / 1e9, floorSeconds: mlp.seconds },
      lstm: { gflop: lstm.flops / 1e9, floorSeconds: lstm.seconds },
      cnn: { gflop: cnn.flops / 1e9, floorSeconds: cnn.seconds, images: cnnImages },
    }),
  );
}

await main();
