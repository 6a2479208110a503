import { Activation as ActivationCodec, type DenseLayer } from '@losslab/schema';

/** One of {@link ACTIVATIONS}, e.g. `'relu'` or `'softmax'`. */
export type Activation = DenseLayer['activation'];

/**
 * Activation names a model spec may use: those of the `Activation` codec of `@losslab/schema`
 * (the one list; a definition and `createModel` accept the same names).
 *
 * @example
 * ACTIVATIONS.includes('relu'); // true
 */
export const ACTIVATIONS: readonly Activation[] = Object.keys(ActivationCodec.keys) as Activation[];

/** True when `value` names a known activation. */
export const isActivation = (value: unknown): value is Activation => ActivationCodec.is(value);
