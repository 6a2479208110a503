import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Number of scalar weights (trainable and not) of `model`.
 *
 * @example
 * countParameters(createMlp(mnistOddSpec, 0)); // 50890
 */
export function countParameters(model: tfl.LayersModel): number {
  return model.weights.reduce(
    (total, weight) => total + weight.shape.reduce<number>((size, dim) => size * (dim ?? 1), 1),
    0,
  );
}

/** A config value as text: primitives as they are, anything else as JSON. */
const text = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);

function describeLayer(layer: tfl.LayersModel['layers'][number]): string {
  const config = layer.getConfig();
  const kind = layer.getClassName();
  switch (kind) {
    case 'Dense':
      return `dense ${text(config.units)} ${text(config.activation)}`;
    case 'LSTM':
    case 'LosslabFusedLstm':
      return `lstm ${text(config.units)}${config.returnSequences === true ? ' (sequences)' : ''}`;
    case 'Flatten':
      return 'flatten';
    default:
      return 'rate' in config
        ? `${kind.replace(/^Losslab/, '').toLowerCase()} ${text(config.rate)}`
        : kind.toLowerCase();
  }
}

/**
 * One-line summary of a sequential model: input shape, layers, parameter count.
 *
 * @example
 * describeModel(createMlp(mnistOddSpec, 0));
 * // "[28, 28] → flatten → dense 64 relu → dense 10 softmax (50890 parameters)"
 */
export function describeModel(model: tfl.LayersModel): string {
  const input = model.inputs[0]?.shape.slice(1) ?? [];
  const layers = model.layers.map(describeLayer);
  return `[${input.join(', ')}] → ${layers.join(' → ')} (${countParameters(model)} parameters)`;
}
