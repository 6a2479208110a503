import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import { labelLayout } from '@losslab/runtime';
import { Evaluation, type RunSpec } from '@losslab/schema';
import { useBackend } from '@losslab/test-utils';
import {
  buildLoss,
  carveValidation,
  classification,
  evaluate,
  logitAdjusted,
  mlp,
  oneHot,
  registry,
  resolveExperiment,
  type ExperimentDefinition,
} from '../index.js';
import { adjustedPredictions } from '../posthoc-adjustment.js';
import { tinyMnistOdd } from './fixtures.js';

/** Two classes, a linear output, logit adjustment at evaluation. */
const definition = (adjust: unknown, more: Partial<ExperimentDefinition> = {}): ExperimentDefinition =>
  tinyMnistOdd({
    labels: { cls: oneHot(2) },
    transforms: [carveValidation({ fraction: 0.2 })],
    model: mlp({ hidden: [], output: { units: 2, activation: 'linear' } }),
    loss: logitAdjusted({ tau: 0 }),
    evaluation: { kind: 'classification', split: 'test', target: 'cls', adjust } as ExperimentDefinition['evaluation'],
    ...more,
  });

const specOf = (raw: ExperimentDefinition): RunSpec => {
  const resolved = resolveExperiment(raw, 'test.ts');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  return resolved.right.variants[0]!.spec;
};

const problemsOf = (raw: unknown): readonly string[] => {
  const result = resolveExperiment(raw, 'test.ts');
  return E.isLeft(result) ? result.left.problems : [];
};

/** Rows whose features are the logits [0, d] of (d, class) pairs; the model is the identity. */
const split = (rows: readonly (readonly [number, number])[]) =>
  arrayDataset({
    features: Float32Array.from(rows.flatMap(([d]) => [0, d])),
    featureShape: [2],
    labels: Float32Array.from(rows.flatMap(([, y]) => (y === 1 ? [0, 1] : [1, 0]))),
    labelWidth: 2,
  });

// Training priors π = [0.9, 0.1]: class 1 is predicted when d > τ·(log 0.1 − log 0.9) = −2.197·τ.
const TRAIN = split([...Array.from({ length: 9 }, () => [0, 0] as const), [0, 1] as const]);
// On validation, τ = 1 classifies all four; τ = 0 misses (−1, 1), τ = 3 misses (−4, 0).
const VALIDATION = split([
  [-1, 1],
  [-4, 0],
  [2, 1],
  [-8, 0],
]);
// A poisoned test split on which τ = 3 would be best (and τ = 1 misses (−4, 1)).
const POISONED_TEST = split([
  [-4, 1],
  [-1, 1],
  [-8, 0],
  [2, 1],
]);

function evaluateOn(spec: RunSpec, test: ReturnType<typeof split>) {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 2, inputShape: [2], useBias: false, activation: 'linear' })],
  });
  model.layers[0]!.setWeights([tf.eye(2)]);
  const layout = labelLayout({ cls: 2 });
  const loaded = {
    layout,
    splits: { train: TRAIN, validation: VALIDATION, test },
    fingerprint: {},
    classNames: { cls: ['head', 'tail'] },
    trainingCounts: {},
  };
  try {
    return evaluate(spec, registry, loaded, model, buildLoss(spec.loss, layout, TRAIN, registry));
  } finally {
    model.dispose();
  }
}

describe('post-hoc logit adjustment at evaluation (Menon et al. 2021, eq. 6)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('predicts argmax z_y − τ·log π_y: a hand-computed case that a wrong sign of τ fails', () => {
    // logits [1, 0.8], π = [0.9, 0.1], τ = 1: [1 − log 0.9, 0.8 − log 0.1] = [1.105, 3.103] → class 1
    // (with + τ·log π: [0.895, −1.503] → class 0)
    expect(Array.from(adjustedPredictions(Float32Array.of(1, 0.8), 2, [0.9, 0.1], 1, true))).toEqual([1]);
    expect(Array.from(adjustedPredictions(Float32Array.of(1, 0.8), 2, [0.9, 0.1], 0, true))).toEqual([0]);
    // probabilities are read as log-probabilities: the same argmax as the logits
    const p = [Math.exp(1), Math.exp(0.8)].map((e, _, all) => e / (all[0]! + all[1]!));
    expect(Array.from(adjustedPredictions(Float32Array.from(p), 2, [0.9, 0.1], 1, false))).toEqual([1]);

    // in an evaluation: (d = −1, tail) is missed unadjusted and found adjusted; (−8, head) stays head
    const evaluation = evaluateOn(
      specOf(definition({ tau: 1 })),
      split([
        [-1, 1],
        [-8, 0],
      ]),
    );
    expect(evaluation.metrics.accuracy).toBe(0.5);
    expect(evaluation.metrics['adjusted.accuracy']).toBe(1);
    expect(evaluation.metrics['adjusted.balancedAccuracy']).toBe(1);
    expect(evaluation.adjustment).toMatchObject({
      tau: 1,
      chosenOn: 'declared',
      confusion: [
        [1, 0],
        [0, 1],
      ],
    });
    expect(evaluation.adjustment!.priors[0]).toBeCloseTo(0.9, 6);
    // the record's codec takes it (an additive optional field)
    expect(E.isRight(Evaluation.decode(JSON.parse(JSON.stringify(evaluation))))).toBe(true);
  });

  it('chooses τ on the validation split: a poisoned test split does not change it', () => {
    const spec = specOf(definition({ tauGrid: [0, 1, 3] }));
    const clean = evaluateOn(spec, VALIDATION);
    const poisoned = evaluateOn(spec, POISONED_TEST);
    for (const evaluation of [clean, poisoned]) {
      expect(evaluation.adjustment?.tau).toBe(1);
      expect(evaluation.adjustment?.chosenOn).toBe('validation');
      expect(evaluation.adjustment?.grid).toEqual([
        { tau: 0, balancedAccuracy: 0.75 },
        { tau: 1, balancedAccuracy: 1 },
        { tau: 3, balancedAccuracy: 0.75 },
      ]);
    }
    // τ = 1 on the poisoned test: (−4, tail) missed → tail recall 2/3
    expect(poisoned.metrics['adjusted.balancedAccuracy']).toBeCloseTo((1 + 2 / 3) / 2, 6);
    // the unadjusted numbers stay beside the adjusted ones
    expect(poisoned.metrics.balancedAccuracy).toBeCloseTo((1 + 1 / 3) / 2, 6);
  });

  it('is checked before a run: a grid needs a validation split other than the evaluated one, one score per class', () => {
    expect(problemsOf(definition({ tauGrid: [0, 1] }))).toEqual([]);
    expect(problemsOf(definition({ tauGrid: [0, 1] }, { transforms: [] }))).toEqual([
      'evaluation.adjust.tauGrid: the data has no "validation" split (it has train, test)',
    ]);
    expect(problemsOf(definition({ tau: 1 }, { transforms: [] }))).toEqual([]);
    const onValidation = definition(
      { tauGrid: [1] },
      {
        evaluation: classification({ split: 'validation', target: 'cls', adjust: { tauGrid: [1] } }),
      },
    );
    expect(problemsOf(onValidation)).toEqual([
      'evaluation.adjust.tauGrid: τ is chosen on the validation split, so the evaluated split must be another one (test)',
    ]);
    expect(problemsOf(definition({ tau: -1 })).join('\n')).toMatch(/evaluation.adjust/);
    expect(problemsOf(definition({ tauGrid: [] })).join('\n')).toMatch(/evaluation.adjust/);
  });
});
