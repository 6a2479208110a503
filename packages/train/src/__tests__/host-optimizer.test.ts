import * as tf from '@tensorflow/tfjs-core';
import { liveTensorCount } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import { HostAdam, createOptimizer, setLearningRate, type OptimizerSpec } from '../index.js';

/**
 * Two steps from w = [1, −2] with gradients g1 = [0.5, −1] (norm √1.25 ≈ 1.118) at learning rate
 * 0.1, then g2 = [0.25, 0.5] (norm ≈ 0.559) at 0.05, the second rate set as a schedule sets it.
 */
async function twoSteps(spec: OptimizerSpec): Promise<number[][]> {
  const optimizer = createOptimizer(spec);
  const initial = tf.tensor1d([1, -2]);
  const w = tf.variable(initial);
  initial.dispose();
  const after: number[][] = [];
  for (const [gradient, rate] of [
    [[0.5, -1], 0.1],
    [[0.25, 0.5], 0.05],
  ] as const) {
    setLearningRate(optimizer, rate);
    const g = tf.tensor1d([...gradient]);
    optimizer.applyGradients({ [w.name]: g });
    g.dispose();
    after.push(Array.from(await w.data()));
  }
  optimizer.dispose();
  w.dispose();
  return after;
}

const expectClose = (actual: number[][], expected: number[][]): void => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(expected[i]![j]!, 6)));
};

describe.each(TEST_BACKENDS)('each optimiser equals its formula over two hand-computed steps on %s', (backend) => {
  it('sgd with momentum: b ← μ·b + g; w ← w − lr·b', async () => {
    await useBackend(backend);
    // b1 = g1, w1 = w0 − 0.1·g1; b2 = 0.9·[0.5, −1] + g2 = [0.7, −0.4], w2 = w1 − 0.05·b2
    expectClose(await twoSteps({ kind: 'sgd', learningRate: 0.1, momentum: 0.9 }), [
      [0.95, -1.9],
      [0.915, -1.88],
    ]);
  });

  it('sgd with Nesterov: w ← w − lr·(g + μ·b)', async () => {
    await useBackend(backend);
    // w1 = w0 − 0.1·1.9·g1; w2 = w1 − 0.05·(g2 + 0.9·[0.7, −0.4]) = w1 − 0.05·[0.88, 0.14]
    expectClose(await twoSteps({ kind: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true }), [
      [0.905, -1.81],
      [0.861, -1.817],
    ]);
  });

  it('sgd with clipping by global norm, then L2 weight decay', async () => {
    await useBackend(backend);
    // step 1 clipped: g1/√1.25 = [0.4472136, −0.8944272], + 0.1·w0 → w1 = w0 − 0.1·[0.5472136, −1.0944272];
    // step 2 (norm 0.559 < 1, not clipped): g2 + 0.1·w1 = [0.344527864, 0.310944272]
    expectClose(await twoSteps({ kind: 'sgd', learningRate: 0.1, weightDecay: 0.1, clipNorm: 1 }), [
      [0.94527864, -1.89055728],
      [0.9280522468, -1.9061044936],
    ]);
  });

  it("rmsprop with Keras' defaults: s ← ρ·s + (1−ρ)·g²; w ← w − lr·g/√(s + ε)", async () => {
    await useBackend(backend);
    // step 1: s = 0.1·g1², so each weight moves by 0.1·√10 = 0.3162278 against its gradient;
    // step 2: s = [0.02875, 0.115], w2 = w1 − 0.05·[0.25/√0.02875, 0.5/√0.115]
    expectClose(await twoSteps({ kind: 'rmsprop', learningRate: 0.1 }), [
      [0.6837728664, -1.6837723921],
      [0.6100520166, -1.7574933381],
    ]);
  });

  it('rmsprop centered with momentum: a ← ρ·a + (1−ρ)·g, s − a² under the root, u ← μ·u + Δ', async () => {
    await useBackend(backend);
    // step 1: s − a² = 0.1·g1² − 0.01·g1² = 0.09·g1², Δ = 0.1/0.3 = 1/3 against the gradient;
    // step 2: a = [0.07, −0.04], s = [0.02875, 0.115], u = 0.5·u1 + Δ2
    expectClose(await twoSteps({ kind: 'rmsprop', learningRate: 0.1, centered: true, momentum: 0.5 }), [
      [0.6666674074, -1.6666668519],
      [0.4190607923, -1.5742394789],
    ]);
  });

  it('adamw: w ← w − lr·(m̂/(√v̂ + ε) + λ·w), the decay scaled by the learning rate', async () => {
    await useBackend(backend);
    // step 1: m̂ = g1, v̂ = g1², so w1 = w0 − 0.1·(sign(g1) + 0.1·w0) = [0.89, −1.88];
    // step 2: m = [0.07, −0.04]/0.19, v = [0.00099938, 0.0014985]/0.001999 under the root
    expectClose(await twoSteps({ kind: 'adamw', learningRate: 0.1, weightDecay: 0.1 }), [
      [0.89000002, -1.88000001],
      [0.8389410498, -1.8572831597],
    ]);
  });

  it('leaves no tensor behind', async () => {
    await useBackend(backend);
    const before = liveTensorCount();
    await twoSteps({ kind: 'adamw', learningRate: 0.1, weightDecay: 0.1, clipNorm: 1 });
    expect(liveTensorCount()).toBe(before);
  });

  it("HostAdam: a tensor sharing an earlier step's weights keeps them while later steps run", async () => {
    await useBackend(backend);
    const before = liveTensorCount();
    const adam = new HostAdam(0.1, 0.9, 0.999, 1e-7);
    const initial = tf.tensor1d([1, -2]);
    const w = tf.variable(initial);
    const g = tf.tensor1d([0.5, -1]);
    adam.applyGradients({ [w.name]: g });
    const afterFirst = Array.from(w.dataSync());
    // Adam's first step is w − lr·g/(|g| + ε) up to float32 rounding of its constants.
    expect(afterFirst[0]).toBeCloseTo(0.9, 5);
    expect(afterFirst[1]).toBeCloseTo(-1.9, 5);
    // tf.clone shares the variable's data: if a later step wrote into that buffer, this would move.
    const first = tf.clone(w);
    adam.applyGradients({ [w.name]: g });
    adam.applyGradients({ [w.name]: g });
    expect(Array.from(first.dataSync())).toEqual(afterFirst);
    // With the same gradient every step moves it by ≈ lr.
    expect(w.dataSync()[0]).toBeCloseTo(0.7, 5);
    tf.dispose([first, w, g, initial]);
    adam.dispose();
    expect(liveTensorCount()).toBe(before);
  });
});

describe('plain sgd and adam keep their tfjs paths', () => {
  it('sgd without momentum, decay or clipping is tf.train.sgd; with any of them it is the host optimiser', async () => {
    await useBackend('cpu');
    expect(createOptimizer({ kind: 'sgd', learningRate: 0.1 }).getClassName()).toBe('SGD');
    expect(createOptimizer({ kind: 'sgd', learningRate: 0.1, momentum: 0 }).getClassName()).toBe('SGD');
    expect(createOptimizer({ kind: 'sgd', learningRate: 0.1, momentum: 0.5 }).getClassName()).toBe('HostOptimizer');
    expect(createOptimizer({ kind: 'adam' }).getClassName()).toBe('HostAdam');
  });
});
