import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { encodePredictions, sha256Hex, type ExamplePredictions, type RunRecord } from '@losslab/schema';
import { reportCommand } from '../command.js';
import { loadPredictions } from '../load-predictions.js';
import { blinkRecord, writeRuns } from './fixtures.js';

const folders = temporaryFolders('losslab-certainty-');

/** Deterministic predictions of 200 examples (20 % positive): `sharp` pushes probabilities towards 0 and 1. */
function syntheticPredictions(seed: number, sharp: number): ExamplePredictions {
  const size = 200;
  const truth = Int32Array.from({ length: size }, (_, i) => (i % 5 === 0 ? 1 : 0));
  const probabilities = new Float32Array(size * 2);
  for (let i = 0; i < size; i++) {
    const noise = ((i * 7919 + seed * 104729) % 1000) / 1000 - 0.5;
    const logit = (truth[i] === 1 ? 1 : -1) * sharp + 3 * noise;
    const p = 1 / (1 + Math.exp(-logit));
    probabilities[2 * i] = 1 - p;
    probabilities[2 * i + 1] = p;
  }
  return { index: Uint32Array.from(truth, (_, i) => i), truth, probabilities, classes: 2 };
}

/** Writes the records and, beside each, its predictions named in the record with their sha256. */
async function writeWithPredictions(
  runsDir: string,
  runs: readonly { record: RunRecord; predictions: ExamplePredictions }[],
): Promise<RunRecord[]> {
  const records = runs.map(({ record, predictions }) => {
    const bytes = encodePredictions(predictions);
    return {
      record: {
        ...record,
        predictions: {
          format: 'losslab.predictions/1' as const,
          path: 'predictions.bin',
          sha256: sha256Hex(bytes),
          split: 'test',
          size: predictions.truth.length,
          classes: 2,
        },
      },
      bytes,
    };
  });
  await writeRuns(
    runsDir,
    records.map(({ record }) => record),
  );
  for (const { record, bytes } of records)
    await writeFile(join(runsDir, record.experiment, record.runId, 'predictions.bin'), bytes);
  return records.map(({ record }) => record);
}

const blinkRuns = () =>
  [1, 2, 3].flatMap((seed) => [
    { record: blinkRecord('unweighted', seed), predictions: syntheticPredictions(seed, 1) },
    { record: blinkRecord('class-weighted', seed), predictions: syntheticPredictions(seed, 4) },
  ]);

describe('a report from runs that kept their predictions', () => {
  it('shows calibration per variant beside accuracy, with a reliability diagram each', async () => {
    const runsDir = folders.make();
    await writeWithPredictions(runsDir, blinkRuns());
    const out = join(folders.make(), 'report');
    const lines: string[] = [];
    const code = await reportCommand(
      { experiment: 'blink', runsDir, out, groupBy: 'variant', check: false },
      { log: (line) => lines.push(line), error: (line) => lines.push(line) },
    );
    expect(code).toBe(0);
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    expect(markdown).toContain('## Calibration');
    expect(markdown).toMatch(/\| variant \| split \| runs \| accuracy \| ECE \(15 bins\) \| Brier \| NLL \|/);
    expect(markdown).toMatch(/\| unweighted \| test \| 3 \| /);
    expect(markdown).toContain('![Reliability diagram: unweighted](reliability-unweighted.svg)');
    expect(markdown).toContain('![Reliability diagram: class-weighted](reliability-class-weighted.svg)');
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<section id="calibration">');
  });

  // Catches reading a changed file as if it were the run's.
  it('leaves out a predictions file whose sha256 is not the recorded one, and says so', async () => {
    const runsDir = folders.make();
    const records = await writeWithPredictions(runsDir, blinkRuns().slice(0, 2));
    const [first] = records;
    await writeFile(join(runsDir, 'blink', first!.runId, 'predictions.bin'), new Uint8Array(8 + 4 * 2));
    const { predictions, problems } = await loadPredictions(runsDir, records);
    expect(predictions.size).toBe(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^blink/${first!.runId}/predictions.bin: sha256 expected ${first!.predictions!.sha256}`),
    );
  });
});
