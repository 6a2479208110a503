import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createRng,
  installWasmConvKernels,
  liveTensorCount,
  restoreWasmConvKernels,
  selectBackend,
  wasmConvKernelsInstalled,
} from '../index.js';

const random = (shape: number[], seed: number): tf.Tensor => {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.next() * 2 - 1),
    shape,
  );
};

// Keras layers pad 'same' or 'valid' only; the stock wasm Conv2D crashes on some numeric pads.
type Pad = 'same' | 'valid';
interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: [number, number];
  strides: [number, number];
  pad: Pad;
}

/** Shapes drawn from a seeded stream: strides 1–3 (unequal too), same/valid padding, batch 1–4, kernels 1–4. */
function convCases(): ConvCase[] {
  const rng = createRng(24);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rng.next() * values.length)]!;
  const pads: Pad[] = ['same', 'valid'];
  // Filters one wide with a stride above 1 under 'same', which the stock wasm Conv2D gets wrong.
  const oneWide: ConvCase[] = [
    { batch: 2, height: 6, width: 6, inChannels: 2, outChannels: 3, kernel: [1, 1], strides: [2, 2], pad: 'same' },
    { batch: 1, height: 5, width: 4, inChannels: 1, outChannels: 4, kernel: [4, 1], strides: [1, 2], pad: 'same' },
  ];
  return oneWide.concat(
    Array.from({ length: 24 }, (_, i) => ({
      batch: i % 4 === 0 ? 1 : pick([2, 3, 4]),
      height: pick([5, 6, 7, 9]),
      width: pick([4, 5, 8]),
      inChannels: pick([1, 2, 3]),
      outChannels: pick([1, 4, 5]),
      kernel: [pick([1, 2, 3, 4]), pick([1, 2, 3])],
      strides: [pick([1, 2, 3]), pick([1, 2])],
      pad: pads[i % 2]!,
    })),
  );
}

/** A convolution's output (plain and fused with bias and relu, as tf.layers runs it), dx and dW (through Conv2DBackpropFilter), and a max and an average pool's, for each case. */
function convolutionGradients(cases: ConvCase[]): Float32Array[][] {
  return cases.map((c, i) =>
    tf.tidy(() => {
      const x = random([c.batch, c.height, c.width, c.inChannels], 100 + i) as tf.Tensor4D;
      const filter = random([...c.kernel, c.inChannels, c.outChannels], 200 + i) as tf.Tensor4D;
      const conv = (xs: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(xs, f, c.strides, c.pad);
      const weights = random(conv(x, filter).shape, 300 + i);
      const [dx, dW] = tf.grads((xs: tf.Tensor, f: tf.Tensor) =>
        tf.sum(tf.mul(conv(xs as tf.Tensor4D, f as tf.Tensor4D), weights)),
      )([x, filter]);
      const pool = (kind: 'max' | 'avg') => (xs: tf.Tensor) =>
        tf.pool(xs as tf.Tensor4D, c.kernel, kind, c.pad, 1, c.strides);
      const poolWeights = random(pool('max')(x).shape, 400 + i);
      const poolGrad = (kind: 'max' | 'avg', at = x) =>
        tf.grad((xs) => tf.sum(tf.mul(pool(kind)(xs), poolWeights)))(at);
      // ReLU's zeros make windows whose maximum is tied: the cpu backend picks the first.
      const bias = random([c.outChannels], 500 + i);
      const fused = tf.fused.conv2d({ x, filter, strides: c.strides, pad: c.pad, bias, activation: 'relu' });
      return [
        conv(x, filter),
        fused,
        dx!,
        dW!,
        pool('max')(x),
        poolGrad('max'),
        poolGrad('max', tf.relu(x)),
        poolGrad('avg'),
      ].map((t) => Float32Array.from(t.dataSync()));
    }),
  );
}

const WHAT = [
  'conv output',
  'fused conv output',
  'conv dx',
  'conv dW',
  'max pool output',
  'max pool dx',
  'avg pool dx',
];

/** |wasm − cpu| ≤ 1e-5 · max(1, |cpu|), element by element. */
function expectClose(actual: Float32Array[][], expected: Float32Array[][], label: (i: number, j: number) => string) {
  actual.forEach((values, i) =>
    values.forEach((array, j) => {
      const reference = expected[i]![j]!;
      expect(array.length, label(i, j)).toBe(reference.length);
      let worst = 0;
      array.forEach((v, k) => {
        worst = Math.max(worst, Math.abs(v - reference[k]!) / Math.max(1, Math.abs(reference[k]!)));
      });
      expect(worst, label(i, j)).toBeLessThanOrEqual(1e-5);
    }),
  );
}

interface Net {
  readonly variables: tf.Variable[];
  loss(images: tf.Tensor4D, labels: tf.Tensor2D, step: number): tf.Scalar;
}

/** conv2d(relu) → batch normalisation → max pool → flatten → dropout → dense softmax, in the ops tf.layers dispatches. */
function smallConvNet(): Net {
  const filter = tf.variable(tf.mul<tf.Tensor4D>(random([3, 3, 1, 4], 1), 0.5), true, 'filter');
  const bias = tf.variable(tf.mul(random([4], 2), 0.1), true, 'bias');
  const gamma = tf.variable(tf.ones([4]), true, 'gamma');
  const beta = tf.variable(tf.zeros([4]), true, 'beta');
  const dense = tf.variable(tf.mul(random([3 * 3 * 4, 3], 3), 0.3), true, 'dense');
  const denseBias = tf.variable(tf.zeros([3]), true, 'denseBias');
  return {
    variables: [filter, bias, gamma, beta, dense, denseBias],
    loss: (images, labels, step) =>
      tf.tidy(() => {
        const conv = tf.fused.conv2d({ x: images, filter, strides: 1, pad: 'same', bias, activation: 'relu' });
        const { mean, variance } = tf.moments(conv, [0, 1, 2]);
        const normalised = tf.batchNorm(conv, mean, variance, beta, gamma, 1e-3) as tf.Tensor4D;
        const pooled = tf.maxPool(normalised, 2, 2, 'valid');
        const flat = tf.reshape(pooled, [images.shape[0], -1]);
        const dropped = tf.dropout(flat, 0.25, undefined, step + 7);
        const logits = tf.add(tf.matMul(dropped, dense), denseBias);
        return tf.losses.softmaxCrossEntropy(labels, logits);
      }),
  };
}

/** Trains the small conv net a few SGD steps; returns each step's loss, the live tensors after each step, and the final weights. */
function train(steps: number) {
  const net = smallConvNet();
  const images = random([5, 7, 6, 1], 11) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d([0, 2, 1, 1, 0], 'int32'), 3) as tf.Tensor2D;
  const optimizer = tf.train.sgd(0.5);
  const losses: number[] = [];
  const live: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(() => net.loss(images, labels, step), true, net.variables)!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
    live.push(liveTensorCount());
  }
  const weights = net.variables.map((v) => Float32Array.from(v.dataSync()));
  tf.dispose([...net.variables, images, labels]);
  optimizer.dispose();
  return { losses, live, weights };
}

describe('wasm convolution and pooling kernels', () => {
  afterAll(() => installWasmConvKernels());

  it('conv2d, max-pool and avg-pool values and gradients equal the cpu backend within 1e-5 relative', async () => {
    const cases = convCases();
    await selectBackend({ requested: 'cpu' });
    const reference = convolutionGradients(cases);
    await selectBackend({ requested: 'wasm' });
    expect(wasmConvKernelsInstalled()).toBe(true);
    const before = liveTensorCount();
    const wasm = convolutionGradients(cases);
    expect(liveTensorCount()).toBe(before);
    expectClose(wasm, reference, (i, j) => `${WHAT[j]} of ${JSON.stringify(cases[i])}`);
  });

  it('gives dW equal to the finite difference of a loss that is linear in the filter', async () => {
    await selectBackend({ requested: 'wasm' });
    tf.tidy(() => {
      const x = random([3, 8, 7, 2], 5) as tf.Tensor4D;
      const filter = random([3, 2, 2, 3], 6) as tf.Tensor4D;
      const weights = random(tf.conv2d(x, filter, [2, 1], 'same').shape, 7);
      const loss = (f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, [2, 1], 'same'), weights));
      const dW = tf.grad(loss)(filter).dataSync();
      const base = loss(filter).dataSync()[0]!;
      // Linear in the filter, so a unit step gives the exact derivative up to float32 rounding.
      for (const index of [0, 5, 17, 35]) {
        const step = tf.buffer(filter.shape);
        step.values[index] = 1;
        const difference = loss(tf.add(filter, step.toTensor())).dataSync()[0]! - base;
        expect(dW[index]).toBeCloseTo(difference, 3);
      }
    });
  });

  it('route a max pool gradient to the window maximum when every input is negative (the stock wasm kernel drops it)', async () => {
    await selectBackend({ requested: 'wasm' });
    const x = tf.tensor4d([-3, -1, -2, -4, -5, -6, -0.5, -7, -8], [1, 3, 3, 1]);
    const gradient = () =>
      tf.tidy(() =>
        Array.from(
          tf
            .grad((xs) => tf.sum(tf.maxPool(xs as tf.Tensor4D, 2, 1, 'valid')))(x)
            .dataSync(),
        ),
      );
    // The 2×2 windows' maxima: -1 (top-left and top-right windows), -0.5 (bottom-left), -5 (bottom-right).
    expect(gradient()).toEqual([0, 2, 0, 0, 1, 0, 1, 0, 0]);
    restoreWasmConvKernels();
    expect(gradient()).not.toEqual([0, 2, 0, 0, 1, 0, 1, 0, 0]);
    installWasmConvKernels();
    x.dispose();
  });

  it('train a small conv net on wasm to the cpu weights, with no tensor growing across steps', async () => {
    await selectBackend({ requested: 'cpu' });
    const cpu = train(4);
    await selectBackend({ requested: 'wasm' });
    const wasm = train(4);
    expect(new Set(wasm.live.slice(1)).size, `live tensors per step ${wasm.live.join(', ')}`).toBe(1);
    expect(wasm.losses.at(-1)!).toBeLessThan(wasm.losses[0]!);
    expectClose([wasm.weights], [cpu.weights], (_, j) => `weight ${j} after 4 steps`);
    wasm.losses.forEach((loss, i) => expect(loss).toBeCloseTo(cpu.losses[i]!, 5));
  });

  it('install idempotently, restore to no Conv2DBackpropFilter, and are installed again by selectBackend', async () => {
    await selectBackend({ requested: 'wasm', fastMatMul: false });
    expect(wasmConvKernelsInstalled()).toBe(true);
    expect(installWasmConvKernels()).toBe(true);
    restoreWasmConvKernels();
    restoreWasmConvKernels();
    expect(wasmConvKernelsInstalled()).toBe(false);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm') as tf.KernelConfig | undefined).toBeUndefined();
    expect(tf.getKernel('MaxPoolGrad', 'wasm') as tf.KernelConfig | undefined).toBeDefined();
    const filter = tf.zeros<tf.Rank.R4>([1, 1, 1, 1]);
    const x = tf.ones<tf.Rank.R4>([1, 2, 2, 1]);
    expect(() => tf.grad((f) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(filter)).toThrow(
      /Conv2DBackpropFilter/,
    );
    await selectBackend({ requested: 'wasm' });
    expect(wasmConvKernelsInstalled()).toBe(true);
    const dW = tf.tidy(() =>
      Array.from(
        tf
          .grad((f) => tf.sum(tf.conv2d(x, f as tf.Tensor4D, 1, 'valid')))(filter)
          .dataSync(),
      ),
    );
    expect(dW).toEqual([4]);
    tf.dispose([filter, x]);
  });
});
