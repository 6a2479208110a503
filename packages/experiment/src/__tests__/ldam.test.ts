import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as losses from '@losslab/losses';
import { selectBackend } from '@losslab/runtime';
import {
  blockClasses,
  carveValidation,
  classification,
  evaluateRunFolder,
  ldam,
  loadData,
  loadModel,
  longTail,
  mlp,
  mnist,
  oneHot,
  predictAll,
  registry,
  resolveExperiment,
  runOne,
  type ExperimentDefinition,
} from '../index.js';
import { TFJS_ONLY_MODEL_LOADER, tinyMnistOdd } from './fixtures.js';

const REPOSITORY_ROOT = join(fileURLToPath(import.meta.url), '../../../../..');

/** One 10-class block, a normed mlp, LDAM, evaluated on the test split. */
const ldamDefinition = (output: Record<string, unknown> = {}, more: Partial<ExperimentDefinition> = {}) =>
  tinyMnistOdd({
    labels: { digit: oneHot(10) },
    model: mlp({
      hidden: [{ units: 8, activation: 'relu' }],
      output: { units: 10, activation: 'linear', normed: true, ...output },
    }),
    loss: ldam(),
    evaluation: classification({ split: 'test', target: 'digit' }),
    ...more,
  });

const problemsOf = (raw: unknown): readonly string[] => {
  const result = resolveExperiment(raw, 'test.ts');
  return E.isLeft(result) ? result.left.problems : [];
};

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('ldam in a definition', () => {
  it('validates with a normed linear output; the shapes are plain data', () => {
    expect(problemsOf(ldamDefinition())).toEqual([]);
    expect(ldam({ maxMargin: 0.3, scale: 16 })).toEqual({ kind: 'ldam', maxMargin: 0.3, scale: 16 });
    expect(problemsOf(ldamDefinition({}, { loss: { kind: 'ldam', maxMargin: 0.5, scale: 30 } }))).toEqual([]);
  });

  it('reads logits: a softmax output is rejected naming both; a normed output must be linear', () => {
    expect(problemsOf(ldamDefinition({ activation: 'softmax', normed: false }))).toEqual([
      'model.output.activation: "softmax" outputs probabilities, but loss "ldam" reads logits (fromLogits): give the model a "linear" output',
    ]);
    expect(problemsOf(ldamDefinition({ activation: 'softmax' })).join('\n')).toMatch(
      /model.output.activation: a normed output gives cosine logits: expected "linear"/,
    );
    expect(problemsOf(ldamDefinition({}, { loss: { kind: 'ldam', maxMargin: 0 } })).join('\n')).toMatch(
      /loss.maxMargin: expected/,
    );
  });

  it(
    'a run: the margins come from the training split after transforms (not the test split); the saved model needs @losslab/models and says so',
    { timeout: 60_000 },
    async () => {
      const backend = await selectBackend({ requested: 'cpu' });
      // a long tail on train only: the test split stays balanced, so its counts would give other margins
      // and post-hoc adjustment beside it, τ chosen on a validation split carved from train
      const definition = ldamDefinition(
        {},
        {
          data: mnist({ limit: 1000 }),
          train: { epochs: 1, batchSize: 32 },
          transforms: [longTail({ ratio: 10 }), carveValidation({ fraction: 0.25 })],
          evaluation: classification({ split: 'test', target: 'digit', adjust: { tauGrid: [0, 1] } }),
        },
      );
      const resolved = resolveExperiment(definition, 'fixture');
      if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
      const runsDir = mkdtempSync(join(tmpdir(), 'losslab-ldam-'));
      folders.push(runsDir);
      const variant = resolved.right.variants[0]!;
      const outcome = await runOne({ definition: resolved.right.definition, variant, seed: 0 }, { runsDir, backend });
      if (E.isLeft(outcome)) throw new Error(outcome.left.message);
      const { folder, record } = outcome.right;

      // the evaluation loss recomputed by hand: LDAM with the training counts on the model's test logits
      const data = await loadData(variant.spec, registry, { seed: 0 });
      const train = data.splits.train!;
      const test = data.splits.test!;
      const trainCounts = losses.classCounts(blockClasses(train, data.layout, 'digit'), 10);
      const testCounts = losses.classCounts(blockClasses(test, data.layout, 'digit'), 10);
      expect(Math.max(...trainCounts) / Math.min(...trainCounts)).toBeGreaterThan(5);
      const model = await loadModel(folder, record.model!.files);
      expect(model.layers.map((layer) => layer.getClassName())).toEqual(['Flatten', 'Dense', 'LosslabNormedDense']);
      // the record's summary counts what was built: a normed output has no bias
      expect(record.modelSummary?.parameters).toBe(model.countParams());
      expect(record.modelSummary?.layers.at(-1)?.kind).toBe('normedDense');
      const logits = predictAll(model, test);
      model.dispose();
      const meanLoss = (counts: number[]): number => {
        const margins = losses.ldamMargins(counts, 0.5);
        let total = 0;
        for (let row = 0; row < test.size; row++) {
          const y = test.labels.subarray(row * 10, row * 10 + 10).indexOf(1);
          const z = Array.from(
            logits.subarray(row * 10, row * 10 + 10),
            (value, j) => 30 * (j === y ? value - margins[j]! : value),
          );
          const top = Math.max(...z);
          total += top + Math.log(z.reduce((sum, value) => sum + Math.exp(value - top), 0)) - z[y]!;
        }
        return total / test.size;
      };
      expect(record.evaluation.metrics.loss).toBeCloseTo(meanLoss(trainCounts), 3);
      expect(Math.abs(record.evaluation.metrics.loss! - meanLoss(testCounts))).toBeGreaterThan(0.01);

      // model.json names the layer plain TF.js lacks and the module that registers it
      const manifest = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as {
        userDefinedMetadata?: unknown;
      };
      expect(manifest.userDefinedMetadata).toEqual({
        losslab: { customLayers: [{ className: 'LosslabNormedDense', module: '@losslab/models' }] },
      });
      // a process with TF.js alone fails, naming the class
      const failed = await promisify(execFile)(
        process.execPath,
        ['--input-type=module', '--eval', TFJS_ONLY_MODEL_LOADER, folder, 'unused'],
        { cwd: REPOSITORY_ROOT },
      ).catch((error: unknown) => error as { stderr: string });
      expect('stderr' in failed ? failed.stderr : '').toMatch(/LosslabNormedDense/);
      // the adjusted numbers sit beside the plain ones, with the τ chosen on validation
      expect(record.evaluation.adjustment?.chosenOn).toBe('validation');
      expect(record.evaluation.adjustment?.grid?.map((entry) => entry.tau)).toEqual([0, 1]);
      expect(record.evaluation.metrics['adjusted.balancedAccuracy']).toBeGreaterThanOrEqual(0);
      expect(record.evaluation.metrics['adjusted.tau']).toBe(record.evaluation.adjustment?.tau);
      // losslab re-evaluates it to the same numbers
      expect((await evaluateRunFolder(folder)).matchesRecord).toBe(true);
    },
  );
});
