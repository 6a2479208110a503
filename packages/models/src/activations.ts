import { LosslabError } from '@losslab/runtime';

/**
 * Activation names a model spec may use: the tfjs-layers identifiers that have a Keras
 * counterpart. Kept as data so specs stay JSON and a codec can reuse the list.
 *
 * @example
 * ACTIVATIONS.includes('relu'); // true
 */
export const ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
] as const;

/** One of {@link ACTIVATIONS}, e.g. `'relu'` or `'softmax'`. */
export type Activation = (typeof ACTIVATIONS)[number];

/** True when `value` names a known activation. */
export const isActivation = (value: unknown): value is Activation =>
  typeof value === 'string' && (ACTIVATIONS as readonly string[]).includes(value);

/** Throws `INVALID_DEFINITION` naming `field` unless `value` is a known activation. */
export function requireActivation(field: string, value: unknown): Activation {
  if (!isActivation(value)) {
    throw new LosslabError(
      'INVALID_DEFINITION',
      `${field}: expected one of ${ACTIVATIONS.join(', ')}, got ${(JSON.stringify(value) as string | undefined) ?? String(value)}`,
    );
  }
  return value;
}
