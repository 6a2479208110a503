import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Claim, RecordedDefinition, RunRecord } from '@losslab/schema';

/** A recorded definition with the keys the report does not read (name, model…), as a record holds them. */
const recordedDefinition = (definition: RecordedDefinition & Record<string, unknown>): RecordedDefinition => definition;

/** Deterministic small "noise" per (seed, index), in [−1, 1]: no randomness in tests. */
function wobble(seed: number, index: number): number {
  return Math.sin(seed * 12.9898 + index * 78.233);
}

const ENVIRONMENT: RunRecord['environment'] = {
  backend: 'cpu',
  backendVersion: '4.22.0',
  node: 'v20.19.0',
  platform: 'linux-x64',
  packages: { '@tensorflow/tfjs-core': '4.22.0', '@losslab/train': '0.1.0' },
  git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
};

const BLINK_CLAIMS: Claim[] = [
  { kind: 'fasterToTarget', metric: 'f1', target: 0.8, faster: 'class-weighted', slower: 'unweighted' },
  { kind: 'threshold', metric: 'accuracy', op: '>=', value: 0.95, description: 'both variants reach 95% accuracy' },
  { kind: 'threshold', metric: 'f1', op: '>=', value: 0.9, variant: 'unweighted' },
];

/**
 * A blink-like run: class-weighted F1 rises with time constant 2 epochs, unweighted with 6, so
 * class-weighted reaches F1 ≥ 0.8 at epoch 5 and unweighted only near epoch 13–14 (some seeds
 * never within 14 epochs). Unweighted's final accuracy sits near the 0.9 majority baseline.
 */
export function blinkRecord(variant: 'unweighted' | 'class-weighted', seed: number, epochs = 14): RunRecord {
  const tau = variant === 'class-weighted' ? 2 : 6;
  const history = Array.from({ length: epochs }, (_, index) => {
    const epoch = index + 1;
    const progress = 1 - Math.exp(-epoch / tau);
    const f1 = 0.9 * progress + 0.02 * wobble(seed, epoch);
    return {
      epoch,
      loss: 0.6 * (1 - progress) + 0.05 + 0.01 * wobble(seed + 1, epoch),
      seconds: 0.5 + 0.01 * seed,
      samplesPerSecond: 2000 - 10 * seed,
      validation: {
        loss: 0.65 * (1 - progress) + 0.06 + 0.02 * wobble(seed + 2, epoch),
        accuracy: 0.9 + 0.08 * progress,
        balancedAccuracy: 0.5 + 0.45 * progress,
        precision: f1,
        recall: f1,
        f1,
        prAuc: 0.3 + 0.65 * progress,
        majorityAccuracy: 0.9,
      },
    };
  });
  const last = history[history.length - 1];
  const offset = variant === 'class-weighted' ? 0.05 : 0;
  return {
    schema: 'losslab.run/1',
    runId: `20250101-${variant}-s${seed}`,
    experiment: 'blink',
    variant,
    seed,
    definition: recordedDefinition({
      name: 'blink',
      model: { kind: 'lstm', units: 16 },
      loss:
        variant === 'class-weighted'
          ? { kind: 'classWeighted', inner: { kind: 'l1' }, weights: 'balanced' }
          : { kind: 'l1' },
      epochs,
    }),
    definitionHash: variant === 'class-weighted' ? 'c'.repeat(64) : 'a'.repeat(64),
    environment: ENVIRONMENT,
    dataFingerprint: { 'blink-generator': 'f'.repeat(64) },
    timing: {
      startedAt: `2025-01-01T00:0${seed}:0${variant === 'unweighted' ? 0 : 1}.000Z`,
      finishedAt: '2025-01-01T01:00:00.000Z',
      totalSeconds: 6,
    },
    history,
    evaluation: {
      split: 'test',
      size: 1000,
      metrics: {
        loss: (last?.validation.loss ?? 0) + 0.01 * wobble(seed, 99),
        accuracy: (variant === 'class-weighted' ? 0.96 : 0.905) + 0.005 * wobble(seed, 100),
        balancedAccuracy: 0.8 + offset + 0.01 * wobble(seed, 101),
        f1: 0.7 + 2 * offset + 0.01 * wobble(seed, 102),
        majorityAccuracy: 0.9,
      },
    },
    claims: BLINK_CLAIMS,
  };
}

/** Confusion matrix where every even digit goes to the next odd digit and odd digits are right. */
function mnistGroups(): NonNullable<RunRecord['evaluation']['groups']> {
  const evenCounts = [50, 0, 48, 0, 52, 0, 47, 0, 51, 0];
  const oddCounts = [0, 55, 0, 49, 0, 46, 0, 53, 0, 50];
  const make = (name: string, trueCounts: number[], oddCorrect: boolean) => {
    const confusion = trueCounts.map((count, truth) => {
      const row = Array.from({ length: 10 }, () => 0);
      if (count === 0) return row;
      if (oddCorrect) {
        row[truth] = count - 1;
        row[(truth + 2) % 10] = 1;
      } else {
        row[truth + 1] = count;
      }
      return row;
    });
    const predictedCounts = Array.from({ length: 10 }, (_, predicted) =>
      confusion.reduce((sum, row) => sum + (row[predicted] ?? 0), 0),
    );
    const size = trueCounts.reduce((sum, count) => sum + count, 0);
    const correct = confusion.reduce((sum, row, index) => sum + (row[index] ?? 0), 0);
    return { name, size, accuracy: correct / size, confusion, trueCounts, predictedCounts };
  };
  return [make('even', evenCounts, false), make('odd', oddCounts, true)];
}

/** A one-seed mnist-odd run with the Keras reference. */
export function mnistRecord(seed = 1): RunRecord {
  const groups = mnistGroups();
  return {
    schema: 'losslab.run/1',
    runId: `20250102-masked-s${seed}`,
    experiment: 'mnist-odd',
    variant: 'masked',
    seed,
    definition: recordedDefinition({
      name: 'mnist-odd',
      model: { kind: 'mlp', units: [64] },
      loss: { kind: 'masked', inner: { kind: 'categoricalCrossentropy' } },
    }),
    definitionHash: 'b'.repeat(64),
    environment: {
      ...ENVIRONMENT,
      backend: 'wasm',
      git: { commit: 'fedcba9876543210fedcba9876543210fedcba98', dirty: true },
    },
    dataFingerprint: { 'train-images-idx3-ubyte': 'e'.repeat(64) },
    timing: { startedAt: '2025-01-02T00:00:00.000Z', finishedAt: '2025-01-02T00:01:00.000Z', totalSeconds: 60 },
    history: [1, 2, 3].map((epoch) => ({ epoch, loss: 0.5 / epoch, seconds: 20, samplesPerSecond: 3000 })),
    evaluation: {
      split: 'test',
      size: 501,
      metrics: { accuracy: 0.49, loss: 0.3 },
      groups,
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    },
    claims: [
      { kind: 'threshold', metric: 'accuracy', group: 'even', op: '<=', value: 0.01 },
      { kind: 'threshold', metric: 'accuracy', group: 'odd', op: '>=', value: 0.95 },
    ],
    reference: {
      source: 'Keras',
      groups: [
        {
          name: 'even',
          accuracy: 0,
          trueCounts: [5923, 0, 5958, 0, 5842, 0, 5918, 0, 5851],
          note: 'every even image predicted as an odd class',
        },
        { name: 'odd', accuracy: 0.979 },
      ],
      notes: ['Keras numbers are on the 60,000-image train set; 3 epochs, batch 128.'],
    },
  };
}

/** Writes `runs/<experiment>/<runId>/record.json` for each record; returns the runs directory. */
export async function writeRuns(runsDir: string, records: readonly RunRecord[]): Promise<string> {
  for (const record of records) {
    const folder = join(runsDir, record.experiment, record.runId);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'record.json'), JSON.stringify(record, null, 2));
  }
  return runsDir;
}

/** Two variants × three seeds of blink. */
export function blinkRecords(): RunRecord[] {
  return [1, 2, 3].flatMap((seed) => [blinkRecord('unweighted', seed), blinkRecord('class-weighted', seed)]);
}

/** Per-class entries computed from a confusion matrix `[true][predicted]`, named by `classNames`. */
function perClassOf(
  confusion: readonly (readonly number[])[],
  classNames: readonly string[],
): NonNullable<RunRecord['evaluation']['perClass']> {
  return classNames.map((name, c) => {
    const tp = confusion[c]?.[c] ?? 0;
    const support = (confusion[c] ?? []).reduce((sum, count) => sum + count, 0);
    const predicted = confusion.reduce((sum, row) => sum + (row[c] ?? 0), 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = tp === 0 ? 0 : (2 * tp) / (support + predicted);
    return { name, support, predicted, precision, recall, f1 };
  });
}

/** The variants of {@link classRecord}: how often each gets a sample right (before per-class noise). */
export const CLASS_VARIANTS = ['ce', 'ce-balanced', 'focal', 'focal-balanced'] as const;

/**
 * A 10-class run (classes `0`–`9` unless `classNames` is given, 100 test samples each) with
 * `perClass`, the overall `confusion`, `classNames` and the macro/weighted headline metrics:
 * class c is right with a rate that depends on variant, seed and class, and its misses go to the
 * next class.
 */
export function classRecord(
  variant: string,
  seed: number,
  classNames: readonly string[] = Array.from({ length: 10 }, (_, index) => String(index)),
): RunRecord {
  const k = classNames.length;
  const strength = 0.6 + 0.1 * Math.max(0, CLASS_VARIANTS.indexOf(variant as (typeof CLASS_VARIANTS)[number]));
  const confusion = classNames.map((_, truth) => {
    const row = Array.from({ length: k }, () => 0);
    const correct = Math.round(100 * Math.min(1, Math.max(0, strength - 0.03 * truth + 0.04 * wobble(seed, truth))));
    row[truth] = correct;
    row[(truth + 1) % k] = (row[(truth + 1) % k] ?? 0) + 100 - correct;
    return row;
  });
  const perClass = perClassOf(confusion, classNames);
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const size = 100 * k;
  const accuracy = perClass.reduce((sum, entry) => sum + entry.recall * entry.support, 0) / size;
  const base = blinkRecord('unweighted', seed, 3);
  return {
    ...base,
    runId: `20250103-${variant}-s${seed}`,
    experiment: 'digits',
    variant,
    definition: recordedDefinition({
      name: 'digits',
      model: { kind: 'mlp', units: [32] },
      loss: { kind: variant },
      epochs: 3,
    }),
    definitionHash: variant.padEnd(64, '0'),
    history: [1, 2, 3].map((epoch) => ({
      epoch,
      loss: 1 / epoch,
      seconds: 1,
      samplesPerSecond: 1000,
      validation: { loss: 1.1 / epoch, accuracy: accuracy * (0.8 + 0.1 * (epoch - 1)), macroF1: 0.5 + 0.05 * epoch },
    })),
    evaluation: {
      split: 'test',
      size,
      metrics: {
        accuracy,
        balancedAccuracy: mean(perClass.map((entry) => entry.recall)),
        macroF1: mean(perClass.map((entry) => entry.f1)),
        macroPrecision: mean(perClass.map((entry) => entry.precision)),
        macroRecall: mean(perClass.map((entry) => entry.recall)),
        weightedF1: perClass.reduce((sum, entry) => sum + entry.f1 * entry.support, 0) / size,
        weightedRecall: accuracy,
        loss: 0.5,
      },
      classNames: [...classNames],
      perClass,
      confusion,
    },
    claims: [],
  };
}

/** Four variants × three seeds of {@link classRecord}: the "10 classes, 4 variants" report. */
export function classRecords(): RunRecord[] {
  return [1, 2, 3].flatMap((seed) => CLASS_VARIANTS.map((variant) => classRecord(variant, seed)));
}
