import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePredictions, sha256Hex, type RunRecord } from '@losslab/schema';
import { selectBackend, type BackendInfo } from '@losslab/runtime';
import { temporaryFolders } from '@losslab/test-utils';
import { resolveExperiment, runOne } from '../index.js';
import { tinyBlink, tinyMnistOdd } from './fixtures.js';

const runsFolders = temporaryFolders('losslab-predictions-');

async function runFirstVariant(raw: unknown, backend: BackendInfo): Promise<{ record: RunRecord; folder: string }> {
  const resolved = resolveExperiment(raw, 'fixture');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  const { definition, variants } = resolved.right;
  const outcome = await runOne(
    { definition, variant: variants[0]!, seed: 0 },
    { runsDir: runsFolders.make(), backend },
  );
  if (E.isLeft(outcome)) throw new Error(`${outcome.left.tag}: ${outcome.left.message}`);
  return outcome.right;
}

/** The predictions file of a run, checked against the record's sha256, decoded. */
function predictionsOf({ record, folder }: { record: RunRecord; folder: string }) {
  const recorded = record.predictions;
  if (recorded === undefined) throw new Error('the record names no predictions');
  const bytes = readFileSync(join(folder, recorded.path));
  expect(sha256Hex(bytes)).toBe(recorded.sha256);
  return decodePredictions(bytes, recorded, recorded.path);
}

describe('per-example predictions of the final evaluation', () => {
  let backend: BackendInfo;
  beforeAll(async () => {
    backend = await selectBackend({ requested: 'cpu' });
  });

  // Catches: rows in another order than the truth, columns swapped, probabilities not softmaxed,
  // the file missing from the record or its sha256 not that of its bytes.
  it('classification: one probability row per example that sums to 1 and whose argMax gives the recorded accuracy', async () => {
    const run = await runFirstVariant(tinyMnistOdd(), backend);
    const predictions = predictionsOf(run);
    expect(run.record.predictions).toMatchObject({ path: 'predictions.bin', split: 'train', size: 256, classes: 10 });
    expect([...predictions.index]).toEqual([...Array(256).keys()]);
    let correct = 0;
    for (let i = 0; i < 256; i++) {
      const row = [...predictions.probabilities.subarray(i * 10, i * 10 + 10)];
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      if (row.indexOf(Math.max(...row)) === predictions.truth[i]) correct++;
    }
    expect(correct / 256).toBeCloseTo(run.record.evaluation.metrics.accuracy ?? Number.NaN, 12);
    // the true classes are the confusion matrix's row sums
    const counts = Array<number>(10).fill(0);
    for (const label of predictions.truth) counts[label] = (counts[label] ?? 0) + 1;
    expect(counts).toEqual(run.record.evaluation.confusion?.map((row) => row.reduce((a, b) => a + b, 0)));
  }, 60_000);

  it('binary detection: columns [other, positive] whose threshold 0.5 gives the recorded confusion', async () => {
    const run = await runFirstVariant(tinyBlink(), backend);
    const predictions = predictionsOf(run);
    expect(predictions.classes).toBe(2);
    const confusion = [
      [0, 0],
      [0, 0],
    ];
    for (let i = 0; i < predictions.truth.length; i++) {
      const positive = predictions.probabilities[2 * i + 1] ?? Number.NaN;
      expect((predictions.probabilities[2 * i] ?? Number.NaN) + positive).toBeCloseTo(1, 6);
      confusion[predictions.truth[i] ?? 0]![positive > 0.5 ? 1 : 0]! += 1;
    }
    expect(confusion).toEqual(run.record.evaluation.groups?.[0]?.confusion);
  }, 60_000);
});
