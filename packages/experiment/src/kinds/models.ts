import { createModel, createNormedMlp } from '@losslab/models';
import { LosslabError } from '@losslab/runtime';
import { LstmModel, MlpDefinitionModel, type ModelSpec } from '@losslab/schema';
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
};
/** @example lstm({ layers: [{ units: 16 }], output: { units: 2, activation: 'softmax' } }) */
export const lstm = (options: Settings<LstmModel>): ModelSpec => builderOf(lstmModel)(options);

/** Every built-in model entry. */
export const modelKinds: readonly ModelKind[] = [mlpModel, lstmModel];
