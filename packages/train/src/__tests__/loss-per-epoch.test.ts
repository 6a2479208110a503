import { describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import { classWeighted, meanAbsoluteError, type Loss } from '@losslab/losses';
import { createMlp } from '@losslab/models';
import { useBackend } from '@losslab/test-utils';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { createOptimizer, fit, type EpochEntry, type FitOptions } from '../index.js';
import type { TrainingState } from '@losslab/schema';

/** 16 samples of 2 features, 2 classes (class 1 rare): a label is one-hot. */
const data = arrayDataset({
  features: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.3)),
  featureShape: [2],
  labels: Float32Array.from({ length: 32 }, (_, i) => ((Math.floor(i / 2) % 5 === 0 ? 1 : 0) === i % 2 ? 1 : 0)),
  labelWidth: 2,
});

/** Deferred re-weighting by hand: unweighted before epoch 3, class weights [1, 4] from it on. */
const deferred =
  (asked: number[]) =>
  (epoch: number): Loss => {
    asked.push(epoch);
    return classWeighted(meanAbsoluteError(), epoch < 3 ? [1, 1] : [1, 4]);
  };

const setup = (more: Partial<FitOptions>, lossAt: (epoch: number) => Loss) => {
  const model = createMlp(
    { inputShape: [2], hidden: [{ units: 4, activation: 'relu' }], output: { units: 2, activation: 'softmax' } },
    3,
  );
  const options: FitOptions = {
    model,
    loss: meanAbsoluteError(),
    lossAt,
    optimizer: createOptimizer({ kind: 'adam', learningRate: 0.05 }),
    data,
    plan: { batchSize: 4, shuffle: true, remainder: 'drop', seed: 2 },
    epochs: 4,
    ...more,
  };
  return { model, options };
};

const timeless = (history: readonly EpochEntry[]) =>
  history.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
const weightsOf = (model: LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

describe('fit asks lossAt for the loss of every epoch it trains', () => {
  it('from epoch 1, and after a resume from the next epoch: the same result as uninterrupted', async () => {
    await useBackend('cpu');
    const asked: number[] = [];
    const saved: TrainingState[] = [];
    const whole = setup({ checkpoint: { save: (state) => Promise.resolve(void saved.push(state)) } }, deferred(asked));
    const uninterrupted = await fit(whole.options);
    expect(asked).toEqual([1, 2, 3, 4]);

    const resumedAsked: number[] = [];
    const again = setup({ resume: saved[1]! }, deferred(resumedAsked));
    const resumed = await fit(again.options);
    expect(resumedAsked).toEqual([3, 4]);
    expect(timeless(resumed.history)).toEqual(timeless(uninterrupted.history));
    expect(weightsOf(again.model)).toEqual(weightsOf(whole.model));

    // a resume that took the first epoch's loss (weights never switched on) ends elsewhere
    const stale = setup({ resume: saved[1]! }, () => classWeighted(meanAbsoluteError(), [1, 1]));
    const wrong = await fit(stale.options);
    expect(wrong.history[2]!.loss).not.toBe(uninterrupted.history[2]!.loss);
    [whole, again, stale].forEach(({ model }) => model.dispose());
  });
});
