import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import { categoricalCrossentropy, meanAbsoluteError } from '@losslab/losses';
import { createLstmClassifier, createSequential } from '@losslab/models';
import { canonicalJson, liveTensorCount, sha256Hex } from '@losslab/runtime';
import { Checkpoint, formatErrors, TrainingState } from '@losslab/schema';
import { rejectionOf, TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  captureCheckpoint,
  checkpointSha256,
  createOptimizer,
  fit,
  historyProblem,
  sealCheckpoint,
  type EpochEntry,
  type FitOptions,
  type OptimizerSpec,
} from '../index.js';

/** 24 sequences of 3 steps × 2 features with a one-hot label of 2 classes (class = sign of the sum). */
const data = arrayDataset({
  features: Float32Array.from({ length: 24 * 6 }, (_, i) => Math.sin(i * 1.7)),
  featureShape: [3, 2],
  labels: Float32Array.from({ length: 24 * 2 }, (_, i) => {
    const row = Math.floor(i / 2);
    let sum = 0;
    for (let j = 0; j < 6; j++) sum += Math.sin((row * 6 + j) * 1.7);
    return (sum > 0 ? 1 : 0) === i % 2 ? 1 : 0;
  }),
  labelWidth: 2,
});

/** Everything that makes a run: an LSTM with seeded dropout, host Adam, a cosine schedule, early stopping. */
function setup(): { model: LayersModel; optimizer: tf.Optimizer } {
  const model = createLstmClassifier(
    { inputShape: [3, 2], layers: [{ units: 4 }], dropout: 0.5, output: { units: 2, activation: 'softmax' } },
    11,
  );
  return { model, optimizer: createOptimizer({ kind: 'adam', learningRate: 0.05 }) };
}

const options = (model: LayersModel, optimizer: tf.Optimizer, more: Partial<FitOptions> = {}): FitOptions => ({
  model,
  loss: meanAbsoluteError(),
  optimizer,
  data,
  plan: { batchSize: 8, shuffle: true, remainder: 'drop', seed: 5 },
  epochs: 4,
  schedule: { kind: 'cosine', warmupEpochs: 1 },
  // a validation score that never improves after epoch 1 keeps epoch 1's weights for restoring
  validate: (epoch) => ({ score: epoch === 1 ? 0 : epoch }),
  earlyStopping: { metric: 'score', direction: 'min', patience: 10, restoreBest: true },
  ...more,
});

/** The history without wall times, which differ between any two runs. */
const timeless = (history: readonly EpochEntry[]) =>
  history.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);

const weightBytes = (model: LayersModel): number[][] => model.getWeights().map((w) => Array.from(w.dataSync()));

describe.each(TEST_BACKENDS)('checkpoints on %s', (backend) => {
  it('a fit resumed from the checkpoint of epoch 2 of 4 ends bit-identical to an uninterrupted one', async () => {
    await useBackend(backend);
    const whole = setup();
    const saved: TrainingState[] = [];
    const liveBefore = liveTensorCount();
    const uninterrupted = await fit(
      options(whole.model, whole.optimizer, {
        checkpoint: { save: (c) => Promise.resolve(void saved.push(c)) },
        // without restoreBest the final weights are epoch 4's, which depend on every restored part
        earlyStopping: { metric: 'score', direction: 'min', patience: 10 },
      }),
    );
    // one per epoch that training continued past; none after the last
    expect(saved.map((c) => c.epoch)).toEqual([1, 2, 3]);
    // capturing copies to the host and leaves no tensor behind
    expect(liveTensorCount()).toBe(liveBefore);
    // through JSON and the schema's codec, as a checkpoint file goes
    const decoded = TrainingState.decode(JSON.parse(JSON.stringify(saved[1])));
    if (decoded._tag === 'Left') throw new Error('the checkpoint does not match its codec');

    const resumedSetup = setup();
    const live = liveTensorCount();
    const resumed = await fit(
      options(resumedSetup.model, resumedSetup.optimizer, {
        resume: decoded.right,
        earlyStopping: { metric: 'score', direction: 'min', patience: 10 },
      }),
    );
    expect(timeless(resumed.history)).toEqual(timeless(uninterrupted.history));
    // the best epoch is decided over the whole history, the checkpoint's epochs included
    expect([uninterrupted.bestEpoch, resumed.bestEpoch]).toEqual([1, 1]);
    expect(resumed.stoppedAt).toBe(4);
    expect(weightBytes(resumedSetup.model)).toEqual(weightBytes(whole.model));
    // restoring replaced values in place: host Adam keeps its moments on the host, nothing leaked
    expect(liveTensorCount()).toBe(live);
    whole.model.dispose();
    resumedSetup.model.dispose();
  });

  it('needs every part of the state: without the dropout position or the Adam moments the weights differ', async () => {
    await useBackend(backend);
    const whole = setup();
    let atEpoch2: TrainingState | undefined;
    await fit(
      options(whole.model, whole.optimizer, {
        checkpoint: { every: 2, save: (c) => Promise.resolve(void (atEpoch2 = c)) },
        earlyStopping: { metric: 'score', direction: 'min', patience: 10 },
      }),
    );
    if (atEpoch2 === undefined) throw new Error('no checkpoint at epoch 2');
    expect(atEpoch2.epoch).toBe(2);
    expect(atEpoch2.randomStates).toHaveLength(1);
    const damaged: TrainingState[] = [
      { ...atEpoch2, randomStates: atEpoch2.randomStates.map((r) => ({ ...r, state: (r.state + 1) >>> 0 })) },
      // iterations only: Adam starts its moments from zero again
      { ...atEpoch2, optimizer: atEpoch2.optimizer.slice(0, 1) },
    ];
    for (const checkpoint of damaged) {
      const again = setup();
      await fit(
        options(again.model, again.optimizer, {
          resume: checkpoint,
          earlyStopping: { metric: 'score', direction: 'min', patience: 10 },
        }),
      ).catch(() => undefined);
      expect(weightBytes(again.model)).not.toEqual(weightBytes(whole.model));
      again.model.dispose();
    }
    whole.model.dispose();
  });

  it('keeps early stopping’s best weights across a resume', async () => {
    await useBackend(backend);
    const whole = setup();
    let atEpoch3: TrainingState | undefined;
    await fit(
      options(whole.model, whole.optimizer, {
        checkpoint: { every: 3, save: (c) => Promise.resolve(void (atEpoch3 = c)) },
      }),
    );
    if (atEpoch3 === undefined) throw new Error('no checkpoint at epoch 3');
    expect(atEpoch3.bestWeights).toBeDefined();
    const again = setup();
    await fit(options(again.model, again.optimizer, { resume: atEpoch3 }));
    expect(weightBytes(again.model)).toEqual(weightBytes(whole.model));
    whole.model.dispose();
    again.model.dispose();
  });

  it('refuses a checkpoint of another model, naming the tensor and both shapes', async () => {
    await useBackend(backend);
    const { model, optimizer } = setup();
    const checkpoint = await captureCheckpoint(model, optimizer, { epoch: 1, history: [] });
    const other = createLstmClassifier(
      { inputShape: [3, 2], layers: [{ units: 5 }], dropout: 0.5, output: { units: 2, activation: 'softmax' } },
      11,
    );
    await expect(fit(options(other, createOptimizer({ kind: 'adam' }), { resume: checkpoint }))).rejects.toThrow(
      /checkpoint weights: .*kernel has shape \[2, 16\]; the model's .*kernel has \[2, 20\]/,
    );
    await expect(fit(options(model, optimizer, { resume: { ...checkpoint, epoch: 4 } }))).rejects.toThrow(
      'resume: the checkpoint is of epoch 4; there is nothing left to train in 4 epochs',
    );
    model.dispose();
    other.dispose();
  });
});

describe('a checkpoint checked before it is trusted', () => {
  const run = { runId: 'r1', definitionHash: 'd'.repeat(64), seed: 0, backend: 'cpu', codeFingerprint: 'c'.repeat(64) };

  /** The state after epoch 2 of an uninterrupted fit, its two neighbours' weights for comparison. */
  async function stateAtEpoch2(): Promise<TrainingState> {
    await useBackend('cpu');
    const { model, optimizer } = setup();
    let atEpoch2: TrainingState | undefined;
    await fit(
      options(model, optimizer, { checkpoint: { every: 2, save: (c) => Promise.resolve(void (atEpoch2 = c)) } }),
    );
    model.dispose();
    if (atEpoch2 === undefined) throw new Error('no checkpoint at epoch 2');
    return atEpoch2;
  }

  it('is sealed with the sha256 of its canonical JSON: any changed byte or field changes it, key order does not', async () => {
    const state = await stateAtEpoch2();
    const sealed = sealCheckpoint(state, run);
    expect(sealed.schema).toBe('losslab.checkpoint/2');
    expect(sealed.run).toEqual(run);
    // hand-computed: the sha256 of everything but `sha256`, keys sorted
    const { sha256, ...content } = sealed;
    expect(sha256).toBe(sha256Hex(canonicalJson(content)));
    const reordered = JSON.parse(
      JSON.stringify({ sha256, ...Object.fromEntries(Object.entries(content).reverse()) }),
    ) as object;
    expect(checkpointSha256(reordered)).toBe(sha256);
    // Node's crypto, which the run store passes, gives the same hash
    expect(checkpointSha256(reordered, (text) => createHash('sha256').update(text).digest('hex'))).toBe(sha256);
    expect(Checkpoint.is(JSON.parse(JSON.stringify(sealed)))).toBe(true);

    // one weight changed, same length: the first base64 character of the first kernel
    const first = sealed.weights[0]!;
    const flipped = `${first.base64.startsWith('A') ? 'B' : 'A'}${first.base64.slice(1)}`;
    const tampered = [
      { ...sealed, weights: [{ ...first, base64: flipped }, ...sealed.weights.slice(1)] },
      { ...sealed, history: sealed.history.map((h, i) => (i === 0 ? { ...h, loss: h.loss / 2 } : h)) },
      { ...sealed, run: { ...run, seed: 1 } },
      { ...sealed, extra: true },
    ];
    for (const changed of tampered) expect(checkpointSha256(changed)).not.toBe(sha256);
  });

  it('resumes only with a history of epochs 1 to its epoch (training would otherwise continue at the wrong epoch)', async () => {
    const state = await stateAtEpoch2();
    const { model, optimizer } = setup();
    const shortened = { ...state, history: state.history.slice(0, 1) };
    await expect(fit(options(model, optimizer, { resume: shortened }))).rejects.toThrow(
      'checkpoint: history holds 1 epochs; the checkpoint is of epoch 2',
    );
    const swapped = { ...state, history: [state.history[1]!, state.history[0]!] };
    await expect(fit(options(model, optimizer, { resume: swapped }))).rejects.toThrow(
      'checkpoint: history[0] is of epoch 2; expected epoch 1',
    );
    expect(historyProblem(state)).toBeUndefined();
    model.dispose();
  });

  it('names the tensor whose base64 is invalid, instead of atob’s "Invalid character"', async () => {
    const state = await stateAtEpoch2();
    const { model, optimizer } = setup();
    const first = state.weights[0]!;
    const broken = {
      ...state,
      weights: [{ ...first, base64: `!${first.base64.slice(1)}` }, ...state.weights.slice(1)],
    };
    const error = await rejectionOf(fit(options(model, optimizer, { resume: broken })));
    expect(error.message).toBe(
      `checkpoint weights: ${first.name}: base64 is not valid base64 text (A-Z, a-z, 0-9, +, /, =)`,
    );
    // the schema's codec refuses it first, by path, when a checkpoint file is decoded
    const decoded = TrainingState.decode(JSON.parse(JSON.stringify(broken)));
    if (decoded._tag === 'Right') throw new Error('invalid base64 decoded');
    expect(formatErrors(decoded.left)).toEqual([
      `weights.0.base64: expected base64 text (A-Z, a-z, 0-9, +, / and = padding): character 1 of ${first.base64.length} is "!", got "!${first.base64.slice(1, 24)}…"`,
    ]);
    model.dispose();
  });
});

/** Momentum SGD, RMSprop and AdamW, with the options that add state or change the gradients. */
const RESUMED_OPTIMIZERS: readonly (readonly [string, OptimizerSpec])[] = [
  [
    'nesterov sgd with L2 and clipping',
    { kind: 'sgd', learningRate: 0.5, momentum: 0.9, nesterov: true, weightDecay: 0.01, clipNorm: 0.5 },
  ],
  [
    'centered rmsprop with momentum',
    { kind: 'rmsprop', learningRate: 0.01, momentum: 0.5, centered: true, weightDecay: 0.01 },
  ],
  ['adamw with clipping', { kind: 'adamw', learningRate: 0.05, weightDecay: 0.1, clipNorm: 1 }],
];

describe.each(TEST_BACKENDS)('checkpoints of every optimiser on %s', (backend) => {
  it.each(RESUMED_OPTIMIZERS)(
    '%s: resumed at epoch 2 of 4 under a cosine schedule ends bit-identical; without its slots it differs',
    async (_name, spec) => {
      await useBackend(backend);
      const build = () => ({ ...setup(), optimizer: createOptimizer(spec) });
      const noRestore = { earlyStopping: { metric: 'score', direction: 'min', patience: 10 } } as const;
      const whole = build();
      let atEpoch2: TrainingState | undefined;
      const uninterrupted = await fit(
        options(whole.model, whole.optimizer, {
          checkpoint: { every: 2, save: (c) => Promise.resolve(void (atEpoch2 = c)) },
          ...noRestore,
        }),
      );
      if (atEpoch2 === undefined) throw new Error('no checkpoint at epoch 2');
      const decoded = TrainingState.decode(JSON.parse(JSON.stringify(atEpoch2)));
      if (decoded._tag === 'Left') throw new Error('the checkpoint does not match its codec');
      // the step count and at least one slot per variable
      expect(decoded.right.optimizer.length).toBeGreaterThan(whole.model.trainableWeights.length);

      const resumedSetup = build();
      const live = liveTensorCount();
      const resumed = await fit(
        options(resumedSetup.model, resumedSetup.optimizer, { resume: decoded.right, ...noRestore }),
      );
      expect(timeless(resumed.history)).toEqual(timeless(uninterrupted.history));
      expect(weightBytes(resumedSetup.model)).toEqual(weightBytes(whole.model));
      expect(liveTensorCount()).toBe(live);

      // the step count only: the slots start from zero again
      const withoutSlots = build();
      await fit(
        options(withoutSlots.model, withoutSlots.optimizer, {
          resume: { ...decoded.right, optimizer: decoded.right.optimizer.slice(0, 1) },
          ...noRestore,
        }),
      );
      expect(weightBytes(withoutSlots.model)).not.toEqual(weightBytes(whole.model));
      for (const run of [whole, resumedSetup, withoutSlots]) run.model.dispose();
    },
  );
});

/** 16 images 4 × 4 × 1 with a one-hot label of 2 classes (class = whether the top half is brighter). */
const images = (() => {
  const features = Float32Array.from({ length: 16 * 16 }, (_, i) => Math.abs(Math.sin(i * 0.61)));
  const labels = new Float32Array(16 * 2);
  for (let row = 0; row < 16; row++) {
    const pixels = features.subarray(row * 16, row * 16 + 16);
    const top = pixels.subarray(0, 8).reduce((a, b) => a + b, 0);
    const bottom = pixels.subarray(8).reduce((a, b) => a + b, 0);
    labels[row * 2 + (top > bottom ? 1 : 0)] = 1;
  }
  return arrayDataset({ features, featureShape: [4, 4, 1], labels, labelWidth: 2 });
})();

/** A CNN with batch normalisation (moving statistics) and seeded dropout (a mask sequence). */
const cnn = (): LayersModel =>
  createSequential(
    {
      inputShape: [4, 4, 1],
      layers: [
        { kind: 'conv2d', filters: 3, kernelSize: 2, activation: 'relu' },
        { kind: 'batchNormalization', momentum: 0.5 },
        { kind: 'maxPooling2d', poolSize: 2, strides: 1 },
        { kind: 'flatten' },
        { kind: 'dropout', rate: 0.5 },
        { kind: 'dense', units: 2, activation: 'softmax' },
      ],
    },
    3,
  );

const movingStatistics = (model: LayersModel): number[][] =>
  model.weights.filter((w) => /moving_(mean|variance)/.test(w.name)).map((w) => Array.from(w.read().dataSync()));

// cpu only until the wasm backend has the convolution gradient kernels (issue 24 item 2)
describe('checkpoints of a CNN with batch normalisation and dropout (cpu)', () => {
  it.each([
    ['momentum sgd', { kind: 'sgd', learningRate: 0.1, momentum: 0.9 }],
    ['adamw', { kind: 'adamw', learningRate: 0.01, weightDecay: 0.05 }],
  ] as const)(
    '%s: resumed at epoch 2 of 4 ends bit-identical, moving statistics included; restored without them it differs',
    async (_name, spec) => {
      await useBackend('cpu');
      const cnnOptions = (model: LayersModel, optimizer: tf.Optimizer, more: Partial<FitOptions> = {}): FitOptions => ({
        ...options(model, optimizer, more),
        loss: categoricalCrossentropy(),
        data: images,
        validate: undefined,
        earlyStopping: undefined,
        ...more,
      });
      const whole = { model: cnn(), optimizer: createOptimizer(spec) };
      let atEpoch2: TrainingState | undefined;
      const uninterrupted = await fit(
        cnnOptions(whole.model, whole.optimizer, {
          checkpoint: { every: 2, save: (c) => Promise.resolve(void (atEpoch2 = c)) },
        }),
      );
      if (atEpoch2 === undefined) throw new Error('no checkpoint at epoch 2');
      const decoded = TrainingState.decode(JSON.parse(JSON.stringify(atEpoch2)));
      if (decoded._tag === 'Left') throw new Error('the checkpoint does not match its codec');
      const state = decoded.right;
      // the checkpoint holds the moving statistics, moved away from their start (mean 0, variance 1)
      const moving = state.weights.filter((w) => /moving_(mean|variance)/.test(w.name));
      expect(moving.map((w) => w.name.replace(/.*\//, ''))).toEqual(['moving_mean', 'moving_variance']);
      const start = cnn();
      const initial = movingStatistics(start);
      start.dispose();
      expect(initial).toEqual([new Array(3).fill(0), new Array(3).fill(1)]);
      expect(state.randomStates).toHaveLength(1);

      const resumed = { model: cnn(), optimizer: createOptimizer(spec) };
      const live = liveTensorCount();
      const again = await fit(cnnOptions(resumed.model, resumed.optimizer, { resume: state }));
      expect(timeless(again.history)).toEqual(timeless(uninterrupted.history));
      expect(weightBytes(resumed.model)).toEqual(weightBytes(whole.model));
      expect(movingStatistics(resumed.model)).toEqual(movingStatistics(whole.model));
      expect(liveTensorCount()).toBe(live);

      // The same checkpoint with the moving statistics at their start: the run ends elsewhere.
      const startBytes = (values: number[]) => Buffer.from(new Float32Array(values).buffer).toString('base64');
      const withoutStatistics: TrainingState = {
        ...state,
        weights: state.weights.map((w) =>
          w.name.includes('moving_mean')
            ? { ...w, base64: startBytes(initial[0]!) }
            : w.name.includes('moving_variance')
              ? { ...w, base64: startBytes(initial[1]!) }
              : w,
        ),
      };
      const forgetful = { model: cnn(), optimizer: createOptimizer(spec) };
      await fit(cnnOptions(forgetful.model, forgetful.optimizer, { resume: withoutStatistics }));
      expect(movingStatistics(forgetful.model)).not.toEqual(movingStatistics(whole.model));
      for (const run of [whole, resumed, forgetful]) run.model.dispose();
    },
  );
});
