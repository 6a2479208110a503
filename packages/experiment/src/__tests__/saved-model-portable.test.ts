import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { afterEach, describe, expect, it } from 'vitest';
import { selectBackend, sha256Hex } from '@losslab/runtime';
import { evaluateRunFolder, loadData, loadModel, predictAll, registry, resolveExperiment, runOne } from '../index.js';
import { mnist } from '../kinds/data.js';
import { lstm, sequential } from '../kinds/models.js';
import { TFJS_ONLY_MODEL_LOADER, tinyBlink, tinyMnistOdd } from './fixtures.js';

// A process that imports only TF.js (no @losslab package): the saved model must load as is.
const LOADER = `${TFJS_ONLY_MODEL_LOADER}
const { features, shape } = JSON.parse(readFileSync(dataFile, 'utf8'));
const scores = Array.from(await model.predict(tf.tensor(features, shape)).data());
console.log(JSON.stringify({ layers: model.layers.map((layer) => layer.getClassName()), scores }));
`;

const REPOSITORY_ROOT = join(fileURLToPath(import.meta.url), '../../../../..');

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Runs seed 0 of a one-variant definition on cpu into a temporary runs folder. */
async function runFixture(definition: Parameters<typeof resolveExperiment>[0]) {
  const backend = await selectBackend({ requested: 'cpu' });
  const result = resolveExperiment(definition, 'fixture');
  if (E.isLeft(result)) throw new Error(result.left.problems.join('\n'));
  const runsDir = mkdtempSync(join(tmpdir(), 'losslab-portable-'));
  folders.push(runsDir);
  const variant = result.right.variants[0]!;
  const outcome = await runOne({ definition: result.right.definition, variant, seed: 0 }, { runsDir, backend });
  if (E.isLeft(outcome)) throw new Error(outcome.left.message);
  return { runsDir, variant, ...outcome.right };
}

/** The saved model's layer classes and its scores on `data`, from a process that imports only TF.js. */
async function plainTfjsScores(
  folder: string,
  runsDir: string,
  data: { features: Float32Array; featureShape: readonly number[]; size: number },
): Promise<{ layers: string[]; scores: number[] }> {
  const dataFile = join(runsDir, 'data.json');
  writeFileSync(
    dataFile,
    JSON.stringify({ features: Array.from(data.features), shape: [data.size, ...data.featureShape] }),
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--eval', LOADER, folder, dataFile],
    { cwd: REPOSITORY_ROOT },
  );
  return JSON.parse(stdout) as { layers: string[]; scores: number[] };
}

describe('a saved LSTM model (with dropout)', () => {
  it('loads with only TF.js in another process, predicts what the run recorded, and losslab evaluate still matches', async () => {
    const { runsDir, variant, folder, record } = await runFixture({
      ...tinyBlink(),
      model: lstm({ layers: [{ units: 4 }], dropout: 0.2, output: { units: 2, activation: 'softmax' } }),
    });

    // the record names the bytes written
    for (const file of record.model!.files)
      expect(sha256Hex(readFileSync(join(folder, file.path))), file.path).toBe(file.sha256);

    const test = (await loadData(variant.spec, registry, { seed: 0 })).splits.test!;
    const { layers, scores } = await plainTfjsScores(folder, runsDir, test);
    expect(layers).toEqual(['LSTM', 'Dropout', 'Dense']);

    // the same scores as the run's own model (loaded by losslab as its FusedLstm), within float32 rounding
    const model = await loadModel(folder, record.model!.files);
    expect(model.layers.map((layer) => layer.getClassName())).toEqual(['LosslabFusedLstm', 'Dropout', 'Dense']);
    const expected = predictAll(model, test);
    model.dispose();
    expect(scores).toHaveLength(test.size * 2);
    scores.forEach((score, i) => expect(score).toBeCloseTo(expected[i]!, 5));

    let correct = 0;
    for (let row = 0; row < test.size; row++) {
      const blink = (scores[row * 2 + 1] ?? 0) >= 0.5 ? 1 : 0;
      if (blink === ((test.labels[row * 2 + 1] ?? 0) >= 0.5 ? 1 : 0)) correct++;
    }
    expect(correct / test.size).toBe(record.evaluation.metrics.accuracy);

    const reevaluation = await evaluateRunFolder(folder);
    expect(reevaluation.matchesRecord).toBe(true);
  });
});

describe('a saved CNN with batch normalisation and dropout', () => {
  it('loads with only TF.js in another process with its moving statistics: the same scores as the run, and evaluate matches', async () => {
    const { runsDir, variant, folder, record } = await runFixture(
      tinyMnistOdd({
        data: mnist({ limit: 64 }),
        model: sequential({
          layers: [
            { kind: 'conv2d', filters: 4, kernelSize: 3, strides: 2, activation: 'relu' },
            { kind: 'batchNormalization', momentum: 0.5 },
            { kind: 'maxPooling2d', poolSize: 2 },
            { kind: 'flatten' },
            { kind: 'dropout', rate: 0.25 },
            { kind: 'dense', units: 10, activation: 'softmax' },
          ],
        }),
      }),
    );

    const train = (await loadData(variant.spec, registry, { seed: 0 })).splits.train!;
    const { layers, scores } = await plainTfjsScores(folder, runsDir, train);
    expect(layers).toEqual(['Conv2D', 'BatchNormalization', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense']);

    const model = await loadModel(folder, record.model!.files);
    const moving = model.layers[1]!.getWeights().slice(2);
    // trained moving statistics, not the initial mean 0 / variance 1 (a model saved without them would predict otherwise)
    expect(Array.from(moving[0]!.dataSync()).some((v) => v !== 0)).toBe(true);
    const expected = predictAll(model, train);
    model.dispose();
    expect(scores).toHaveLength(train.size * 10);
    scores.forEach((score, i) => expect(score).toBeCloseTo(expected[i]!, 5));
    expect((await evaluateRunFolder(folder)).matchesRecord).toBe(true);
  });
});
