import type * as tfl from '@tensorflow/tfjs-layers';
import { createLstmClassifier } from './lstm.js';
import { createMlp } from './mlp.js';
import { validateModelSpec, type ModelSpec } from './spec.js';

/**
 * Builds the model a {@link ModelSpec} describes, dispatching on `kind`; the same spec and seed
 * always give the same initial weights.
 *
 * @example
 * const model = createModel({ kind: 'mlp', inputShape: [4], hidden: [], output: { units: 3, activation: 'softmax' } }, 1);
 */
export function createModel(spec: ModelSpec, seed: number): tfl.LayersModel {
  validateModelSpec(spec);
  switch (spec.kind) {
    case 'mlp':
      return createMlp(spec, seed);
    case 'lstm':
      return createLstmClassifier(spec, seed);
  }
}
