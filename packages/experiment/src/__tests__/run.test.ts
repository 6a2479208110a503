import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunRecord } from '@losslab/schema';
import { liveTensorCount, selectBackend, type BackendInfo, type BackendName } from '@losslab/runtime';
import { temporaryFolders } from '@losslab/test-utils';
import { fileURLToPath } from 'node:url';
import {
  loadData,
  loadModel,
  predictAll,
  registry,
  resolveExperiment,
  runOne,
  setPath,
  type ResolvedExperiment,
} from '../index.js';
import { TFJS_ONLY_MODEL_LOADER, tinyBlink, tinyMnistOdd } from './fixtures.js';

const runsFolders = temporaryFolders('losslab-runs-');

function resolved(raw: unknown = tinyMnistOdd()): ResolvedExperiment {
  const result = resolveExperiment(raw, 'fixture');
  if (E.isLeft(result)) throw new Error(result.left.problems.join('\n'));
  return result.right;
}

/** Runs the first variant of the definition `raw` into `runsDir`, throwing when it does not resolve or run. */
async function runFirstVariant(raw: unknown, runsDir: string, backend: BackendInfo, seed = 0, reuse = false) {
  const { definition, variants } = resolved(raw);
  const outcome = await runOne({ definition, variant: variants[0]!, seed }, { runsDir, backend, reuse });
  if (E.isLeft(outcome)) throw new Error(`${outcome.left.tag}: ${outcome.left.message}`);
  return outcome.right;
}

const runTiny = (runsDir: string, backend: BackendInfo, seed = 0, reuse = false) =>
  runFirstVariant(tinyMnistOdd(), runsDir, backend, seed, reuse);

describe.each(['cpu', 'wasm'] as BackendName[])('runOne on %s', (name) => {
  let backend: BackendInfo;
  beforeAll(async () => {
    backend = await selectBackend({ requested: name });
  });

  it('writes a complete, valid run record with every field, and leaks no tensors', async () => {
    const runsDir = runsFolders.make();
    const before = liveTensorCount();
    const { record, folder, reused } = await runTiny(runsDir, backend);
    expect(liveTensorCount()).toBe(before);
    expect(reused).toBe(false);
    expect(readdirSync(folder).sort()).toEqual([
      'definition.json',
      'environment.json',
      'evaluation.json',
      'history.csv',
      'history.json',
      'model.json',
      'predictions.bin',
      'progress.json',
      'record.json',
      'started.json',
      'weights.bin',
    ]);
    // the trained model's files, named with their sha256 in the record
    expect(record.model?.files.map((file) => file.path)).toEqual(['model.json', 'weights.bin']);
    for (const file of record.model?.files ?? [])
      expect(
        createHash('sha256')
          .update(readFileSync(join(folder, file.path)))
          .digest('hex'),
      ).toBe(file.sha256);
    const onDisk = JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as unknown;
    expect(E.isRight(RunRecord.decode(onDisk))).toBe(true);
    expect(record.definitionHash).toMatch(/^[0-9a-f]{64}$/);
    expect(record.environment.backend).toBe(name);
    expect(record.environment.backendVersion).toBe('4.22.0');
    expect(record.environment.node).toBe(process.version);
    expect(record.environment.packages['@tensorflow/tfjs-core']).toBe('4.22.0');
    expect(record.environment.git).toHaveProperty('commit');
    expect(record.environment.git).toHaveProperty('dirty');
    expect(Object.keys(record.dataFingerprint).sort()).toEqual([
      'limit',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'test.rows',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      'train.rows',
    ]);
    expect(record.history).toHaveLength(1);
    expect(record.history[0]!.samplesPerSecond).toBeGreaterThan(0);
    expect(Date.parse(record.timing.finishedAt)).toBeGreaterThanOrEqual(Date.parse(record.timing.startedAt));
    // 256 images split by parity: group sizes add up, bincounts are consistent
    const [even, odd] = record.evaluation.groups!;
    expect(even!.size + odd!.size).toBe(256);
    expect(even!.trueCounts.filter((_, digit) => digit % 2 === 1).every((c) => c === 0)).toBe(true);
    expect(even!.predictedCounts.reduce((a, b) => a + b, 0)).toBe(even!.size);
  });

  it('gives byte-identical history and evaluation files for the same seed, different ones for another seed', async () => {
    const runsDir = runsFolders.make();
    const first = await runTiny(runsDir, backend, 0);
    const second = await runTiny(runsDir, backend, 0);
    const other = await runTiny(runsDir, backend, 1);
    expect(second.folder).not.toBe(first.folder);
    const read = (folder: string, file: string) => readFileSync(join(folder, file), 'utf8');
    expect(read(second.folder, 'evaluation.json')).toBe(read(first.folder, 'evaluation.json'));
    const losses = (folder: string) =>
      (JSON.parse(read(folder, 'history.json')) as { loss: number }[]).map((h) => h.loss);
    expect(losses(second.folder)).toEqual(losses(first.folder));
    expect(read(other.folder, 'evaluation.json')).not.toBe(read(first.folder, 'evaluation.json'));
  });

  it('reuses a complete run with the same settings, seed and backend', async () => {
    const runsDir = runsFolders.make();
    const first = await runTiny(runsDir, backend, 0, true);
    const again = await runTiny(runsDir, backend, 0, true);
    expect(again.reused).toBe(true);
    expect(again.record.runId).toBe(first.record.runId);
    expect(existsSync(join(runsDir, 'tiny-mnist-odd'))).toBe(true);
    expect(readdirSync(join(runsDir, 'tiny-mnist-odd'))).toHaveLength(1);
    // Another seed is another run: reusing across seeds would silently erase the spread between them.
    const otherSeed = await runTiny(runsDir, backend, 1, true);
    expect(otherSeed.reused).toBe(false);
    expect(otherSeed.record.seed).toBe(1);
    expect(readdirSync(join(runsDir, 'tiny-mnist-odd'))).toHaveLength(2);
    // The same settings computed by other code are not reused.
    const recordPath = join(first.folder, 'record.json');
    const stored = JSON.parse(readFileSync(recordPath, 'utf8')) as { codeFingerprint: string };
    expect(stored.codeFingerprint).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(recordPath, JSON.stringify({ ...stored, codeFingerprint: '0'.repeat(64) }));
    const afterCodeChange = await runTiny(runsDir, backend, 0, true);
    expect(afterCodeChange.reused).toBe(false);
  });
});

describe('runOne on a detection experiment', () => {
  it('records whole-split validation rates per epoch and a confusion matrix that adds up', async () => {
    const backend = await selectBackend({ requested: 'cpu' });
    // with a schedule, so each epoch's learning rate is recorded and goes into history.csv
    const definition = tinyBlink();
    const scheduled = {
      ...definition,
      train: { ...definition.train, schedule: { kind: 'stepDecay', every: 1, factor: 0.5 } },
    };
    const before = liveTensorCount();
    const run = await runFirstVariant(scheduled, runsFolders.make(), backend);
    expect(liveTensorCount()).toBe(before);
    const { history, evaluation } = run.record;
    const rates = ['accuracy', 'balancedAccuracy', 'f1', 'loss', 'majorityAccuracy', 'prAuc', 'precision', 'recall'];
    expect(history.map((h) => Object.keys(h.validation ?? {}).sort())).toEqual([rates, rates]);
    expect(Object.keys(evaluation.metrics).sort()).toEqual(rates);
    expect(evaluation.classNames).toEqual(['other', 'blink']);
    const [group] = evaluation.groups!;
    const [[tn, fp], [fn, tp]] = group!.confusion as [[number, number], [number, number]];
    expect(tn + fp + fn + tp).toBe(evaluation.size);
    expect(group!.trueCounts).toEqual([tn + fp, fn + tp]);
    expect(group!.predictedCounts).toEqual([tn + fn, fp + tp]);
    expect(evaluation.metrics.accuracy).toBeCloseTo((tn + tp) / evaluation.size, 12);
    expect(evaluation.metrics.majorityAccuracy).toBeCloseTo(Math.max(tn + fp, fn + tp) / evaluation.size, 12);
    expect(fn + tp).toBeGreaterThan(0);
    // history.csv holds the same numbers as the record, a column per validation metric
    const [header, ...rows] = readFileSync(join(run.folder, 'history.csv'), 'utf8').trimEnd().split('\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 5)).toEqual(['epoch', 'loss', 'seconds', 'samplesPerSecond', 'learningRate']);
    expect(columns).toContain('validation.f1');
    expect(rows).toHaveLength(history.length);
    rows.forEach((row, i) => {
      const cells: Record<string, number> = Object.fromEntries(
        row.split(',').map((cell, c) => [columns[c] ?? '', Number(cell)]),
      );
      expect(cells.epoch).toBe(history[i]!.epoch);
      expect(cells.loss).toBe(history[i]!.loss);
      expect(cells.learningRate).toBe(history[i]!.learningRate);
      expect(cells.learningRate).toBe(history[0]!.learningRate! * 0.5 ** i);
      expect(cells['validation.f1']).toBe(history[i]!.validation!.f1);
    });
  });
});

/** A plain Node ESM script, no losslab inside: load the saved model with TF.js alone and measure it. */
const LOADER = `${TFJS_ONLY_MODEL_LOADER}
const { features, shape, digits } = JSON.parse(readFileSync(dataFile, 'utf8'));
const predicted = await tf.argMax(model.predict(tf.tensor(features, shape)), 1).data();
console.log(JSON.stringify({ accuracy: digits.filter((d, i) => predicted[i] === d).length / digits.length }));
`;

describe('the trained model of a run', () => {
  it('loads in a separate Node process with tf.loadLayersModel and reproduces the recorded accuracy', async () => {
    const backend = await selectBackend({ requested: 'cpu' });
    const runsDir = runsFolders.make();
    const { record, folder } = await runTiny(runsDir, backend);
    const { definition, variants } = resolved();
    const data = (await loadData(variants[0]!.spec, registry, { seed: 0 })).splits.train!;
    expect(definition.evaluation).toMatchObject({ split: 'train' });
    const digits = Array.from({ length: data.size }, (_, row) =>
      Array.from(data.labels.subarray(row * data.labelWidth, row * data.labelWidth + 10)).indexOf(1),
    );
    const dataFile = join(runsDir, 'data.json');
    writeFileSync(
      dataFile,
      JSON.stringify({ features: Array.from(data.features), shape: [data.size, ...data.featureShape], digits }),
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', LOADER, folder, dataFile],
      { cwd: join(fileURLToPath(import.meta.url), '../../../../..') },
    );
    const { accuracy } = JSON.parse(stdout) as { accuracy: number };
    expect(accuracy).toBe(record.evaluation.metrics.accuracy);
  });

  it('an LSTM model (a losslab layer) loads back with loadModel and gives the recorded accuracy', async () => {
    const backend = await selectBackend({ requested: 'cpu' });
    const run = await runFirstVariant(tinyBlink(), runsFolders.make(), backend);
    const model = await loadModel(run.folder);
    const test = (await loadData(resolved(tinyBlink()).variants[0]!.spec, registry, { seed: 0 })).splits.test!;
    const before = liveTensorCount();
    const scores = predictAll(model, test);
    expect(liveTensorCount()).toBe(before);
    let correct = 0;
    for (let row = 0; row < test.size; row++) {
      const blink = (scores[row * 2 + 1] ?? 0) >= 0.5 ? 1 : 0;
      if (blink === ((test.labels[row * 2 + 1] ?? 0) >= 0.5 ? 1 : 0)) correct++;
    }
    expect(correct / test.size).toBe(run.record.evaluation.metrics.accuracy);
    model.dispose();
  });
});

describe('schedules and early stopping as data', () => {
  it('records each epoch’s learning rate and where early stopping ended, and refuses it without validation', async () => {
    const backend = await selectBackend({ requested: 'cpu' });
    const raw = {
      ...tinyBlink(),
      train: {
        epochs: 6,
        batchSize: 32,
        schedule: { kind: 'cosine', warmupEpochs: 1 },
        earlyStopping: { metric: 'loss', direction: 'min', patience: 1, minDelta: 1, restoreBest: true },
      },
    };
    const { history, earlyStopping } = (await runFirstVariant(raw, runsFolders.make(), backend)).record;
    // minDelta 1 on a loss below 1: nothing after epoch 1 counts as better, so it stops after epoch 2
    expect(history).toHaveLength(2);
    expect(earlyStopping).toEqual({ stoppedAt: 2, bestEpoch: 1, restoredBest: true });
    // adam's 0.01 after one warm-up epoch, then the cosine from 0.01 over epochs 2–6
    expect(history.map((h) => h.learningRate)).toEqual([0.01, 0.01]);
    const onMnist = setPath(tinyMnistOdd(), 'train.earlyStopping', { metric: 'loss', direction: 'min', patience: 1 });
    const refused = resolveExperiment(onMnist, 'fixture');
    expect(E.isLeft(refused) ? refused.left.problems : []).toEqual([
      'train.earlyStopping: needs per-epoch validation, and evaluation "classification" has none here (give binaryDetection a validationSplit)',
    ]);
  });
});
