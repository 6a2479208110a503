import { LosslabError } from '@losslab/runtime';
import { formatErrors, LstmModel, MlpModel, PositiveInt, tagged, type DenseLayer } from '@losslab/schema';

/**
 * Model specs are the settings of the `mlp` and `lstm` kinds of a definition (their codecs and
 * types live in `@losslab/schema`) plus the input shape, which comes from the data at run time.
 */

/** A dense layer: `units` outputs followed by `activation` (the schema's `DenseLayer`). */
export type DenseSpec = DenseLayer;

/** The input shape of one sample: it comes from the data, so no definition codec checks it. */
interface InputShaped<S extends readonly number[]> {
  /** Shape of one sample, without the batch dimension. */
  readonly inputShape: S;
}

/**
 * A multi-layer perceptron: (flatten if `inputShape` has rank > 1) → `hidden` dense layers →
 * `output` dense layer. Kernels are Glorot-uniform, biases zero (Keras defaults). The schema's
 * `MlpModel` settings plus `inputShape`.
 *
 * @example
 * // mnist-odd: [28, 28] → flatten → dense 64 relu → dense 10 softmax (50 890 parameters)
 * const spec: MlpSpec = {
 *   inputShape: [28, 28],
 *   hidden: [{ units: 64, activation: 'relu' }],
 *   output: { units: 10, activation: 'softmax' },
 * };
 */
export type MlpSpec = Omit<MlpModel, 'kind'> & InputShaped<readonly number[]>;

/**
 * Stacked LSTMs over `[timesteps, features]` sequences, then a dense output on the last
 * step's state. Every LSTM but the last returns sequences; `dropout` (in [0, 1); 0 or absent
 * means none) sits between consecutive layers and before the output. Gate activation is
 * `sigmoid`, kernels Glorot-uniform, recurrent kernels orthogonal, forget-gate bias 1 (Keras 2
 * defaults). The schema's `LstmModel` settings plus `inputShape`.
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
export type LstmClassifierSpec = Omit<LstmModel, 'kind'> & InputShaped<readonly [timesteps: number, features: number]>;

/**
 * Any model losslab can build, tagged by `kind` (the registry key).
 *
 * @example
 * const spec: ModelSpec = { kind: 'mlp', inputShape: [4], hidden: [], output: { units: 3, activation: 'softmax' } };
 */
export type ModelSpec = ({ readonly kind: 'mlp' } & MlpSpec) | ({ readonly kind: 'lstm' } & LstmClassifierSpec);

/** The settings codec of each model kind {@link createModel} knows. */
const MODEL_SETTINGS = { mlp: MlpModel, lstm: LstmModel };

/** Model kinds {@link createModel} knows. */
export const MODEL_KINDS = ['mlp', 'lstm'] as const satisfies readonly (keyof typeof MODEL_SETTINGS)[];
export type ModelKind = (typeof MODEL_KINDS)[number];

const ModelSettings = tagged('a model spec', 'kind', MODEL_SETTINGS);

// JSON.stringify is typed as string but returns undefined for undefined and functions.
const show = (value: unknown): string =>
  value === undefined || typeof value === 'function' ? String(value) : JSON.stringify(value);

const invalid = (field: string, expected: string, value: unknown): LosslabError =>
  new LosslabError('INVALID_DEFINITION', `${field}: expected ${expected}, got ${show(value)}`);

/** The input shape: `rank` dimensions (any rank ≥ 1 when absent), each a positive integer. */
function checkShape(shape: unknown, rank: number | undefined): void {
  if (!Array.isArray(shape) || shape.length === 0 || (rank !== undefined && shape.length !== rank)) {
    throw invalid('inputShape', rank === 2 ? '[timesteps, features] (rank 2)' : 'a non-empty shape', shape);
  }
  shape.forEach((dim, i) => {
    if (!PositiveInt.is(dim)) throw invalid(`inputShape.${i}`, PositiveInt.name, dim);
  });
}

/**
 * The settings with the kind's codec (errors by path, all at once), then the input shape.
 * `kind` is the kind a builder expects (a spec given to `createMlp` need not carry its kind).
 */
function validate(spec: unknown, kind?: ModelKind): void {
  const isObject = typeof spec === 'object' && spec !== null && !Array.isArray(spec);
  const { inputShape, ...settings } = isObject ? (spec as Record<string, unknown>) : {};
  const result = ModelSettings.decode(isObject ? { ...settings, ...(kind ? { kind } : {}) } : spec);
  if (result._tag === 'Left') throw new LosslabError('INVALID_DEFINITION', formatErrors(result.left).join('; '));
  checkShape(inputShape, result.right.kind === 'lstm' ? 2 : undefined);
}

/**
 * Throws `INVALID_DEFINITION` naming each bad field of an MLP spec
 * (`hidden.1.units: expected a positive integer, got 0`).
 */
export function validateMlpSpec(spec: MlpSpec): void {
  validate(spec, 'mlp');
}

/**
 * Throws `INVALID_DEFINITION` naming each bad field of an LSTM classifier spec
 * (`inputShape: expected [timesteps, features] (rank 2), got [28]`).
 */
export function validateLstmClassifierSpec(spec: LstmClassifierSpec): void {
  validate(spec, 'lstm');
}

/**
 * Validates any {@link ModelSpec}; an unknown `kind` names the kinds that exist.
 *
 * @example
 * validateModelSpec({ kind: 'mlp', inputShape: [4], hidden: [{ units: 0, activation: 'relu' }], output: { units: 2, activation: 'softmax' } });
 * // throws "hidden.0.units: expected a positive integer, got 0"
 */
export function validateModelSpec(spec: ModelSpec): void {
  validate(spec);
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
