import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import { labelLayout, liveTensorCount } from '@losslab/runtime';
import { useBackend } from '@losslab/test-utils';
import {
  buildLoss,
  categoricalCrossentropy,
  masked,
  registry,
  resolveExperiment,
  setPath,
  sliced,
  weighted,
} from '../index.js';
import { datasetLoss } from '../kinds/evaluations.js';
import { tinyMnistOdd } from './fixtures.js';

const layout = labelLayout({ digit: 3, isOdd: 1 });
// 4 samples: digits 0, 1, 2, 1; the flag marks odd digits.
const labels = [
  [1, 0, 0, 0],
  [0, 1, 0, 1],
  [0, 0, 1, 0],
  [0, 1, 0, 1],
];
const predictions = [
  [0.7, 0.2, 0.1],
  [0.1, 0.6, 0.3],
  [0.2, 0.2, 0.6],
  [0.5, 0.25, 0.25],
];
const train = arrayDataset({
  features: new Float32Array(4),
  featureShape: [1],
  labels: Float32Array.from(labels.flat()),
  labelWidth: 4,
});

describe('buildLoss with nested combinators', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('masks a class-weighted loss on the same block: w[class] · CCE · isOdd per sample', () => {
    const spec = masked(
      weighted(categoricalCrossentropy(), {
        per: 'sample',
        target: 'digit',
        classWeights: { kind: 'explicit', values: [1, 2, 3] },
      }),
      {
        target: 'digit',
        mask: 'isOdd',
      },
    );
    const before = liveTensorCount();
    const values = tf.tidy(() =>
      Array.from(buildLoss(spec, layout, train, registry)(tf.tensor2d(labels), tf.tensor2d(predictions)).dataSync()),
    );
    expect(liveTensorCount()).toBe(before);
    // rows 0 and 2 are even (masked); rows 1 and 3 are digit 1 with weight 2
    const expected = [0, 2 * -Math.log(0.6), 0, 2 * -Math.log(0.25)];
    values.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('rejects nestings that cannot work, by path, before anything runs', () => {
    const problems = (loss: unknown) => {
      const result = resolveExperiment(setPath(tinyMnistOdd(), 'loss', loss), 'test.ts');
      return E.isLeft(result) ? result.left.problems : [];
    };
    const inverse = { kind: 'inverse' } as const;
    expect(
      problems(
        weighted(masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }), {
          per: 'sample',
          target: 'digit',
          classWeights: inverse,
        }),
      ),
    ).toEqual(['loss.loss: a weighted loss takes a base loss (put masked outside it), got a "masked" loss']);
    expect(problems(sliced(sliced(categoricalCrossentropy(), { target: 'digit' }), { target: 'digit' }))).toEqual([
      'loss.loss: a sliced loss takes a base loss (put masked outside it), got a "sliced" loss',
    ]);
    expect(
      problems(
        masked(weighted(categoricalCrossentropy(), { per: 'sample', target: 'digit', classWeights: inverse }), {
          target: 'isOdd',
          mask: 'isOdd',
        }),
      ),
    ).toContain('loss.target: "isOdd" differs from the target "digit" of the loss inside it');
  });
});

describe('datasetLoss uses the training reduction, so evaluation and training losses share a scale', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  // A stand-in model that returns the fixed predictions above for the 4 samples.
  const fixedModel = { predict: () => tf.tensor2d(predictions) } as unknown as Parameters<typeof datasetLoss>[0];
  // Class-weighted CCE on the digit block with weights [1, 2, 3]: per-sample w · (−log p_true).
  const spec = weighted(categoricalCrossentropy(), {
    per: 'sample',
    target: 'digit',
    classWeights: { kind: 'explicit', values: [1, 2, 3] },
  });
  const ce = [-Math.log(0.7), -Math.log(0.6), -Math.log(0.6), -Math.log(0.25)];
  const w = [1, 2, 3, 2];
  const weightedSum = ce.reduce((sum, l, i) => sum + l * w[i]!, 0);

  it.each([
    ['sumOverBatchSize', weightedSum / 4],
    ['sumOverWeights', weightedSum / 8],
    ['sumOverNonzeroWeights', weightedSum / 4],
    ['sum', (weightedSum / 4) * 32],
  ] as const)('%s', (reduction, expected) => {
    const loss = buildLoss(spec, layout, train, registry);
    const before = liveTensorCount();
    expect(datasetLoss(fixedModel, loss, train, reduction, 32)).toBeCloseTo(expected, 5);
    expect(liveTensorCount()).toBe(before);
  });

  it('gives the same values from scores predicted earlier, without calling the model', () => {
    const loss = buildLoss(spec, layout, train, registry);
    const noModel = {
      predict: () => {
        throw new Error('the model must not be called when scores are given');
      },
    } as unknown as Parameters<typeof datasetLoss>[0];
    const scores = Float32Array.from(predictions.flat());
    expect(datasetLoss(noModel, loss, train, 'sumOverWeights', 32, scores)).toBeCloseTo(weightedSum / 8, 5);
    expect(datasetLoss(noModel, loss, train, 'sum', 32, scores)).toBeCloseTo((weightedSum / 4) * 32, 5);
  });
});
