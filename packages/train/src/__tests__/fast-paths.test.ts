import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { arrayDataset, combineLabels, oneHot, type ArrayDataset } from '@losslab/data';
import { categoricalCrossentropy, masked, meanAbsoluteError, type Loss } from '@losslab/losses';
import { createLstmClassifier, createMlp } from '@losslab/models';
import {
  createRng,
  installWasmMatMulKernels,
  labelLayout,
  liveTensorCount,
  restoreWasmMatMulKernels,
} from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { HostAdam, createOptimizer, fit, isHostAdam } from '../index.js';

/**
 * Each optimised training path against the straightforward one on a tiny problem: the loss
 * curves (and final weights) agree to 1e-5 relative, and no tensor is left behind.
 */
const layout = labelLayout({ digit: 3, isOdd: 1 });

function mlpData(): ArrayDataset {
  const rng = createRng(3);
  const size = 48;
  const features = Float32Array.from({ length: size * 6 }, () => rng.next());
  const classes = Array.from({ length: size }, (_, i) => Math.floor(features[i * 6]! * 3));
  const labels = combineLabels(
    layout,
    { digit: oneHot(classes, 3), isOdd: Float32Array.from(classes, (c) => c % 2) },
    size,
  );
  return arrayDataset({ features, featureShape: [6], labels, labelWidth: layout.width });
}

function sequenceData(): ArrayDataset {
  const rng = createRng(4);
  const size = 32;
  const features = Float32Array.from({ length: size * 5 }, () => rng.next());
  const labels = new Float32Array(size * 2);
  for (let i = 0; i < size; i++) labels[i * 2 + (features[i * 5 + 4]! > 0.5 ? 1 : 0)] = 1;
  return arrayDataset({ features, featureShape: [5, 1], labels, labelWidth: 2 });
}

interface Problem {
  readonly model: () => tfl.LayersModel;
  readonly loss: Loss;
  readonly data: ArrayDataset;
}

const problems: Record<'mlp' | 'lstm', Problem> = {
  mlp: {
    model: () =>
      createMlp(
        { inputShape: [6], hidden: [{ units: 5, activation: 'relu' }], output: { units: 3, activation: 'softmax' } },
        1,
      ),
    loss: masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }),
    data: mlpData(),
  },
  lstm: {
    model: () =>
      createLstmClassifier(
        { inputShape: [5, 1], layers: [{ units: 4 }], output: { units: 2, activation: 'softmax' } },
        2,
      ),
    loss: meanAbsoluteError(),
    data: sequenceData(),
  },
};

async function train(problem: Problem, optimizer: tf.Optimizer): Promise<{ losses: number[]; weights: number[] }> {
  const model = problem.model();
  try {
    const { history } = await fit({
      model,
      loss: problem.loss,
      optimizer,
      data: problem.data,
      plan: { batchSize: 8, shuffle: true, remainder: 'drop', seed: 5 },
      epochs: 3,
    });
    return { losses: history.map((h) => h.loss), weights: model.getWeights().flatMap((w) => Array.from(w.dataSync())) };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

function expectClose(actual: number[], expected: number[], relative = 1e-5): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect(Math.abs(a - e)).toBeLessThanOrEqual(relative * Math.max(Math.abs(e), 1e-2));
  });
}

describe.each(TEST_BACKENDS)('optimised training paths on %s', (backend) => {
  afterAll(() => installWasmMatMulKernels());

  it.each(['mlp', 'lstm'] as const)('%s: HostAdam gives tf.train.adam’s loss curve and weights', async (name) => {
    await useBackend(backend);
    const before = liveTensorCount();
    const spec = { kind: 'adam', learningRate: 0.02 } as const;
    const host = createOptimizer(spec);
    expect(isHostAdam(host)).toBe(true);
    const stockAdam = createOptimizer(spec, { host: false });
    expect(isHostAdam(stockAdam)).toBe(false);
    const fast = await train(problems[name], host);
    const stock = await train(problems[name], stockAdam);
    expectClose(fast.losses, stock.losses);
    expectClose(fast.weights, stock.weights);
    expect(liveTensorCount()).toBe(before);
  });

  it.each(['mlp', 'lstm'] as const)('%s: HostAdam through tf.Optimizer.minimize equals tf.train.adam', async (name) => {
    await useBackend(backend);
    const run = (optimizer: tf.Optimizer): number[] => {
      const model = problems[name].model();
      const x = tf.tensor(problems[name].data.features, [
        problems[name].data.size,
        ...problems[name].data.featureShape,
      ]);
      const y = tf.tensor2d(problems[name].data.labels, [problems[name].data.size, problems[name].data.labelWidth]);
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const cost = optimizer.minimize(
          () => tf.mean<tf.Scalar>(problems[name].loss(y, model.apply(x) as tf.Tensor2D)),
          true,
        );
        losses.push(cost!.dataSync()[0]!);
        cost!.dispose();
      }
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
      return losses;
    };
    const before = liveTensorCount();
    expectClose(run(new HostAdam(0.02, 0.9, 0.999, 1e-7)), run(tf.train.adam(0.02, 0.9, 0.999, 1e-7)));
    expect(liveTensorCount()).toBe(before);
  });

  it('lstm: the fused LSTM gives the tfjs-layers LSTM loss curve and weights, also stacked with sequences', async () => {
    await useBackend(backend);
    const before = liveTensorCount();
    for (const layers of [[{ units: 4 }], [{ units: 3 }, { units: 4 }]]) {
      const build = (implementation: 'fused' | 'layers') => () =>
        createLstmClassifier({ inputShape: [5, 1], layers, output: { units: 2, activation: 'softmax' } }, 2, {
          implementation,
        });
      const spec = { kind: 'adam', learningRate: 0.02 } as const;
      const fused = await train({ ...problems.lstm, model: build('fused') }, createOptimizer(spec));
      const stock = await train({ ...problems.lstm, model: build('layers') }, createOptimizer(spec));
      expectClose(fused.losses, stock.losses);
      expectClose(fused.weights, stock.weights, 1e-4);
    }
    expect(liveTensorCount()).toBe(before);
  });

  if (backend === 'wasm') {
    it.each(['mlp', 'lstm'] as const)(
      '%s: the explicit-transpose matMul kernels give the stock loss curve',
      async (name) => {
        await useBackend(backend);
        const before = liveTensorCount();
        const fast = await train(problems[name], createOptimizer({ kind: 'adam', learningRate: 0.02 }));
        restoreWasmMatMulKernels();
        const stock = await train(problems[name], createOptimizer({ kind: 'adam', learningRate: 0.02 }));
        installWasmMatMulKernels();
        expectClose(fast.losses, stock.losses);
        expect(liveTensorCount()).toBe(before);
      },
    );
  }
});
