import * as tf from '@tensorflow/tfjs-core';
import { createRng, liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, numericGradient, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import { lstmSequence } from '../fused-lstm.js';
import { LSTM_BACKWARD, LSTM_FORWARD, sequenceKernelsAvailable } from '../lstm-kernels.js';
import { useLstmSimd } from '../lstm-simd.js';

/**
 * lstmSequence's sequence kernels against its op-by-op path (itself compared with tfjs-layers'
 * LSTM in train's fast-path tests): forward values and all four gradients, both output modes,
 * and finite differences of the kernel path in float64 on a few inputs.
 */
const [batch, steps, features, unitCount] = [3, 4, 2, 3];

function problem(
  stepCount = steps,
  units = unitCount,
): { inputs: tf.Tensor[]; outputWeights: (sequences: boolean) => tf.Tensor } {
  const rng = createRng(11);
  const uniform = (shape: number[], scale: number): tf.Tensor =>
    tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rng.next() * 2 - 1) * scale),
      shape,
    );
  const inputs = [
    uniform([batch, stepCount, features], 1),
    uniform([features, 4 * units], 0.8),
    uniform([units, 4 * units], 0.8),
    uniform([4 * units], 0.5),
  ];
  // Distinct weights for every output value, so that each one's gradient counts.
  const sequenceWeights = uniform([batch, stepCount, units], 1);
  const lastWeights = uniform([batch, units], 1);
  return { inputs, outputWeights: (sequences) => (sequences ? sequenceWeights : lastWeights) };
}

function run(
  inputs: tf.Tensor[],
  weights: tf.Tensor,
  sequences: boolean,
  kernels: boolean,
): { value: number[]; grads: number[][] } {
  return tf.tidy(() => {
    const [x, kernel, recurrent, bias] = inputs as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const value = Array.from(lstmSequence(x, kernel, recurrent, bias, sequences, kernels).dataSync());
    const grads = tf.grads((...args: tf.Tensor[]) =>
      tf.sum(
        tf.mul(
          lstmSequence(
            args[0] as tf.Tensor3D,
            args[1] as tf.Tensor2D,
            args[2] as tf.Tensor2D,
            args[3] as tf.Tensor1D,
            sequences,
            kernels,
          ),
          weights,
        ),
      ),
    )(inputs);
    return { value, grads: grads.map((g) => Array.from(g.dataSync())) };
  });
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(tolerance * scale));
}

describe.each(TEST_BACKENDS)('lstmSequence kernels on %s', (backend) => {
  it.each([false, true])('equal the op path, values and gradients (returnSequences %s)', async (sequences) => {
    await useBackend(backend);
    expect(sequenceKernelsAvailable()).toBe(true);
    const before = liveTensorCount();
    const { inputs, outputWeights } = problem();
    const fast = run(inputs, outputWeights(sequences), sequences, true);
    const ops = run(inputs, outputWeights(sequences), sequences, false);
    expectClose(fast.value, ops.value, 1e-6);
    expect(fast.grads).toHaveLength(4);
    fast.grads.forEach((g, i) => expectClose(g, ops.grads[i]!, 1e-5));
    tf.dispose([...inputs, outputWeights(true), outputWeights(false)]);
    expect(liveTensorCount()).toBe(before);
  });

  it.each([false, true])(
    'give bit-identical values and gradients with the SIMD steps and the scalar loops (returnSequences %s)',
    async (sequences) => {
      await useBackend(backend);
      const before = liveTensorCount();
      // 8 units: the SIMD steps run (units a multiple of 4), two vectors per row; the forward ones on wasm only.
      const { inputs, outputWeights } = problem(5, 8);
      const simd = run(inputs, outputWeights(sequences), sequences, true);
      useLstmSimd(false);
      try {
        const scalar = run(inputs, outputWeights(sequences), sequences, true);
        expect(simd.value).toEqual(scalar.value);
        simd.grads.forEach((g, i) => expect(g).toEqual(scalar.grads[i]));
        // And both equal the op path (the scalar loop's own check is the test above, with 3 units).
        const ops = run(inputs, outputWeights(sequences), sequences, false);
        simd.grads.forEach((g, i) => expectClose(g, ops.grads[i]!, 1e-5));
      } finally {
        useLstmSimd(true);
      }
      tf.dispose([...inputs, outputWeights(true), outputWeights(false)]);
      expect(liveTensorCount()).toBe(before);
    },
  );

  it.each([false, true])('have the gradients of finite differences (returnSequences %s)', async (sequences) => {
    await useBackend(backend);
    const { inputs, outputWeights } = problem();
    const weights = outputWeights(sequences);
    const { grads } = run(inputs, weights, sequences, true);
    const flat = inputs.map((t) => Array.from(t.dataSync()));
    inputs.forEach((input, which) => {
      // A few entries of each input: the objective as a function of them, in float32 through the kernels.
      const picked = [0, Math.floor(flat[which]!.length / 2), flat[which]!.length - 1];
      const objective = (point: Float64Array): number =>
        tf.tidy(() => {
          const values = Float32Array.from(flat[which]!);
          picked.forEach((p, k) => (values[p] = point[k]!));
          const replaced: tf.Tensor = tf.reshape(tf.tensor1d(values), input.shape);
          const [x, kernel, recurrent, bias] = inputs.map((t, i) => (i === which ? replaced : t));
          const output = lstmSequence(
            x as tf.Tensor3D,
            kernel as tf.Tensor2D,
            recurrent as tf.Tensor2D,
            bias as tf.Tensor1D,
            sequences,
            true,
          );
          return tf.sum(tf.mul(output, weights)).dataSync()[0]!;
        });
      const numeric = numericGradient(
        objective,
        picked.map((p) => flat[which]![p]!),
        1e-2,
      );
      picked.forEach((p, k) => expect(Math.abs(grads[which]![p]! - numeric[k]!)).toBeLessThan(2e-3));
    });
    tf.dispose([...inputs, outputWeights(true), outputWeights(false)]);
  });

  it('run a number of engine kernels that does not grow with the steps (the op path: ~25 per step)', async () => {
    await useBackend(backend);
    const count = async (stepCount: number, kernels: boolean): Promise<number> => {
      const { inputs, outputWeights } = problem(stepCount);
      const info = await tf.profile(() => {
        run(inputs, outputWeights(true), true, kernels);
      });
      tf.dispose([...inputs, outputWeights(true), outputWeights(false)]);
      return info.kernels.filter((k) => !['LosslabLstmForward', 'LosslabLstmBackward'].includes(k.name)).length;
    };
    const [short, long] = [await count(4, true), await count(8, true)];
    expect(long).toBe(short);
    expect((await count(8, false)) - (await count(4, false))).toBeGreaterThan(4 * 20);
  });
});

describe('lstmSequence on a backend without the sequence kernels', () => {
  it('takes the op path and computes what the kernels compute (cpu)', async () => {
    await useBackend('cpu');
    const { inputs, outputWeights } = problem();
    const expected = run(inputs, outputWeights(true), true, true);
    // The cpu backend under another name, with every cpu kernel but the sequence kernels (as tfjs-node
    // or webgl have none).
    const name = 'cpu-without-lstm-kernels';
    const CpuBackend = tf.findBackend('cpu').constructor as new () => tf.KernelBackend;
    for (const config of tf.getKernelsForBackend('cpu'))
      if (config.kernelName !== LSTM_FORWARD && config.kernelName !== LSTM_BACKWARD)
        tf.registerKernel({ ...config, backendName: name });
    tf.registerBackend(name, () => new CpuBackend());
    try {
      await tf.setBackend(name);
      expect(sequenceKernelsAvailable()).toBe(false);
      const moved = inputs.map((t) => tf.tensor(t.dataSync(), t.shape));
      const weights = tf.tensor(outputWeights(true).dataSync(), outputWeights(true).shape);
      const actual = run(moved, weights, true, true);
      expectClose(actual.value, expected.value, 1e-6);
      actual.grads.forEach((g, i) => expectClose(g, expected.grads[i]!, 1e-5));
      tf.dispose([...moved, weights]);
    } finally {
      await useBackend('cpu');
      tf.removeBackend(name);
      for (const config of tf.getKernelsForBackend(name)) tf.unregisterKernel(config.kernelName, name);
    }
    tf.dispose([...inputs, outputWeights(true), outputWeights(false)]);
  });
});
