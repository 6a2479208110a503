import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { expectNoTensorLeak, isLosslabError } from '@losslab/runtime';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import {
  countParameters,
  createLstmClassifier,
  createMlp,
  createModel,
  describeModel,
  outputWidth,
  type LstmClassifierSpec,
  type MlpSpec,
  type ModelSpec,
} from '../index.js';

const mnistOdd: MlpSpec = {
  inputShape: [28, 28],
  hidden: [{ units: 64, activation: 'relu' }],
  output: { units: 10, activation: 'softmax' },
};

// [5 timesteps, 3 features] → LSTM 4 (sequences) → LSTM 2 → dense 2 softmax
const tinyLstm: LstmClassifierSpec = {
  inputShape: [5, 3],
  layers: [{ units: 4 }, { units: 2 }],
  output: { units: 2, activation: 'softmax' },
};

const weightValues = (model: tfl.LayersModel): Float32Array[] =>
  model.getWeights().map((w) => w.dataSync() as Float32Array);

/** Builds, reads the weights, disposes: nothing of the model survives. */
function weightsOf(build: () => tfl.LayersModel): Float32Array[] {
  const model = build();
  const values = weightValues(model);
  model.dispose();
  return values;
}

const sameArrays = (a: Float32Array[], b: Float32Array[]): boolean =>
  a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => Object.is(v, b[i]![j])));

describe.each(TEST_BACKENDS)('models on %s', (backend) => {
  it('builds the mnist-odd MLP: flatten → dense 64 relu → dense 10 softmax, 50890 parameters', async () => {
    await useBackend(backend);
    const model = createMlp(mnistOdd, 42);
    // 784·64 + 64 + 64·10 + 10 = 50176 + 64 + 640 + 10
    expect(countParameters(model)).toBe(50890);
    expect(countParameters(model)).toBe(model.countParams());
    expect(describeModel(model)).toBe('[28, 28] → flatten → dense 64 relu → dense 10 softmax (50890 parameters)');
    const probabilities = await expectNoTensorLeak('mlp predict in tidy', () =>
      tf.tidy(() => {
        const out = model.predict(tf.ones([3, 28, 28])) as tf.Tensor;
        expect(out.shape).toEqual([3, 10]);
        return out.arraySync() as number[][];
      }),
    );
    for (const row of probabilities) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    model.dispose();
  });

  it('skips the flatten for rank-1 input and starts biases at zero', async () => {
    await useBackend(backend);
    const model = createMlp(
      { inputShape: [3], hidden: [{ units: 2, activation: 'tanh' }], output: { units: 1, activation: 'linear' } },
      1,
    );
    // 3·2 + 2 + 2·1 + 1
    expect(countParameters(model)).toBe(11);
    expect(describeModel(model)).toBe('[3] → dense 2 tanh → dense 1 linear (11 parameters)');
    const [, bias1, , bias2] = weightValues(model);
    expect(Array.from(bias1!)).toEqual([0, 0]);
    expect(Array.from(bias2!)).toEqual([0]);
    model.dispose();
  });

  it('builds a stacked LSTM classifier with hand-counted parameters', async () => {
    await useBackend(backend);
    const model = createLstmClassifier(tinyLstm, 3);
    // LSTM u over f features: 4·(u·(u + f) + u). LSTM 4 over 3: 4·(4·7 + 4) = 128;
    // LSTM 2 over 4: 4·(2·6 + 2) = 56; dense 2 → 2: 2·2 + 2 = 6. Total 190.
    expect(countParameters(model)).toBe(190);
    expect(describeModel(model)).toBe('[5, 3] → lstm 4 (sequences) → lstm 2 → dense 2 softmax (190 parameters)');
    await expectNoTensorLeak('lstm predict in tidy', () =>
      tf.tidy(() => {
        const out = model.predict(tf.randomUniform([2, 5, 3], -1, 1, 'float32', 9)) as tf.Tensor;
        expect(out.shape).toEqual([2, 2]);
        const rows = out.arraySync() as number[][];
        for (const row of rows) expect(row[0]! + row[1]!).toBeCloseTo(1, 5);
      }),
    );
    model.dispose();
  });

  it('follows Keras LSTM defaults: zero bias with forget gate at 1, orthogonal recurrent kernel', async () => {
    await useBackend(backend);
    const model = createLstmClassifier(
      { inputShape: [2, 1], layers: [{ units: 3 }], output: { units: 2, activation: 'softmax' } },
      5,
    );
    const [kernel, recurrent, bias] = model.getWeights();
    expect(kernel!.shape).toEqual([1, 12]);
    expect(recurrent!.shape).toEqual([3, 12]);
    // gate order i, f, c, o: only the forget block is 1
    expect(Array.from(bias!.dataSync())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    // a [3, 12] orthogonal matrix has orthonormal rows: R·Rᵀ = I₃
    const gram = tf.tidy(() => tf.matMul(recurrent!, recurrent!, false, true).arraySync() as number[][]);
    gram.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 5)));
    model.dispose();
  });

  it('same spec and seed give bit-identical weights; another seed gives different ones', async () => {
    await useBackend(backend);
    const specs: ModelSpec[] = [
      { kind: 'mlp', ...mnistOdd },
      { kind: 'lstm', ...tinyLstm, dropout: 0.25 },
    ];
    for (const spec of specs) {
      const a = weightsOf(() => createModel(spec, 11));
      const b = weightsOf(() => createModel(spec, 11));
      const c = weightsOf(() => createModel(spec, 12));
      expect(sameArrays(a, b)).toBe(true);
      // every random weight (kernels, recurrent kernels) changes with the seed
      const randomWeights = a.map((w, i) => [w, c[i]!] as const).filter(([w]) => w.some((v) => v !== 0 && v !== 1));
      expect(randomWeights.length).toBe(spec.kind === 'mlp' ? 2 : 5);
      for (const [w, other] of randomWeights) expect(sameArrays([w], [other])).toBe(false);
    }
  });

  it('draws Glorot-uniform kernels within ±sqrt(6 / (fanIn + fanOut))', async () => {
    await useBackend(backend);
    const [kernel] = weightsOf(() =>
      createMlp({ inputShape: [20], hidden: [], output: { units: 10, activation: 'linear' } }, 4),
    );
    const limit = Math.sqrt(6 / 30);
    expect(kernel!.every((v) => Math.abs(v) <= limit)).toBe(true);
    // a uniform spread, not a constant: the extremes reach most of the range
    expect(Math.max(...kernel!)).toBeGreaterThan(0.8 * limit);
    expect(Math.min(...kernel!)).toBeLessThan(-0.8 * limit);
  });

  it('creating and disposing a model leaves no tensors behind', async () => {
    await useBackend(backend);
    await expectNoTensorLeak('create + dispose', () => {
      createModel({ kind: 'lstm', ...tinyLstm, dropout: 0.5 }, 2).dispose();
      createModel({ kind: 'mlp', ...mnistOdd }, 2).dispose();
    });
  });
});

describe('initial weights across backends', () => {
  it('are drawn in JavaScript, so cpu and wasm agree bit for bit', async () => {
    const specs: ModelSpec[] = [
      { kind: 'mlp', ...mnistOdd },
      { kind: 'lstm', ...tinyLstm },
    ];
    for (const spec of specs) {
      await useBackend('cpu');
      const onCpu = weightsOf(() => createModel(spec, 8));
      await useBackend('wasm');
      const onWasm = weightsOf(() => createModel(spec, 8));
      expect(sameArrays(onCpu, onWasm)).toBe(true);
    }
  });
});

describe('spec guards', () => {
  const message = (fn: () => unknown): string => {
    try {
      fn();
    } catch (error) {
      expect(isLosslabError(error, 'INVALID_DEFINITION')).toBe(true);
      return (error as Error).message;
    }
    throw new Error('expected a LosslabError');
  };

  it('names the offending field and value', async () => {
    await useBackend('cpu');
    const hidden = [
      { units: 4, activation: 'relu' as const },
      { units: 0, activation: 'relu' as const },
    ];
    expect(message(() => createMlp({ ...mnistOdd, hidden }, 1))).toBe(
      'hidden.1.units: expected a positive integer, got 0',
    );
    expect(message(() => createMlp({ ...mnistOdd, output: { units: 2.5, activation: 'softmax' } }, 1))).toBe(
      'output.units: expected a positive integer, got 2.5',
    );
    expect(message(() => createMlp({ ...mnistOdd, output: { units: 10, activation: 'softmaxx' as never } }, 1))).toBe(
      'output.activation: expected one of "linear", "relu", "sigmoid", "softmax", "tanh", got "softmaxx"',
    );
    expect(message(() => createMlp({ ...mnistOdd, inputShape: [] }, 1))).toBe(
      'inputShape: expected a non-empty shape, got []',
    );
    expect(message(() => createMlp({ ...mnistOdd, inputShape: [28, -1] }, 1))).toBe(
      'inputShape.1: expected a positive integer, got -1',
    );
  });

  it('reports every bad setting at once and rejects unknown keys, like a definition', () => {
    expect(
      message(() =>
        createMlp({ ...mnistOdd, hidden: [{ units: 0, activation: 'relu' }], output: { units: 10 } } as never, 1),
      ),
    ).toBe(
      'hidden.0.units: expected a positive integer, got 0; output.activation: expected one of "linear", "relu", "sigmoid", "softmax", "tanh", got nothing',
    );
    expect(message(() => createLstmClassifier({ ...tinyLstm, dropuot: 0.2 } as never, 1))).toBe(
      'dropuot: unknown key (expected one of: kind, layers, output, dropout)',
    );
  });

  it('checks that the input rank fits the model kind', () => {
    expect(message(() => createLstmClassifier({ ...tinyLstm, inputShape: [28] as never }, 1))).toBe(
      'inputShape: expected [timesteps, features] (rank 2), got [28]',
    );
    expect(message(() => createLstmClassifier({ ...tinyLstm, inputShape: [2, 3, 4] as never }, 1))).toBe(
      'inputShape: expected [timesteps, features] (rank 2), got [2,3,4]',
    );
  });

  it('rejects bad LSTM layers, dropout and kind', () => {
    expect(message(() => createLstmClassifier({ ...tinyLstm, layers: [] }, 1))).toBe(
      'layers: expected at least one LSTM layer, got []',
    );
    expect(message(() => createLstmClassifier({ ...tinyLstm, layers: [{ units: 4 }, { units: -2 }] }, 1))).toBe(
      'layers.1.units: expected a positive integer, got -2',
    );
    expect(message(() => createLstmClassifier({ ...tinyLstm, dropout: 1 }, 1))).toBe(
      'dropout: expected a number in [0, 1), got 1',
    );
    expect(message(() => createModel({ ...mnistOdd, kind: 'cnn' } as never, 1))).toBe(
      'kind: expected one of "mlp", "lstm", got "cnn"',
    );
  });

  it('rejects a seed that is not a non-negative integer', () => {
    expect(() => createMlp(mnistOdd, -1)).toThrow('seed: expected an integer >= 0, got -1');
    expect(() => createLstmClassifier(tinyLstm, 0.5)).toThrow('seed: expected an integer >= 0, got 0.5');
  });

  it('reports the output width for the loss-target check', () => {
    expect(outputWidth({ kind: 'mlp', ...mnistOdd })).toBe(10);
    expect(outputWidth({ kind: 'lstm', ...tinyLstm })).toBe(2);
    expect(message(() => outputWidth({ kind: 'mlp', ...mnistOdd, output: { units: 0, activation: 'softmax' } }))).toBe(
      'output.units: expected a positive integer, got 0',
    );
  });
});
