import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed, LosslabError, requireInteger } from '@losslab/runtime';
import { formatErrors, SequentialModel, type ModelSummary, type SequentialLayer } from '@losslab/schema';
import { FusedLstm } from './fused-lstm.js';
import { seedRecurrentWeights } from './lstm.js';
import { seededDropout } from './seeded-dropout.js';
import { seededGlorotUniform } from './seeds.js';

/**
 * A `sequential` model: its layers as data (the schema's `SequentialModel` without its kind) and
 * the shape of one sample, which comes from the data.
 *
 * @example
 * // a small CNN on MNIST images
 * const spec: SequentialSpec = {
 *   inputShape: [28, 28, 1],
 *   layers: [
 *     { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
 *     { kind: 'maxPooling2d' },
 *     { kind: 'flatten' },
 *     { kind: 'dense', units: 10, activation: 'softmax' },
 *   ],
 * };
 */
export interface SequentialSpec {
  readonly inputShape: readonly number[];
  readonly layers: readonly SequentialLayer[];
}

const pair = (size: number | readonly [number, number]): [number, number] =>
  typeof size === 'number' ? [size, size] : [size[0], size[1]];

const shown = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** One spatial axis after a window: Keras' `valid` (whole windows only) and `same` (ceil(n / stride)) padding. */
const windowed = (size: number, window: number, stride: number, padding: 'valid' | 'same' | undefined): number =>
  padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1;

/** What a layer needs of its input, for the message when it gets something else. */
const NEEDS: Partial<Record<SequentialLayer['kind'], { rank: number; shape: string }>> = {
  conv2d: { rank: 3, shape: '[height, width, channels]' },
  maxPooling2d: { rank: 3, shape: '[height, width, channels]' },
  averagePooling2d: { rank: 3, shape: '[height, width, channels]' },
  globalAveragePooling2d: { rank: 3, shape: '[height, width, channels]' },
  lstm: { rank: 2, shape: '[timesteps, features]' },
  gru: { rank: 2, shape: '[timesteps, features]' },
};

/** Output shape and parameter count of one layer on `input`, or why it cannot take `input`. */
function layerShape(
  layer: SequentialLayer,
  input: readonly number[],
): { outputShape: number[]; parameters: number } | string {
  const need = NEEDS[layer.kind];
  if (need !== undefined && input.length !== need.rank)
    return `${layer.kind} needs ${need.shape} input (rank ${need.rank}), got ${shown(input)}`;
  const last = input[input.length - 1] ?? 0;
  switch (layer.kind) {
    case 'dense':
      return { outputShape: [...input.slice(0, -1), layer.units], parameters: last * layer.units + layer.units };
    case 'conv2d':
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const [height = 0, width = 0, channels = 0] = input;
      const window = pair(layer.kind === 'conv2d' ? layer.kernelSize : (layer.poolSize ?? 2));
      const strides = pair(layer.strides ?? (layer.kind === 'conv2d' ? 1 : window));
      const outputShape = [
        windowed(height, window[0], strides[0], layer.padding),
        windowed(width, window[1], strides[1], layer.padding),
        layer.kind === 'conv2d' ? layer.filters : channels,
      ];
      if (outputShape.some((dim) => dim < 1))
        return `${layer.kind} with a ${window.join('×')} window on ${shown(input)} leaves nothing (padding "valid")`;
      const parameters = layer.kind === 'conv2d' ? window[0] * window[1] * channels * layer.filters + layer.filters : 0;
      return { outputShape, parameters };
    }
    case 'globalAveragePooling2d':
      return { outputShape: [last], parameters: 0 };
    case 'flatten':
      return input.length < 1
        ? `flatten needs an input of rank ≥ 1, got ${shown(input)}`
        : { outputShape: [input.reduce((a, b) => a * b, 1)], parameters: 0 };
    case 'dropout':
    case 'activation':
      return { outputShape: [...input], parameters: 0 };
    case 'batchNormalization':
      // gamma, beta, moving mean, moving variance: one each per feature of the last axis
      return { outputShape: [...input], parameters: 4 * last };
    case 'lstm':
    case 'gru': {
      const gates = layer.kind === 'lstm' ? 4 : 3;
      const [timesteps = 0, features = 0] = input;
      const u = layer.units;
      return {
        outputShape: layer.returnSequences === true ? [timesteps, u] : [u],
        parameters: gates * (u * (u + features) + u),
      };
    }
  }
}

/**
 * The summary of `layers` applied to samples shaped `inputShape`: each layer's Keras kind, output
 * shape (without the batch axis) and parameter count, computed without TensorFlow. Throws
 * `SHAPE_MISMATCH` naming the first layer that cannot take its input, by index, with both shapes:
 * `layers.0: conv2d needs [height, width, channels] input (rank 3), got [16, 1]`.
 *
 * @example
 * sequentialSummary([{ kind: 'flatten' }, { kind: 'dense', units: 10 }], [28, 28, 1]).parameters; // 7850
 */
export function sequentialSummary(layers: readonly SequentialLayer[], inputShape: readonly number[]): ModelSummary {
  let shape = [...inputShape];
  const rows = layers.map((layer, index) => {
    const result = layerShape(layer, shape);
    if (typeof result === 'string') throw new LosslabError('SHAPE_MISMATCH', `layers.${index}: ${result}`);
    shape = result.outputShape;
    return { kind: layer.kind, ...result };
  });
  return {
    inputShape: [...inputShape],
    layers: rows,
    parameters: rows.reduce((total, row) => total + row.parameters, 0),
  };
}

/** The tfjs-layers layer of a spec; `index` is its position, which seeds its initialisers. */
function createLayer(
  layer: SequentialLayer,
  index: number,
  seed: number,
  input: { inputShape?: number[] },
): tfl.layers.Layer {
  const kernel = { kernelInitializer: seededGlorotUniform(seed, index, 'kernel'), biasInitializer: 'zeros' } as const;
  switch (layer.kind) {
    case 'dense':
      return tfl.layers.dense({ ...input, units: layer.units, activation: layer.activation ?? 'linear', ...kernel });
    case 'conv2d':
      return tfl.layers.conv2d({
        ...input,
        filters: layer.filters,
        kernelSize: pair(layer.kernelSize),
        strides: pair(layer.strides ?? 1),
        padding: layer.padding ?? 'valid',
        activation: layer.activation ?? 'linear',
        ...kernel,
      });
    case 'maxPooling2d':
    case 'averagePooling2d': {
      const poolSize = pair(layer.poolSize ?? 2);
      const args = { ...input, poolSize, strides: pair(layer.strides ?? poolSize), padding: layer.padding ?? 'valid' };
      return layer.kind === 'maxPooling2d' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args);
    }
    case 'globalAveragePooling2d':
      return tfl.layers.globalAveragePooling2d(input);
    case 'flatten':
      return tfl.layers.flatten(input);
    case 'dropout':
      return seededDropout({ ...input, rate: layer.rate, seed: deriveSeed(seed, 'dropout', index) });
    case 'activation':
      return tfl.layers.activation({ ...input, activation: layer.activation });
    case 'batchNormalization':
      return tfl.layers.batchNormalization({
        ...input,
        momentum: layer.momentum ?? 0.99,
        epsilon: layer.epsilon ?? 1e-3,
      });
    case 'lstm':
      return new FusedLstm({
        ...input,
        units: layer.units,
        returnSequences: layer.returnSequences ?? false,
        ...kernel,
      });
    case 'gru':
      return tfl.layers.gru({
        ...input,
        units: layer.units,
        returnSequences: layer.returnSequences ?? false,
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        // placeholder: replaced by the seeded orthogonal matrix once built
        recurrentInitializer: 'zeros',
        ...kernel,
      });
  }
}

/**
 * Builds a `sequential` model: each layer of `spec.layers` in order, with Keras' defaults. Layer i
 * (its position in the list) seeds its initialisers from `seed`: Glorot-uniform kernels with
 * `deriveSeed(seed, 'init', i, 'kernel')`, zero biases; LSTMs and GRUs get an orthogonal recurrent
 * kernel (`deriveSeed(seed, 'init', i, 'recurrent')`), LSTMs a forget-gate bias of 1 (Keras 2);
 * recurrent layers use sigmoid gates and tanh. A dropout layer is a {@link SeededDropout} whose
 * mask sequence starts at `deriveSeed(seed, 'dropout', i)` (checkpointed with the run); batch
 * normalisation's moving mean and variance are non-trainable weights, so checkpoints and saved
 * models hold them. LSTMs are {@link FusedLstm}s (saved as tfjs' LSTM). Throws `SHAPE_MISMATCH`
 * (see {@link sequentialSummary}) before building when a layer cannot take its input.
 *
 * @example
 * const model = createSequential(
 *   { inputShape: [28, 28, 1], layers: [{ kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' }, { kind: 'flatten' }, { kind: 'dense', units: 10, activation: 'softmax' }] },
 *   42,
 * );
 * model.countParams(); // 8·9 + 8 + 26·26·8·10 + 10 = 54170
 */
export function createSequential(spec: SequentialSpec, seed: number): tfl.LayersModel {
  requireInteger('seed', seed, 0);
  const decoded = SequentialModel.decode({ kind: 'sequential', layers: spec.layers });
  if (decoded._tag === 'Left') throw new LosslabError('INVALID_DEFINITION', formatErrors(decoded.left).join('; '));
  sequentialSummary(spec.layers, spec.inputShape);
  const model = tfl.sequential();
  spec.layers.forEach((layer, index) => {
    const built = createLayer(layer, index, seed, index === 0 ? { inputShape: [...spec.inputShape] } : {});
    // Sequential.add builds the layer, so its weights exist.
    model.add(built);
    if (layer.kind === 'lstm') seedRecurrentWeights(built, layer.units, 4, seed, index);
    if (layer.kind === 'gru') seedRecurrentWeights(built, layer.units, 3, seed, index);
  });
  return model;
}
