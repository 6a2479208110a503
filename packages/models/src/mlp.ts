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
  const model = tfl.sequential();
  const inputShape = [...spec.inputShape];
  const flatten = inputShape.length > 1;
  if (flatten) model.add(tfl.layers.flatten({ inputShape }));
  const dense = [...spec.hidden, spec.output];
  dense.forEach((layer, index) => {
    model.add(
      tfl.layers.dense({
        ...(index === 0 && !flatten ? { inputShape } : {}),
        units: layer.units,
        activation: layer.activation,
        kernelInitializer: seededGlorotUniform(seed, index, 'kernel'),
        biasInitializer: 'zeros',
      }),
    );
  });
  return model;
}
