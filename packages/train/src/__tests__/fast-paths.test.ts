import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { arrayDataset, combineLabels, oneHot, type ArrayDataset } from '@losslab/data';
import {
  categoricalCrossentropy,
  classWeighted,
  masked,
  meanAbsoluteError,
  reduceLoss,
  sampleWeighted,
  sliced,
  type Loss,
  type ScalarReduction,
} from '@losslab/losses';
import { createLstmClassifier, createMlp, createSequential, type MlpSpec } from '@losslab/models';
import {
  createRng,
  installWasmMatMulKernels,
  labelLayout,
  liveTensorCount,
  restoreWasmMatMulKernels,
} from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { HostAdam, createOptimizer, fit, isHostAdam } from '../index.js';
import { fusedDenseStep } from '../fused-step.js';

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

/** `data` with a third label block `weight: 1` holding fractional sample weights, one of them 0. */
function withWeightColumn(data: ArrayDataset, featureShape: number[] = [6]): ArrayDataset {
  const labels = new Float32Array(data.size * 5);
  for (let i = 0; i < data.size; i++) {
    labels.set(data.labels.subarray(i * 4, i * 4 + 4), i * 5);
    labels[i * 5 + 4] = i % 7 === 0 ? 0 : 0.5 + (i % 3) / 2;
  }
  return arrayDataset({ features: data.features, featureShape, labels, labelWidth: 5 });
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

async function train(
  problem: Problem,
  optimizer: tf.Optimizer,
  options: { fusedDense?: boolean; reduction?: ScalarReduction } = {},
): Promise<{ losses: number[]; weights: number[] }> {
  const model = problem.model();
  try {
    const { history } = await fit({
      model,
      loss: problem.loss,
      optimizer,
      data: problem.data,
      plan: { batchSize: 8, shuffle: true, remainder: 'drop', seed: 5 },
      epochs: 3,
      ...options,
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

  it('lstm: the fused LSTM (sequence kernels and op path) gives the tfjs-layers LSTM loss curve and weights, also stacked with sequences', async () => {
    await useBackend(backend);
    const before = liveTensorCount();
    for (const layers of [[{ units: 4 }], [{ units: 3 }, { units: 4 }]]) {
      const build = (implementation: 'fused' | 'ops' | 'layers') => () =>
        createLstmClassifier({ inputShape: [5, 1], layers, output: { units: 2, activation: 'softmax' } }, 2, {
          implementation,
        });
      const spec = { kind: 'adam', learningRate: 0.02 } as const;
      const stock = await train({ ...problems.lstm, model: build('layers') }, createOptimizer(spec));
      for (const implementation of ['fused', 'ops'] as const) {
        const fused = await train({ ...problems.lstm, model: build(implementation) }, createOptimizer(spec));
        expectClose(fused.losses, stock.losses);
        expectClose(fused.weights, stock.weights, 1e-4);
      }
    }
    expect(liveTensorCount()).toBe(before);
  });

  it('lstm: a training step with the sequence kernels runs ~70 kernels whatever the sequence length, the op path ~26 more per time step', async () => {
    await useBackend(backend);
    const steps = 5;
    const x = tf.tensor3d(sequenceData().features.slice(0, 8 * steps), [8, steps, 1]);
    const y = tf.tensor2d(sequenceData().labels.slice(0, 8 * 2), [8, 2]);
    const count = async (implementation: 'fused' | 'ops'): Promise<number> => {
      const model = createLstmClassifier(
        { inputShape: [steps, 1], layers: [{ units: 4 }], output: { units: 2, activation: 'softmax' } },
        2,
        { implementation },
      );
      // LayerVariable.read() returns its tf.Variable, typed as a plain Tensor.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
      const info = await tf.profile(() => {
        result = tf.variableGrads(
          () => reduceLoss(meanAbsoluteError(), y, model.apply(x, { training: true }) as tf.Tensor2D),
          variables,
        );
      });
      tf.dispose([result!.value, ...Object.values(result!.grads)]);
      model.dispose();
      return info.kernels.length;
    };
    const kernels = await count('fused');
    const ops = await count('ops');
    // The LSTM's share: 4 kernels forward, 10 backward; the rest is the dense layer, loss and autodiff's.
    expect(kernels).toBeLessThan(75);
    expect(ops - kernels).toBeGreaterThan(20 * steps);
    tf.dispose([x, y]);
  });

  // The fused dense path against autodiff, for models and losses it takes: one step's loss and
  // gradients, then 18 steps of training (loss curve and weights), each reduction.
  const fusedLayout = labelLayout({ digit: 3, isOdd: 1, weight: 1 });
  const fusedData = withWeightColumn(mlpData());
  const mlpOf = (spec: Omit<MlpSpec, 'output'>) => () =>
    createMlp({ ...spec, output: { units: 3, activation: 'softmax' } }, 1);
  const flatData = withWeightColumn(mlpData(), [2, 3]);
  // Eight features: with 8 hidden units and batches of 8, the wasm backend runs the hidden
  // layer's forward pass and dW = xᵀ·dz as denseGemm (rows a multiple of 4, columns of 8).
  const wideData = ((): ArrayDataset => {
    const narrow = fusedData;
    const features = new Float32Array(narrow.size * 8);
    for (let i = 0; i < narrow.size; i++) {
      const row = narrow.features.subarray(i * 6, i * 6 + 6);
      features.set(row, i * 8);
      features[i * 8 + 6] = row[0]! * row[1]! - 0.3;
      features[i * 8 + 7] = 0.5 - row[2]!;
    }
    return { ...narrow, features, featureShape: [8] };
  })();
  const fusedCases: {
    name: string;
    model: () => tfl.LayersModel;
    loss: Loss;
    reduction: ScalarReduction;
    data?: ArrayDataset;
  }[] = [
    {
      name: 'mnist-odd: relu, masked',
      model: mlpOf({ inputShape: [6], hidden: [{ units: 5, activation: 'relu' }] }),
      loss: masked(categoricalCrossentropy(), fusedLayout, { target: 'digit', mask: 'isOdd' }),
      reduction: 'sumOverBatchSize',
    },
    {
      name: 'flatten, tanh then sigmoid, sample-weighted with label smoothing',
      model: mlpOf({
        inputShape: [2, 3],
        hidden: [
          { units: 5, activation: 'tanh' },
          { units: 4, activation: 'sigmoid' },
        ],
      }),
      loss: sampleWeighted(categoricalCrossentropy({ labelSmoothing: 0.1 }), fusedLayout, {
        target: 'digit',
        weight: 'weight',
      }),
      reduction: 'sumOverWeights',
      data: flatData,
    },
    {
      name: 'no hidden layer, linear hidden layer, sliced',
      model: mlpOf({ inputShape: [6], hidden: [{ units: 4, activation: 'linear' }] }),
      loss: sliced(categoricalCrossentropy(), fusedLayout, 'digit'),
      reduction: 'sum',
    },
    {
      name: 'relu, masked, shapes the wasm gemm tiles',
      model: mlpOf({ inputShape: [8], hidden: [{ units: 8, activation: 'relu' }] }),
      loss: masked(categoricalCrossentropy(), fusedLayout, { target: 'digit', mask: 'isOdd' }),
      reduction: 'sumOverBatchSize',
      data: wideData,
    },
    {
      name: 'masked, sumOverNonzeroWeights',
      model: mlpOf({ inputShape: [6], hidden: [] }),
      loss: masked(categoricalCrossentropy(), fusedLayout, { target: 'digit', mask: 'isOdd' }),
      reduction: 'sumOverNonzeroWeights',
    },
  ];

  it.each(fusedCases)('mlp, $name: the fused dense path gives autodiff’s loss and gradients', async (c) => {
    await useBackend(backend);
    const before = liveTensorCount();
    const model = c.model();
    const data = c.data ?? fusedData;
    const x = tf.tensor(data.features.slice(0, (8 * data.features.length) / data.size), [8, ...data.featureShape]);
    const y = tf.tensor2d(fusedData.labels.slice(0, 8 * 5), [8, 5]);
    const step = fusedDenseStep(model, c.loss, c.reduction);
    expect(step, 'the fused path takes this model and loss').toBeDefined();
    const fused = step!(x, y)!;
    // LayerVariable.read() returns its tf.Variable, typed as a plain Tensor.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const stock = tf.variableGrads(
      () => reduceLoss(c.loss, y, model.apply(x, { training: true }) as tf.Tensor2D, c.reduction),
      variables,
    );
    expectClose(fused.value.dataSync() as unknown as number[], stock.value.dataSync() as unknown as number[]);
    expect(Object.keys(fused.grads)).toEqual(variables.map((v) => v.name));
    for (const v of variables) {
      expectClose(Array.from(fused.grads[v.name]!.dataSync()), Array.from(stock.grads[v.name]!.dataSync()));
    }
    tf.dispose([x, y, fused.value, stock.value, ...Object.values(fused.grads), ...Object.values(stock.grads)]);
    model.dispose();
    expect(liveTensorCount()).toBe(before);
  });

  it.each(fusedCases)(
    'mlp, $name: fit with the fused dense path gives the autodiff loss curve and weights',
    async (c) => {
      await useBackend(backend);
      const before = liveTensorCount();
      const problem = { model: c.model, loss: c.loss, data: c.data ?? fusedData };
      const spec = { kind: 'adam', learningRate: 0.02 } as const;
      const fused = await train(problem, createOptimizer(spec), { reduction: c.reduction });
      const stock = await train(problem, createOptimizer(spec), { reduction: c.reduction, fusedDense: false });
      expectClose(fused.losses, stock.losses);
      expectClose(fused.weights, stock.weights, 1e-4);
      expect(liveTensorCount()).toBe(before);
    },
  );

  it('mlp: a fused step runs 8 kernels where autodiff runs ~100 (mnist-odd’s model and loss)', async () => {
    await useBackend(backend);
    const c = fusedCases[0]!;
    const model = c.model();
    const x = tf.tensor2d(fusedData.features.slice(0, 8 * 6), [8, 6]);
    const y = tf.tensor2d(fusedData.labels.slice(0, 8 * 5), [8, 5]);
    const step = fusedDenseStep(model, c.loss, c.reduction)!;
    // LayerVariable.read() returns its tf.Variable, typed as a plain Tensor.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const kernels = async (run: () => { value: tf.Scalar; grads: tf.NamedTensorMap }): Promise<string[]> => {
      let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
      const info = await tf.profile(() => {
        result = run();
      });
      tf.dispose([result!.value, ...Object.values(result!.grads)]);
      return info.kernels.map((k) => k.name);
    };
    const fused = await kernels(() => step(x, y)!);
    const stock = await kernels(() =>
      tf.variableGrads(() => reduceLoss(c.loss, y, model.apply(x, { training: true }) as tf.Tensor2D), variables),
    );
    // Two fused matMuls (each with 3 Reshapes of its operands and result, views), dW and dx of
    // the output layer, relu's step and its product, dW and db of the hidden layer. On wasm
    // the forward passes (8 rows) are denseGemm without reshapes; the dWs are not (5 and 6 rows),
    // nor is relu's derivative (5 columns).
    const wasm = backend === 'wasm';
    expect(fused.filter((k) => k === 'Reshape')).toHaveLength(wasm ? 0 : 6);
    const forward = wasm ? 'LosslabGemm' : '_FusedMatMul';
    expect(fused.filter((k) => k !== 'Reshape')).toEqual([
      forward,
      forward,
      'BatchMatMul',
      'BatchMatMul',
      'Step',
      'Multiply',
      'BatchMatMul',
      'Sum',
    ]);
    expect(stock.length).toBeGreaterThan(80);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('mlp: where the shapes tile, wasm runs the forward passes and dWs as denseGemm', async () => {
    await useBackend(backend);
    const c = fusedCases.find((f) => f.data === wideData)!;
    const model = c.model();
    const x = tf.tensor2d(wideData.features.slice(0, 8 * 8), [8, 8]);
    const y = tf.tensor2d(wideData.labels.slice(0, 8 * 5), [8, 5]);
    const step = fusedDenseStep(model, c.loss, c.reduction)!;
    let result: ReturnType<typeof step>;
    const info = await tf.profile(() => {
      result = step(x, y);
    });
    tf.dispose([result!.value, ...Object.values(result!.grads)]);
    const kernels = info.kernels.map((k) => k.name).filter((k) => k !== 'Reshape');
    // Every matMul but dx = dz·Wᵀ (a transposed b) is denseGemm on wasm, none of them Reshapes,
    // and relu's derivative with the hidden bias gradient is reluBackward.
    const wasm = backend === 'wasm';
    const gemm = (stock: string): string => (wasm ? 'LosslabGemm' : stock);
    expect(kernels).toEqual([
      gemm('_FusedMatMul'),
      gemm('_FusedMatMul'),
      gemm('BatchMatMul'),
      'BatchMatMul',
      ...(wasm ? ['LosslabReluBackward'] : ['Step', 'Multiply']),
      gemm('BatchMatMul'),
      ...(wasm ? [] : ['Sum']),
    ]);
    expect(info.kernels.filter((k) => k.name === 'Reshape')).toHaveLength(backend === 'wasm' ? 0 : 6);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('mlp: the fused path declines other models and losses', async () => {
    await useBackend(backend);
    const loss = masked(categoricalCrossentropy(), fusedLayout, { target: 'digit', mask: 'isOdd' });
    const declined = [
      { model: mlpOf({ inputShape: [6], hidden: [] }), loss: classWeighted(categoricalCrossentropy(), [1, 2, 1]) },
      {
        model: () => createMlp({ inputShape: [6], hidden: [], output: { units: 3, activation: 'sigmoid' } }, 1),
        loss,
      },
      {
        model: () =>
          createSequential(
            {
              inputShape: [6],
              layers: [
                { kind: 'dense', units: 4, activation: 'relu' },
                { kind: 'dropout', rate: 0.5 },
                { kind: 'dense', units: 3, activation: 'softmax' },
              ],
            },
            1,
          ),
        loss,
      },
    ];
    for (const { model: build, loss: l } of declined) {
      const model = build();
      expect(fusedDenseStep(model, l, 'sumOverBatchSize')).toBeUndefined();
      model.dispose();
    }
    // A batch whose samples do not have the model's input shape goes to model.apply, which names the mismatch.
    const model = mlpOf({ inputShape: [6], hidden: [] })();
    const x = tf.zeros([8, 2, 3]);
    const y = tf.zeros<tf.Rank.R2>([8, 5]);
    expect(fusedDenseStep(model, loss, 'sumOverBatchSize')!(x, y)).toBeUndefined();
    tf.dispose([x, y]);
    model.dispose();
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
