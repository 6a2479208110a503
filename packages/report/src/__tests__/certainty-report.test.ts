import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodePredictions, sha256Hex, type ExamplePredictions, type RunRecord } from '@losslab/schema';
import { reportCommand } from '../command.js';
import { loadPredictions } from '../load-predictions.js';
import { pairedConfusions } from '../bootstrap.js';
import { CONFUSION_METRICS } from '../confusion-metrics.js';
import { certaintyLine, certaintyOf, certaintySentence, comparisonCertainty } from '../comparison-certainty.js';
import type { MetricComparison } from '../compare.js';
import type { RunGroup } from '../groups.js';
import { blinkRecord, classRecord, writeRuns } from './fixtures.js';

const made: string[] = [];
/** A new temporary folder, removed after the tests. */
async function folder(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'losslab-certainty-'));
  made.push(path);
  return path;
}
afterAll(async () => {
  for (const folder of made) await rm(folder, { recursive: true, force: true });
});

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
          classes: predictions.classes,
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

/** The record with the detection metrics its predictions give (threshold 0.5), so they can be resampled. */
function matching(record: RunRecord, predictions: ExamplePredictions): RunRecord {
  const predicted = Int32Array.from(predictions.truth, (_, i) =>
    (predictions.probabilities[2 * i + 1] ?? 0) > 0.5 ? 1 : 0,
  );
  const { a } = pairedConfusions({
    truth: predictions.truth,
    predictedA: predicted,
    predictedB: predicted,
    classes: 2,
  });
  const metrics = { ...record.evaluation.metrics };
  for (const name of ['accuracy', 'balancedAccuracy', 'precision', 'recall', 'f1'])
    metrics[name] = CONFUSION_METRICS[name]!(a);
  return { ...record, evaluation: { ...record.evaluation, metrics } };
}

const blinkRuns = () =>
  [1, 2, 3]
    .flatMap((seed) => [
      { record: blinkRecord('unweighted', seed), predictions: syntheticPredictions(seed, 1) },
      { record: blinkRecord('class-weighted', seed), predictions: syntheticPredictions(seed, 4) },
    ])
    .map(({ record, predictions }) => ({ record: matching(record, predictions), predictions }));

const blinkRunsUnmatched = () =>
  [1, 2, 3].flatMap((seed) => [
    { record: blinkRecord('unweighted', seed), predictions: syntheticPredictions(seed, 1) },
    { record: blinkRecord('class-weighted', seed), predictions: syntheticPredictions(seed, 4) },
  ]);

describe('agreement of the t-test, the difference interval and P(A > B)', () => {
  const group = (label: string) =>
    ({
      label,
      experiment: 'e',
      variant: label,
      cohort: null,
      records: [1, 2, 3].map((seed) => ({
        experiment: 'e',
        runId: `${label}-${seed}`,
        seed,
        evaluation: { metrics: {} },
        definition: {},
      })),
    }) as unknown as RunGroup;
  const comparison = (values: number[], baselineValues: number[], p: number, difference: number): MetricComparison =>
    ({
      experiment: 'e',
      label: 'a',
      baseline: 'b',
      metric: 'score',
      values,
      baselineValues,
      family: 'primary',
      test: { method: 'paired', p, difference },
    }) as unknown as MetricComparison;

  // Catches: comparing P(A > B) with 0 instead of 1/2, or declaring agreement without looking at it.
  it('says they disagree when a steady paired gain hides in a large seed-to-seed spread', () => {
    // A beats B by about 0.01 on every seed (t-test and paired t interval: A better), but across
    // seeds the values overlap: P(A > B) = 6/9 with an interval that holds 1/2.
    const [result] = comparisonCertainty(
      [comparison([0.511, 0.609, 0.712], [0.5, 0.6, 0.7], 0.0001, 0.01)],
      [group('a'), group('b')],
      new Map(),
      new Map(),
      0.05,
    );
    expect(result?.probability).toBeCloseTo(6 / 9, 12);
    expect(result?.findings).toEqual({ tTest: 'label', bootstrap: 'label', probability: 'neither' });
    expect(result?.agree).toBe(false);
    expect(certaintySentence(result!)).toMatch(/^the methods disagree: t-test a better, paired t interval a better/);
    expect(result?.resampled).toBe('paired t over seeds');
    // the t-test's own interval at 1 − α (differences 0.011, 0.009, 0.012: scipy.stats.ttest_rel
    // gives [0.0068721, 0.0144612])
    expect(result?.differenceInterval[0]).toBeCloseTo(0.0068720836, 8);
    expect(result?.differenceInterval[1]).toBeCloseTo(0.0144612497, 8);
    // the verdict names the comparison on which they disagree
    expect(certaintyLine([result!], { experiment: 'e', metric: 'score', best: 'a', others: ['b'] })).toMatch(
      /^a vs b: the methods disagree: t-test a better/,
    );
  });

  it('orients every finding by the direction of the metric (lower is better)', () => {
    const [result] = comparisonCertainty(
      [comparison([0.1, 0.2, 0.15], [0.5, 0.6, 0.55], 0.001, -0.4)],
      [group('a'), group('b')],
      new Map([[JSON.stringify(['e', 'score']), 'lower' as const]]),
      new Map(),
      0.05,
    );
    expect(result?.probability).toBe(1);
    expect(result?.findings).toEqual({ tTest: 'label', bootstrap: 'label', probability: 'label' });
    expect(certaintySentence(result!)).toMatch(/^t-test, paired t interval and P\(A > B\) agree \(a better\)/);
    // seen from the other side: P(b > a) = 1 − P(a > b), the interval of the difference negated
    const reversed = certaintyOf([result!], 'e', 'score', 'b', 'a')!;
    expect(reversed.probability).toBe(0);
    expect(reversed.differenceInterval[0]).toBe(-result!.differenceInterval[1]);
    expect(certaintySentence(reversed)).toMatch(
      /^t-test, paired t interval and P\(A > B\) agree \(a better\): P\(b > a\) = 0\.000/,
    );
  });
});

describe('a report from runs that kept their predictions', () => {
  // Catches: P(A > B) or the intervals missing from the report, the example level not used when it can be,
  // intervals that change between two builds of the same runs.
  it('shows calibration per variant and gives each primary comparison P(A > B) and a two-level interval, the same each time', async () => {
    const runsDir = await folder();
    await writeWithPredictions(runsDir, blinkRuns());
    const outs = [join(await folder(), 'a'), join(await folder(), 'b')];
    for (const out of outs)
      expect(
        await reportCommand(
          { experiment: 'blink', runsDir, out, groupBy: 'variant', check: false },
          { log: () => {}, error: () => {} },
        ),
      ).toBe(0);
    const [first, second] = outs.map((out) => readFileSync(join(out, 'report.md'), 'utf8'));
    expect(first).toBe(second);
    // the verdict: the methods' agreement on each line, calibration beside accuracy
    const verdict = first!.slice(
      first!.indexOf('## Verdict'),
      first!.indexOf('\n## ', first!.indexOf('## Verdict') + 1),
    );
    expect(verdict).toMatch(
      /✓ class-weighted beats unweighted by .*\n {2}- · t-test, two-level interval and P\(A \\> B\) agree on this comparison: P\(class-weighted \\> unweighted\) = 1\.000 \[1\.000, 1\.000\], two-level interval \[\+0\.\d+, \+0\.\d+\]\n/,
    );
    expect(verdict).toMatch(
      /- \*\*calibration beside accuracy \(ECE over 15 bins, lower is better\): class-weighted is best calibrated \(ECE 0\.\d+\); unweighted is worst calibrated \(ECE 0\.\d+\)\.\*\*/,
    );
    expect(verdict).toMatch(/ {2}- · unweighted: accuracy 0\.\d+ ± 0\.\d+, ECE 0\.\d+ ± 0\.\d+, Brier/);
    // calibration per variant beside accuracy, with a reliability diagram each
    const markdown = first!;
    expect(markdown).toContain('## Calibration');
    expect(markdown).toMatch(/\| variant \| split \| runs \| accuracy \| ECE \(15 bins\) \| Brier \| NLL \|/);
    expect(markdown).toMatch(/\| unweighted \| test \| 3 \| /);
    expect(markdown).toContain('![Reliability diagram: unweighted](reliability-unweighted.svg)');
    expect(markdown).toContain('![Reliability diagram: class-weighted](reliability-class-weighted.svg)');
    expect(readFileSync(join(outs[0]!, 'index.html'), 'utf8')).toContain('<section id="calibration">');
    expect(first).toContain('## How sure the comparisons are');
    const section = first!.slice(first!.indexOf('## How sure'));
    const rows = section
      .slice(0, section.indexOf('\n## '))
      .split('\n')
      .filter((line) => line.startsWith('| class-weighted vs unweighted | accuracy |'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      /\| 1\.000 \[1\.000, 1\.000\] \| \+0\.\d+ \[\+0\.\d+, \+0\.\d+\] \| seeds \(t\) and test examples \(bootstrap\) \|/,
    );
    expect(rows[0]).toContain('| agree |');
  });

  it('falls back to the paired t interval when the predictions do not reproduce the recorded metric, and says so and why', async () => {
    const runsDir = await folder();
    await writeWithPredictions(runsDir, blinkRunsUnmatched());
    const out = join(await folder(), 'report');
    await reportCommand(
      { experiment: 'blink', runsDir, out, groupBy: 'variant', check: false },
      { log: () => {}, error: () => {} },
    );
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(
      'paired t over seeds (seed 1: the predictions do not reproduce the recorded accuracy)',
    );
  });

  // Catches calibration shown only for binary detections, or the methods' agreement missing from a
  // classification verdict.
  it('puts calibration beside accuracy in a classification verdict, with the methods’ agreement', async () => {
    // 10 classes, 100 examples each; each run's predictions reproduce its confusion matrix
    // (class c right `confusion[c][c]` times, else the next class), the predicted class at p = 0.6
    const predictionsOf = (record: RunRecord): ExamplePredictions => {
      const confusion = record.evaluation.confusion!;
      const classes = confusion.length;
      const truth = Int32Array.from({ length: 100 * classes }, (_, i) => Math.floor(i / 100));
      const probabilities = new Float32Array(truth.length * classes).fill(0.4 / (classes - 1));
      truth.forEach((c, i) => {
        const predicted = i % 100 < (confusion[c]?.[c] ?? 0) ? c : (c + 1) % classes;
        probabilities[i * classes + predicted] = 0.6;
      });
      return { index: Uint32Array.from(truth, (_, i) => i), truth, probabilities, classes };
    };
    const runsDir = await folder();
    await writeWithPredictions(
      runsDir,
      [1, 2, 3].flatMap((seed) =>
        ['ce', 'focal'].map((variant) => {
          const record = classRecord(variant, seed);
          return { record, predictions: predictionsOf(record) };
        }),
      ),
    );
    const out = join(await folder(), 'report');
    await reportCommand(
      { experiment: 'digits', runsDir, out, groupBy: 'variant', check: false },
      { log: () => {}, error: () => {} },
    );
    const markdown = readFileSync(join(out, 'report.md'), 'utf8');
    const verdict = markdown.slice(
      markdown.indexOf('## Verdict'),
      markdown.indexOf('\n## ', markdown.indexOf('## Verdict') + 1),
    );
    expect(verdict).toMatch(/calibration beside accuracy \(ECE over 15 bins, lower is better\)/);
    expect(verdict).toMatch(/ {2}- · ce: accuracy 0\.\d+ ± 0\.\d+, ECE 0\.\d+ ± 0\.\d+, Brier/);
    // the runs' spread is 0 (paired t interval [+0.200, +0.200]); the two-level interval adds the shared test set's
    expect(verdict).toMatch(
      /t-test, two-level interval and P\(A \\> B\) agree on this comparison: P\(focal \\> ce\) = 1\.000 \[1\.000, 1\.000\], two-level interval \[\+0\.1\d\d, \+0\.2[1-9]\d\]/,
    );
  });

  // Catches reading a changed file as if it were the run's.
  it('leaves out a predictions file whose sha256 is not the recorded one, and says so', async () => {
    const runsDir = await folder();
    const records = await writeWithPredictions(runsDir, blinkRuns().slice(0, 2));
    const [first] = records;
    await writeFile(join(runsDir, 'blink', first!.runId, 'predictions.bin'), new Uint8Array(8 + 4 * 2));
    const { predictions, predictionProblems: problems } = await loadPredictions(runsDir, records);
    expect(predictions.size).toBe(1);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      new RegExp(`^blink/${first!.runId}/predictions.bin: sha256 expected ${first!.predictions!.sha256}`),
    );
  });
});
