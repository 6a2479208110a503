import { createModel, createNormedMlp, createSequential, sequentialSummary } from '@losslab/models';
import { LosslabError } from '@losslab/runtime';
import {
  LstmModel,
  MlpDefinitionModel,
  SequentialModel,
  type ModelSpec,
  type ModelSummary,
  type SequentialLayer,
} from '@losslab/schema';
import { builderOf, type Settings } from './define.js';
import type { ModelKind } from './table.js';

/** The model family: the codec checks the settings, `@losslab/models` builds; each entry beside its builder. */

const mlpModel: ModelKind<MlpDefinitionModel> = {
  kind: 'mlp',
  codec: MlpDefinitionModel,
  outputUnits: (spec) => spec.output.units,
  outputActivation: (spec) => spec.output.activation,
  build(spec, { inputShape, seed }) {
    const { normed, ...output } = spec.output;
    const settings = { inputShape: [...inputShape], hidden: spec.hidden, output };
    return normed === true ? createNormedMlp(settings, seed) : createModel({ kind: 'mlp', ...settings }, seed);
  },
  summary: (spec, inputShape) => {
    const summary = sequentialSummary(mlpLayers(spec, inputShape), inputShape);
    return spec.output.normed === true ? normedOutput(summary, spec.output.units) : summary;
  },
};
/**
 * A multi-layer perceptron. `output: { units, activation: 'linear', normed: true }` makes the output
 * layer cosine-normalised (`normedDense`, for `ldam`).
 *
 * @example mlp({ hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'softmax' } })
 */
export const mlp = (options: Settings<MlpDefinitionModel>): ModelSpec => builderOf(mlpModel)(options);

const lstmModel: ModelKind<LstmModel> = {
  kind: 'lstm',
  codec: LstmModel,
  outputUnits: (spec) => spec.output.units,
  outputActivation: (spec) => spec.output.activation,
  build(spec, { inputShape, seed }) {
    const [timesteps, features] = inputShape;
    if (inputShape.length !== 2 || timesteps === undefined || features === undefined) {
      throw new LosslabError(
        'INVALID_DEFINITION',
        `model.kind: "lstm" needs sequence data shaped [timesteps, features], got [${inputShape.join(', ')}]`,
      );
    }
    return createModel(
      {
        kind: 'lstm',
        inputShape: [timesteps, features],
        layers: spec.layers,
        output: spec.output,
        ...(spec.dropout === undefined ? {} : { dropout: spec.dropout }),
      },
      seed,
    );
  },
  summary: (spec, inputShape) => sequentialSummary(lstmLayers(spec), inputShape),
};
/** @example lstm({ layers: [{ units: 16 }], output: { units: 2, activation: 'softmax' } }) */
export const lstm = (options: Settings<LstmModel>): ModelSpec => builderOf(lstmModel)(options);

/** The layers an `mlp` is, as `sequential` layers: flatten (inputs of rank > 1), hidden, output. */
const mlpLayers = (spec: MlpDefinitionModel, inputShape: readonly number[]): SequentialLayer[] => [
  ...(inputShape.length > 1 ? [{ kind: 'flatten' as const }] : []),
  ...spec.hidden.map((layer) => ({ kind: 'dense' as const, ...layer })),
  { kind: 'dense', units: spec.output.units, activation: spec.output.activation },
];

/** A summary whose last (dense) layer is a `normedDense`: the same output shape, no bias. */
function normedOutput(summary: ModelSummary, units: number): ModelSummary {
  const layers = summary.layers.map((layer, index) =>
    index === summary.layers.length - 1
      ? { ...layer, kind: 'normedDense', parameters: layer.parameters - units }
      : layer,
  );
  return { ...summary, layers, parameters: summary.parameters - units };
}

/** The layers an `lstm` is, as `sequential` layers: each LSTM (all but the last return sequences) with its dropout, then the output. */
const lstmLayers = (spec: LstmModel): SequentialLayer[] => [
  ...spec.layers.flatMap((layer, index): SequentialLayer[] => [
    { kind: 'lstm', units: layer.units, returnSequences: index < spec.layers.length - 1 },
    ...(spec.dropout ? [{ kind: 'dropout' as const, rate: spec.dropout }] : []),
  ]),
  { kind: 'dense', ...spec.output },
];

/** The last layer that sets the output width (dense, lstm, gru: units; conv2d: filters), with its index. */
function widthLayer(spec: SequentialModel): { index: number; units: number } | undefined {
  for (let index = spec.layers.length - 1; index >= 0; index--) {
    const layer = spec.layers[index]!;
    if (layer.kind === 'dense' || layer.kind === 'lstm' || layer.kind === 'gru') return { index, units: layer.units };
    if (layer.kind === 'conv2d') return { index, units: layer.filters };
  }
  return undefined;
}

/** The activation of the model's output: the last activation layer or width-setting layer's. */
function lastActivation(spec: SequentialModel): string | undefined {
  for (const layer of [...spec.layers].reverse()) {
    if (layer.kind === 'activation') return layer.activation;
    if (layer.kind === 'dense' || layer.kind === 'conv2d') return layer.activation ?? 'linear';
    // recurrent outputs are tanh states; batch normalisation and pooling change what came before
    if (layer.kind === 'lstm' || layer.kind === 'gru' || layer.kind === 'batchNormalization') return undefined;
  }
  return undefined;
}

const sequentialModel: ModelKind<SequentialModel> = {
  kind: 'sequential',
  codec: SequentialModel,
  // No width-setting layer: the width follows the input's, checked with the shapes before a run.
  outputUnits: (spec) => widthLayer(spec)?.units ?? Number.NaN,
  outputField: (spec) => `layers.${widthLayer(spec)?.index ?? spec.layers.length - 1}`,
  outputActivation: lastActivation,
  build: (spec, { inputShape, seed }) => createSequential({ inputShape, layers: spec.layers }, seed),
  summary: (spec, inputShape) => sequentialSummary(spec.layers, inputShape),
};
/**
 * Layers as data, Keras' names and defaults.
 *
 * @example sequential({ layers: [{ kind: 'flatten' }, { kind: 'dense', units: 10, activation: 'softmax' }] })
 */
export const sequential = (options: Settings<SequentialModel>): ModelSpec => builderOf(sequentialModel)(options);

/** Every built-in model entry. */
export const modelKinds: readonly ModelKind[] = [mlpModel, lstmModel, sequentialModel];
