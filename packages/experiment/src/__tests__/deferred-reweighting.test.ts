import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset } from '@losslab/data';
import * as losses from '@losslab/losses';
import { labelLayout, selectBackend, type BackendInfo } from '@losslab/runtime';
import type { RunRecord } from '@losslab/schema';
import { useBackend } from '@losslab/test-utils';
import {
  buildLoss,
  categoricalCrossentropy,
  longTail,
  meanAbsoluteError,
  registry,
  resolveExperiment,
  runOne,
  sliced,
  weighted,
  type ExperimentDefinition,
  type RunOutcome,
} from '../index.js';
import { tinyMnistOdd } from './fixtures.js';

const EFFECTIVE = { kind: 'effectiveNumber', beta: 0.9999 } as const;

describe('deferred re-weighting: weights of 1 before startEpoch, the strategy’s from it on', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  // Training rows: class 0 three times, class 1 once.
  const layout = labelLayout({ cls: 2 });
  const train = arrayDataset({
    features: new Float32Array(4),
    featureShape: [1],
    labels: Float32Array.from([1, 0, 1, 0, 1, 0, 0, 1]),
    labelWidth: 2,
  });
  const weightsAt = (spec: ExperimentDefinition['loss'], epoch?: number): number[] =>
    tf.tidy(() =>
      Array.from(
        buildLoss(spec, layout, train, registry, epoch).sampleWeights!(
          tf.tensor2d([
            [1, 0],
            [0, 1],
          ]),
        ).dataSync(),
      ),
    );

  it('per sample, for any strategy; after training (no epoch) the weights are on', () => {
    for (const classWeights of [{ kind: 'inverse' } as const, { kind: 'balanced' } as const, EFFECTIVE]) {
      const drw = weighted(categoricalCrossentropy(), { per: 'sample', target: 'cls', classWeights, startEpoch: 3 });
      const strategy = losses.classWeights([3, 1], classWeights);
      expect(weightsAt(drw, 1)).toEqual([1, 1]);
      expect(weightsAt(drw, 2)).toEqual([1, 1]);
      for (const epoch of [3, 4, undefined]) {
        const found = weightsAt(drw, epoch);
        found.forEach((value, i) => expect(value).toBeCloseTo(strategy[i]!, 5));
      }
      // the strategy's weights are not all 1, so the switch is visible
      expect(Math.abs(strategy[1]! - 1)).toBeGreaterThan(0.1);
    }
    // without startEpoch, the weights are on from epoch 1 (as before)
    const always = weighted(categoricalCrossentropy(), { per: 'sample', target: 'cls', classWeights: EFFECTIVE });
    expect(weightsAt(always, 1)[1]).toBeCloseTo(losses.classWeights([3, 1], EFFECTIVE)[1]!, 5);
  });

  it('per column too: the loss values are unweighted before, weighted after', () => {
    const drw = weighted(meanAbsoluteError(), {
      per: 'column',
      target: 'cls',
      classWeights: { kind: 'inverse' },
      startEpoch: 2,
    });
    const valuesAt = (epoch: number) =>
      tf.tidy(() =>
        Array.from(
          buildLoss(drw, layout, train, registry, epoch)(tf.tensor2d([[0, 1]]), tf.tensor2d([[0.5, 0.5]])).dataSync(),
        ),
      );
    // Σ_j w_j·|p_j − y_j| with |0.5 − 0| = |0.5 − 1| = 0.5: weights [1, 1] before; inverse [4/3, 4] after
    expect(valuesAt(1)[0]).toBeCloseTo(1, 6);
    expect(valuesAt(2)[0]).toBeCloseTo(0.5 * (4 / 3) + 0.5 * 4, 5);
  });

  it('startEpoch is a positive integer, at most train.epochs', () => {
    const base = tinyMnistOdd();
    const withStart = (startEpoch: unknown) => ({
      ...base,
      loss: {
        kind: 'weighted',
        per: 'sample',
        target: 'digit',
        classWeights: EFFECTIVE,
        loss: categoricalCrossentropy(),
        startEpoch,
      },
    });
    expect(E.isRight(resolveExperiment(withStart(1), 't.ts'))).toBe(true);
    const problems = resolveExperiment(withStart(0), 't.ts');
    expect(E.isLeft(problems) && problems.left.problems.join('\n')).toMatch(
      /loss.startEpoch: expected a positive integer/,
    );
    // the fixture trains 1 epoch: a switch at epoch 2 would never happen
    const late = resolveExperiment(withStart(2), 't.ts');
    expect(E.isLeft(late) && late.left.problems).toEqual([
      'loss.startEpoch: 2 is after the last epoch (train.epochs is 1), so the class weights would never switch on',
    ]);
  });
});

describe('a DRW run switches at its epoch and resumes bit-identically from a checkpoint before the switch', () => {
  const train = { epochs: 3, batchSize: 64, keepCheckpoints: true };
  const definition = tinyMnistOdd({
    transforms: [longTail({ ratio: 10 })],
    train,
    variants: {
      drw: {
        loss: weighted(categoricalCrossentropy(), {
          per: 'sample',
          target: 'digit',
          classWeights: EFFECTIVE,
          startEpoch: 3,
        }),
      },
      plain: { loss: sliced(categoricalCrossentropy(), { target: 'digit' }) },
    },
  });
  let backend: BackendInfo;
  let root = '';
  const whole: Record<string, RunOutcome> = {};
  const resolved = resolveExperiment(definition, 'fixture');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  const experiment = resolved.right;
  const run = async (variant: string, runsDir: string) => {
    const outcome = await runOne(
      { definition: experiment.definition, variant: experiment.variants.find((v) => v.name === variant)!, seed: 0 },
      { runsDir, backend },
    );
    if (E.isLeft(outcome)) throw new Error(outcome.left.message);
    return outcome.right;
  };
  const timeless = (record: RunRecord) => record.history.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);

  beforeAll(async () => {
    backend = await selectBackend({ requested: 'cpu' });
    root = mkdtempSync(join(tmpdir(), 'losslab-drw-'));
    whole.drw = await run('drw', join(root, 'whole'));
    whole.plain = await run('plain', join(root, 'whole'));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('epochs 1–2 train as the unweighted loss does, epoch 3 differs', () => {
    const [drw, plain] = [timeless(whole.drw!.record), timeless(whole.plain!.record)];
    expect(drw.slice(0, 2)).toEqual(plain.slice(0, 2));
    expect(drw[2]!.loss).not.toBe(plain[2]!.loss);
  });

  it('killed after epoch 2, it resumes to the same history, evaluation and weights', async () => {
    const { record, folder } = whole.drw!;
    const runsDir = join(root, 'killed');
    const killed = join(runsDir, definition.name, record.runId);
    mkdirSync(join(killed, 'checkpoints'), { recursive: true });
    cpSync(join(folder, 'started.json'), join(killed, 'started.json'));
    cpSync(join(folder, 'checkpoints', 'epoch-0002.json'), join(killed, 'checkpoints', 'epoch-0002.json'));
    const resumed = await run('drw', runsDir);
    expect(resumed.folder).toBe(killed);
    expect(resumed.record.resumes?.map((r) => r.afterEpoch)).toEqual([2]);
    expect(timeless(resumed.record)).toEqual(timeless(record));
    expect(resumed.record.evaluation).toEqual(record.evaluation);
    expect(readFileSync(join(killed, 'weights.bin')).equals(readFileSync(join(folder, 'weights.bin')))).toBe(true);
  }, 60_000);
});
