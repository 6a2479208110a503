import { LosslabError } from '@losslab/runtime';
import { FusedLstm } from './fused-lstm.js';
import { NormedDense } from './normed-dense.js';
import { SeededDropout } from './seeded-dropout.js';

/**
 * A saved model's topology with losslab's layers written as tfjs-layers' own, so that
 * `tf.loadLayersModel` loads it in a process that imports only TF.js, and the names of the
 * layers that were {@link FusedLstm}s (so losslab can load them back as such).
 */
export interface StandardTopology {
  readonly topology: object;
  readonly fusedLstmLayers: readonly string[];
  /**
   * losslab layers with no standard TF.js equivalent, kept as they are: each class and the module
   * a process must import (it registers the class) before `tf.loadLayersModel`. Empty for most models.
   */
  readonly customLayers: readonly CustomLayer[];
}

/** A layer class a saved model keeps, and the module that registers it. */
export interface CustomLayer {
  readonly className: string;
  readonly module: string;
}

/** Layers kept as they are because no standard TF.js layer computes them (see {@link CustomLayer}). */
const KEPT_LAYERS: Readonly<Record<string, string>> = { [NormedDense.className]: '@losslab/models' };

type LayerJson = { class_name: string; config: Record<string, unknown> } & Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isLayerJson = (value: unknown): value is LayerJson =>
  isRecord(value) && typeof value.class_name === 'string' && isRecord(value.config);

// Initialisers of a loaded layer run before the saved weights replace them: zeros, because
// tfjs' LSTM defaults (orthogonal, unit forget bias) need chained ops or leak tensors.
const ZEROS = { class_name: 'Zeros', config: {} };

/** tfjs' LSTM computing what FusedLstm computes: same weights and gate order, tanh, sigmoid gates. */
function standardLstm(config: Record<string, unknown>): Record<string, unknown> {
  return {
    ...config,
    activation: 'tanh',
    recurrent_activation: 'sigmoid',
    use_bias: true,
    kernel_initializer: ZEROS,
    recurrent_initializer: ZEROS,
    bias_initializer: ZEROS,
    unit_forget_bias: false,
    dropout: 0,
    recurrent_dropout: 0,
    return_state: false,
    go_backwards: false,
    stateful: false,
    unroll: false,
  };
}

/** tfjs' Dropout: SeededDropout is the identity at inference, as Dropout is; its seed is losslab's. */
function standardDropout(config: Record<string, unknown>): Record<string, unknown> {
  const { seed: _maskSeed, ...rest } = config;
  return { ...rest, noise_shape: null, seed: null };
}

/**
 * Rewrites `topology` (a Layers model's `modelTopology`, plain JSON) with tfjs' `LSTM` for each
 * {@link FusedLstm} and `Dropout` for each {@link SeededDropout}. Layer names, and so the weight
 * names and the weight bytes, stay as they are: FusedLstm already holds tfjs' LSTM weights
 * (`kernel` [f, 4u], `recurrent_kernel` [u, 4u], `bias` [4u], gate order i, f, c, o). Nested
 * models are rewritten too. A {@link NormedDense} (cosine-normalised, no standard equivalent) is
 * kept and listed in `customLayers` with the module to import. Any other `Losslab…` class is
 * refused, naming it, so a new custom layer cannot make saved models unloadable unnoticed.
 *
 * @example
 * const { topology, fusedLstmLayers } = standardTopology(artifacts.modelTopology);
 */
export function standardTopology(topology: unknown): StandardTopology {
  const fusedLstmLayers: string[] = [];
  const customLayers = new Map<string, CustomLayer>();
  const rewrite = (layer: unknown, path: string): unknown => {
    if (!isLayerJson(layer)) return layer;
    const { config } = layer;
    const layers = Array.isArray(config.layers)
      ? { layers: config.layers.map((inner, index) => rewrite(inner, `${path}.config.layers[${index}]`)) }
      : {};
    if (layer.class_name === FusedLstm.className) {
      fusedLstmLayers.push(String(config.name));
      return { ...layer, class_name: 'LSTM', config: standardLstm(config) };
    }
    if (layer.class_name === SeededDropout.className)
      return { ...layer, class_name: 'Dropout', config: standardDropout(config) };
    const module = KEPT_LAYERS[layer.class_name];
    if (module !== undefined) {
      customLayers.set(layer.class_name, { className: layer.class_name, module });
      return layer;
    }
    if (layer.class_name.startsWith('Losslab'))
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${path}: layer class "${layer.class_name}" (layer "${String(config.name)}") has no standard TF.js equivalent, so a saved model would not load without @losslab/models`,
      );
    return { ...layer, config: { ...config, ...layers } };
  };
  if (!isLayerJson(topology))
    throw new LosslabError('INVALID_ARGUMENT', 'modelTopology: expected { class_name, config }, got another value');
  const rewritten = rewrite(topology, 'modelTopology') as object;
  return { topology: rewritten, fusedLstmLayers, customLayers: [...customLayers.values()] };
}

/**
 * The inverse for losslab's own loading: each layer named in `fusedLstmLayers` (an `LSTM` written
 * by {@link standardTopology}) becomes a {@link FusedLstm} again, so a re-evaluation computes
 * exactly what the run computed (tfjs' LSTM sums in another order, equal within float32 rounding).
 */
export function fusedLstmTopology(topology: unknown, fusedLstmLayers: readonly string[]): unknown {
  const names = new Set(fusedLstmLayers);
  const rewrite = (layer: unknown): unknown => {
    if (!isLayerJson(layer)) return layer;
    const { config } = layer;
    if (layer.class_name === 'LSTM' && names.has(String(config.name))) {
      const fused: Record<string, unknown> = { name: config.name, trainable: config.trainable, units: config.units };
      for (const key of ['batch_input_shape', 'dtype', 'return_sequences'])
        if (config[key] !== undefined) fused[key] = config[key];
      return { ...layer, class_name: FusedLstm.className, config: fused };
    }
    return Array.isArray(config.layers)
      ? { ...layer, config: { ...config, layers: config.layers.map(rewrite) } }
      : layer;
  };
  return rewrite(topology);
}
