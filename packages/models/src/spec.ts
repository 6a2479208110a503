import { LosslabError } from '@losslab/runtime';
import { requireActivation, type Activation } from './activations';

/** A dense layer: `units` outputs followed by `activation`. */
export interface DenseSpec {
  readonly units: number;
  readonly activation: Activation;
}

/**
 * A multi-layer perceptron: (flatten if `inputShape` has rank > 1) → `hidden` dense layers →
 * `output` dense layer. Kernels are Glorot-uniform, biases zero (Keras defaults).
 *
 * @example
 * // mnist-odd: [28, 28] → flatten → dense 64 relu → dense 10 softmax (50 890 parameters)
 * const spec: MlpSpec = {
 *   inputShape: [28, 28],
 *   hidden: [{ units: 64, activation: 'relu' }],
 *   output: { units: 10, activation: 'softmax' },
 * };
 */
export interface MlpSpec {
  /** Shape of one sample, without the batch dimension. */
  readonly inputShape: readonly number[];
  readonly hidden: readonly DenseSpec[];
  readonly output: DenseSpec;
}

/**
 * Stacked LSTMs over `[timesteps, features]` sequences, then a dense output on the last
 * step's state. Every LSTM but the last returns sequences; `dropout` (if > 0) sits between
 * consecutive layers and before the output. Gate activation is `sigmoid`, kernels
 * Glorot-uniform, recurrent kernels orthogonal, forget-gate bias 1 (Keras 2 defaults).
 *
 * @example
 * // blink: windows of 16 frames × 1 feature → LSTM 32 → LSTM 16 → dense 2 softmax
 * const spec: LstmClassifierSpec = {
 *   inputShape: [16, 1],
 *   layers: [{ units: 32 }, { units: 16 }],
 *   dropout: 0.2,
 *   output: { units: 2, activation: 'softmax' },
 * };
 */
export interface LstmClassifierSpec {
  /** `[timesteps, features]` of one sample. */
  readonly inputShape: readonly [number, number];
  readonly layers: readonly { readonly units: number }[];
  /** Dropout rate in [0, 1) between layers; 0 or absent means none. */
  readonly dropout?: number;
  readonly output: DenseSpec;
}

/**
 * Any model losslab can build, tagged by `kind` (the registry key).
 *
 * @example
 * const spec: ModelSpec = { kind: 'mlp', inputShape: [4], hidden: [], output: { units: 3, activation: 'softmax' } };
 */
export type ModelSpec = ({ readonly kind: 'mlp' } & MlpSpec) | ({ readonly kind: 'lstm' } & LstmClassifierSpec);

/** Model kinds {@link createModel} knows. */
export const MODEL_KINDS = ['mlp', 'lstm'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

// JSON.stringify is typed as string but returns undefined for undefined and functions.
const show = (value: unknown): string =>
  value === undefined || typeof value === 'function' ? String(value) : JSON.stringify(value);

const invalid = (field: string, expected: string, value: unknown): LosslabError =>
  new LosslabError('INVALID_DEFINITION', `${field}: expected ${expected}, got ${show(value)}`);

function requirePositiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalid(field, 'a positive integer', value);
  }
  return value;
}

function requireArray(field: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw invalid(field, 'an array', value);
  return value;
}

function requireObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'an object', value);
  return value as Record<string, unknown>;
}

function checkDense(field: string, value: unknown): void {
  const dense = requireObject(field, value);
  requirePositiveInteger(`${field}.units`, dense.units);
  requireActivation(`${field}.activation`, dense.activation);
}

function checkShape(field: string, value: unknown, rank?: number): void {
  const shape = requireArray(field, value);
  if (shape.length === 0 || (rank !== undefined && shape.length !== rank)) {
    const expected =
      rank === 2 ? '[timesteps, features] (rank 2)' : rank === undefined ? 'a non-empty shape' : `rank ${rank}`;
    throw invalid(field, expected, value);
  }
  shape.forEach((dim, i) => requirePositiveInteger(`${field}[${i}]`, dim));
}

/**
 * Throws `INVALID_DEFINITION` naming the first bad field of an MLP spec
 * (`hidden[1].units: expected a positive integer, got 0`).
 */
export function validateMlpSpec(spec: MlpSpec): void {
  requireObject('spec', spec);
  checkShape('inputShape', spec.inputShape);
  requireArray('hidden', spec.hidden).forEach((layer, i) => checkDense(`hidden[${i}]`, layer));
  checkDense('output', spec.output);
}

/**
 * Throws `INVALID_DEFINITION` naming the first bad field of an LSTM classifier spec
 * (`inputShape: expected [timesteps, features] (rank 2), got [28]`).
 */
export function validateLstmClassifierSpec(spec: LstmClassifierSpec): void {
  requireObject('spec', spec);
  checkShape('inputShape', spec.inputShape, 2);
  const layers = requireArray('layers', spec.layers);
  if (layers.length === 0) throw invalid('layers', 'at least one LSTM layer', spec.layers);
  layers.forEach((layer, i) =>
    requirePositiveInteger(`layers[${i}].units`, requireObject(`layers[${i}]`, layer).units),
  );
  const { dropout } = spec;
  if (dropout !== undefined && (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))) {
    throw invalid('dropout', 'a number in [0, 1)', dropout);
  }
  checkDense('output', spec.output);
}

/**
 * Validates any {@link ModelSpec}; an unknown `kind` names the kinds that exist.
 *
 * @example
 * validateModelSpec({ kind: 'mlp', inputShape: [4], hidden: [{ units: 0, activation: 'relu' }], output: { units: 2, activation: 'softmax' } });
 * // throws "hidden[0].units: expected a positive integer, got 0"
 */
export function validateModelSpec(spec: ModelSpec): void {
  const kind = requireObject('spec', spec).kind;
  switch (kind) {
    case 'mlp':
      validateMlpSpec(spec as MlpSpec);
      return;
    case 'lstm':
      validateLstmClassifierSpec(spec as LstmClassifierSpec);
      return;
    default:
      throw invalid('kind', `one of ${MODEL_KINDS.join(', ')}`, kind);
  }
}

/**
 * Width of the model's output (`output.units`): the experiment compares it with the width of
 * the loss's target label block. Validates the spec first.
 *
 * @example
 * outputWidth({ kind: 'mlp', inputShape: [28, 28], hidden: [], output: { units: 10, activation: 'softmax' } }); // 10
 */
export function outputWidth(spec: ModelSpec): number {
  validateModelSpec(spec);
  return spec.output.units;
}
