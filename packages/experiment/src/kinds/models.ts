import { createModel } from '@losslab/models';
import { LosslabError } from '@losslab/runtime';
import { AdamOptimizer, LstmModel, MlpModel, SgdOptimizer } from '@losslab/schema';
import { createOptimizer } from '@losslab/train';
import type { ModelKind, OptimizerKind } from './table.js';

/** Built-in models and optimisers: the codec checks the settings, the packages build. */

export const mlpModel: ModelKind<MlpModel> = {
  kind: 'mlp',
  codec: MlpModel,
  outputUnits: (spec) => spec.output.units,
  build: (spec, { inputShape, seed }) =>
    createModel({ kind: 'mlp', inputShape: [...inputShape], hidden: spec.hidden, output: spec.output }, seed),
};

export const lstmModel: ModelKind<LstmModel> = {
  kind: 'lstm',
  codec: LstmModel,
  outputUnits: (spec) => spec.output.units,
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

export const adamOptimizer: OptimizerKind<AdamOptimizer> = {
  kind: 'adam',
  codec: AdamOptimizer,
  build: (spec) => createOptimizer(spec),
};

export const sgdOptimizer: OptimizerKind<SgdOptimizer> = {
  kind: 'sgd',
  codec: SgdOptimizer,
  build: (spec) => createOptimizer(spec),
};
