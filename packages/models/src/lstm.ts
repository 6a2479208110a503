import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed, requireInteger } from '@losslab/runtime';
import { FusedLstm } from './fused-lstm.js';
import { seededDropout } from './seeded-dropout.js';
import { orthogonalMatrix } from './orthogonal.js';
import { initSeed, seededGlorotUniform } from './seeds.js';
import { validateLstmClassifierSpec, type LstmClassifierSpec } from './spec.js';

/** How {@link createLstmClassifier} computes its LSTMs. */
export interface LstmOptions {
  /**
   * `fused` (default): {@link FusedLstm}, the whole sequence as one op with a hand-written
   * backward pass (several times fewer ops per step); `layers`: tfjs-layers' own LSTM. Same
   * weights, same results up to float32 summation order. `ops`: FusedLstm with its recurrence
   * as tfjs ops even on the backends where its sequence kernels run (to compare).
   */
  readonly implementation?: 'fused' | 'ops' | 'layers';
}

/**
 * Builds a stacked-LSTM sequence classifier from its spec. LSTM i (0-based) has a
 * Glorot-uniform input kernel seeded with `deriveSeed(seed, 'init', i, 'kernel')`, an orthogonal
 * recurrent kernel ({@link orthogonalMatrix}) seeded with `deriveSeed(seed, 'init', i,
 * 'recurrent')` and written after the layer is built, zero biases with the
 * forget gate at 1 (Keras' `unit_forget_bias`), `tanh` activation and `sigmoid` gates — the Keras 2
 * defaults (tfjs' own LSTM defaults differ: glorotNormal kernel, hardSigmoid gates, forget bias
 * 0). All LSTMs but the last return sequences. With `dropout > 0` a {@link SeededDropout}
 * follows every LSTM, its mask sequence seeded with `deriveSeed(seed, 'dropout', i)`. The dense
 * output is layer `layers.length` for seeding.
 *
 * Shapes: input `[batch, timesteps, features]` → output `[batch, output.units]`.
 * Parameters of an LSTM with u units over f features: 4·(u·(u + f) + u).
 *
 * @example
 * const model = createLstmClassifier(
 *   { inputShape: [16, 1], layers: [{ units: 8 }], output: { units: 2, activation: 'softmax' } },
 *   7,
 * );
 * model.countParams(); // 4·(8·9 + 8) + 8·2 + 2 = 338
 */
export function createLstmClassifier(
  spec: LstmClassifierSpec,
  seed: number,
  options: LstmOptions = {},
): tfl.LayersModel {
  requireInteger('seed', seed, 0);
  validateLstmClassifierSpec(spec);
  const dropout = spec.dropout ?? 0;
  const model = tfl.sequential();
  const implementation = options.implementation ?? 'fused';
  const fused = implementation !== 'layers';
  const lstms: tfl.layers.Layer[] = [];
  spec.layers.forEach((layer, index) => {
    const returnSequences = index < spec.layers.length - 1;
    const kernelInitializer = seededGlorotUniform(seed, index, 'kernel');
    const inputShape = index === 0 ? { inputShape: [...spec.inputShape] } : {};
    const lstm = fused
      ? new FusedLstm({
          ...inputShape,
          units: layer.units,
          returnSequences,
          kernelInitializer,
          sequenceKernels: implementation === 'fused',
        })
      : tfl.layers.lstm({
          ...inputShape,
          units: layer.units,
          returnSequences,
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          kernelInitializer,
          // placeholder: replaced by the seeded orthogonal matrix below
          recurrentInitializer: 'zeros',
          // Zero bias, forget gate raised to 1 below: tfjs' `unitForgetBias` initialiser leaks 4
          // tensors per layer (it concatenates outside tidy), so the bias is written directly.
          biasInitializer: 'zeros',
        });
    model.add(lstm);
    lstms.push(lstm);
    if (dropout > 0) model.add(seededDropout({ rate: dropout, seed: deriveSeed(seed, 'dropout', index) }));
  });
  const outputIndex = spec.layers.length;
  model.add(
    tfl.layers.dense({
      units: spec.output.units,
      activation: spec.output.activation,
      kernelInitializer: seededGlorotUniform(seed, outputIndex, 'kernel'),
      biasInitializer: 'zeros',
    }),
  );
  lstms.forEach((lstm, index) => seedRecurrentWeights(lstm, spec.layers[index]!.units, 4, seed, index));
  return model;
}

/**
 * Writes a built recurrent layer's seeded orthogonal recurrent kernel ([units, gates·units],
 * seeded with `deriveSeed(seed, 'init', layerIndex, 'recurrent')`) and its bias: zero, with the
 * forget gate at 1 for an LSTM (4 gates, order input, forget, cell, output; Keras'
 * `unit_forget_bias`), all zero for a GRU (3 gates). The layer's weights are [kernel, recurrent, bias].
 */
export function seedRecurrentWeights(
  layer: tfl.layers.Layer,
  units: number,
  gates: 3 | 4,
  seed: number,
  layerIndex: number,
): void {
  const recurrent = orthogonalMatrix(units, gates * units, initSeed(seed, layerIndex, 'recurrent'));
  const bias = new Float32Array(gates * units);
  if (gates === 4) bias.fill(1, units, 2 * units);
  tf.tidy(() => {
    const [kernel] = layer.getWeights();
    layer.setWeights([kernel!, tf.tensor2d(recurrent, [units, gates * units]), tf.tensor1d(bias)]);
  });
}
