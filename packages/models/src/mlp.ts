import * as tfl from '@tensorflow/tfjs-layers';
import { requireInteger } from '@losslab/runtime';
import { seededGlorotUniform } from './seeds.js';
import { validateMlpSpec, type MlpSpec } from './spec.js';

/**
 * Builds an MLP from its spec: `inputShape` (flattened first when its rank is > 1) → each
 * `hidden` dense layer → the `output` dense layer. Dense layer i (hidden layers first, the output
 * last) gets a Glorot-uniform kernel seeded with `deriveSeed(seed, 'init', i, 'kernel')` and a
 * zero bias, so the same spec and seed give bit-identical initial weights.
 *
 * Shapes: input `[batch, ...inputShape]` → output `[batch, output.units]`.
 *
 * @example
 * const model = createMlp(
 *   { inputShape: [28, 28], hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'softmax' } },
 *   42,
 * );
 * model.countParams(); // 784·64 + 64 + 64·10 + 10 = 50890
 */
export function createMlp(spec: MlpSpec, seed: number): tfl.LayersModel {
  requireInteger('seed', seed, 0);
  validateMlpSpec(spec);
  const { model, outputInput } = mlpHiddenLayers(spec, seed);
  model.add(seededDense(spec.output, spec.hidden.length, seed, outputInput));
  return model;
}

type DenseLayerSpec = MlpSpec['output'];

/** Dense layer `index` of an MLP: its Glorot-uniform kernel seeded by position, a zero bias. */
const seededDense = (
  layer: DenseLayerSpec,
  index: number,
  seed: number,
  input: { inputShape?: number[] },
): tfl.layers.Layer =>
  tfl.layers.dense({
    ...input,
    units: layer.units,
    activation: layer.activation,
    kernelInitializer: seededGlorotUniform(seed, index, 'kernel'),
    biasInitializer: 'zeros',
  });

/**
 * An MLP up to its output layer: the flatten (input rank > 1) and the hidden dense layers, and the
 * `inputShape` the output layer must declare when it is the model's first layer. `createMlp` and
 * `createNormedMlp` add their own output to it.
 */
export function mlpHiddenLayers(
  spec: MlpSpec,
  seed: number,
): { model: tfl.Sequential; outputInput: { inputShape?: number[] } } {
  const model = tfl.sequential();
  const inputShape = [...spec.inputShape];
  const flatten = inputShape.length > 1;
  if (flatten) model.add(tfl.layers.flatten({ inputShape }));
  const inputOf = (index: number) => (index === 0 && !flatten ? { inputShape } : {});
  spec.hidden.forEach((layer, index) => model.add(seededDense(layer, index, seed, inputOf(index))));
  return { model, outputInput: inputOf(spec.hidden.length) };
}
