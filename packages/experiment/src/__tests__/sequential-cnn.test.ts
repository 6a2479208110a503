import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { liveTensorCount, selectBackend } from '@losslab/runtime';
import type { RunRecord, SequentialLayer } from '@losslab/schema';
import { registry } from '../kinds/index.js';
import { modelShapes } from '../model-shapes.js';
import { exec, LAUNCHER } from './outside-definition.js';
import {
  adamw,
  blinkStream,
  categoricalCrossentropy,
  classification,
  defineExperiment,
  lstm,
  mnist,
  oneHot,
  resolveExperiment,
  runOne,
  sequential,
  sgd,
  sliced,
} from '../index.js';

const folders = temporaryFolders('losslab-cnn-');

// The model exactly as the acceptance check declares it.
const CNN_LAYERS: SequentialLayer[] = [
  { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
  { kind: 'batchNormalization' },
  { kind: 'maxPooling2d', poolSize: 2 },
  { kind: 'flatten' },
  { kind: 'dropout', rate: 0.25 },
  { kind: 'dense', units: 10, activation: 'softmax' },
];
const CNN_MODEL = `{
    kind: 'sequential',
    layers: [
      { kind: 'conv2d', filters: 8, kernelSize: 3, activation: 'relu' },
      { kind: 'batchNormalization' },
      { kind: 'maxPooling2d', poolSize: 2 },
      { kind: 'flatten' },
      { kind: 'dropout', rate: 0.25 },
      { kind: 'dense', units: 10, activation: 'softmax' },
    ],
  }`;

/** A definition file in a fresh folder outside the repository: `model` on a few hundred MNIST images. */
function writeDefinition(model: string, data = 'mnist({ limit: 256 })'): { dir: string; file: string } {
  const dir = folders.make();
  const file = join(dir, 'cnn.ts');
  writeFileSync(
    file,
    `import { adamw, blinkStream, categoricalCrossentropy, classification, defineExperiment, mnist, oneHot } from '@losslab/experiment';

export default defineExperiment({
  name: 'cnn',
  description: 'a CNN with batch normalisation and dropout on MNIST images',
  data: ${data},
  labels: { digit: oneHot(10) },
  model: ${model},
  loss: categoricalCrossentropy(),
  optimizer: adamw({ learningRate: 0.01, weightDecay: 0.01 }),
  train: { epochs: 2, batchSize: 64 },
  evaluation: classification({ split: 'test', target: 'digit' }),
  seeds: [0],
  variants: { cnn: {} },
});
`,
  );
  return { dir, file };
}

const outsideArgs = (dir: string) => [`--runs-dir=${join(dir, 'runs')}`, `--reports-dir=${join(dir, 'reports')}`];

describe('a sequential CNN declared outside the repository', () => {
  it(
    'trains with `npx losslab run` on wasm on MNIST images [28, 28, 1]; the run prints and records its summary',
    { timeout: 240_000 },
    async () => {
      const { dir, file } = writeDefinition(CNN_MODEL);
      const { code, stdout, stderr } = await exec('npx', [
        'losslab',
        'run',
        file,
        '--backend=wasm',
        ...outsideArgs(dir),
      ]);
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('1/1 run(s) complete');
      // printed when the run starts: each layer, its output shape and parameters
      expect(stdout).toMatch(/0 conv2d +\[26, 26, 8\] +80\n/);
      expect(stdout).toContain('13642 parameters');
      const runsDir = join(dir, 'runs', 'cnn');
      const [folder] = readdirSync(runsDir);
      const record = JSON.parse(readFileSync(join(runsDir, folder!, 'record.json'), 'utf8')) as RunRecord;
      expect(record.modelSummary?.inputShape).toEqual([28, 28, 1]);
      expect(record.modelSummary?.layers.map((layer) => layer.kind)).toEqual([
        'conv2d',
        'batchNormalization',
        'maxPooling2d',
        'flatten',
        'dropout',
        'dense',
      ]);
      expect(record.environment.backend).toBe('wasm');
      expect(record.history).toHaveLength(2);
      // it learned something: 2 epochs on 256 images beat chance (0.1) on the test split
      expect(record.evaluation.metrics.accuracy).toBeGreaterThan(0.2);
      expect(readFileSync(join(dir, 'reports', 'cnn', 'report.md'), 'utf8')).toContain('conv2d [26, 26, 8] (80)');
    },
  );

  it(
    '--dry-run prints the summary without training; a model that does not fit the data exits 2 before any run',
    { timeout: 120_000 },
    async () => {
      const cnn = writeDefinition(CNN_MODEL);
      const dry = await exec(process.execPath, [LAUNCHER, 'run', cnn.file, '--dry-run', ...outsideArgs(cnn.dir)]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/input +\[28, 28, 1\]/);
      expect(dry.stdout).toMatch(/5 dense +\[10\] +13530/);
      expect(existsSync(join(cnn.dir, 'runs'))).toBe(false);

      // a conv layer on [timesteps, features] windows
      const onSequences = writeDefinition(CNN_MODEL, 'blinkStream({ windowLength: 9 })');
      for (const extra of [[], ['--dry-run']]) {
        const refused = await exec(process.execPath, [
          LAUNCHER,
          'run',
          onSequences.file,
          ...extra,
          ...outsideArgs(onSequences.dir),
        ]);
        expect(refused.code).toBe(2);
        expect(refused.stderr).toContain('models that do not fit the data');
        expect(refused.stderr).toContain(
          'model.layers.0: conv2d needs [height, width, channels] input (rank 3), got [9, 2]',
        );
        expect(existsSync(join(onSequences.dir, 'runs'))).toBe(false);
      }
    },
  );
});

describe('the same CNN definition in this process', () => {
  it('trains on cpu and on wasm from one seed to the same losses and metrics', { timeout: 120_000 }, async () => {
    // 16 images, two steps: the cpu backend's JavaScript convolutions are slow, and agreement needs no more
    const definition = defineExperiment({
      name: 'cnn',
      description: 'the acceptance CNN on 16 MNIST images',
      data: mnist({ limit: 16 }),
      labels: { digit: oneHot(10) },
      model: sequential({ layers: CNN_LAYERS }),
      loss: categoricalCrossentropy(),
      optimizer: adamw({ learningRate: 0.01, weightDecay: 0.01 }),
      train: { epochs: 1, batchSize: 8 },
      evaluation: classification({ split: 'test', target: 'digit' }),
      seeds: [0],
      variants: { cnn: {} },
    });
    const resolved = resolveExperiment(definition, 'cnn.ts');
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
    const { definition: checked, variants } = resolved.right;
    const records: RunRecord[] = [];
    for (const name of ['cpu', 'wasm'] as const) {
      const backend = await selectBackend({ requested: name });
      const before = liveTensorCount();
      const outcome = await runOne(
        { definition: checked, variant: variants[0]!, seed: 0 },
        { runsDir: join(folders.make(), 'runs'), backend },
      );
      if (E.isLeft(outcome)) throw new Error(`${outcome.left.tag}: ${outcome.left.message}`);
      expect(liveTensorCount(), `tensors left by the ${name} run`).toBe(before);
      records.push(outcome.right.record);
    }
    const [cpu, wasm] = records as [RunRecord, RunRecord];
    expect([cpu.environment.backend, wasm.environment.backend]).toEqual(['cpu', 'wasm']);
    const loss = (record: RunRecord) => record.history[0]!.loss;
    expect(Math.abs(loss(wasm) - loss(cpu)) / loss(cpu)).toBeLessThan(1e-5);
    expect(Math.abs(wasm.evaluation.metrics.loss! - cpu.evaluation.metrics.loss!)).toBeLessThan(1e-4);
    expect(wasm.evaluation.metrics.accuracy).toBe(cpu.evaluation.metrics.accuracy);
  });
});

describe('model shapes, checked before any run', () => {
  const base = {
    name: 'shapes',
    description: 'shape checks',
    variants: { only: {} },
    labels: { digit: oneHot(10) },
    loss: categoricalCrossentropy(),
    optimizer: sgd(0.1),
    train: { epochs: 1, batchSize: 8 },
    evaluation: classification({ split: 'test', target: 'digit' }),
    seeds: [0],
  };
  const problemsOf = async (definition: ReturnType<typeof defineExperiment>) => {
    const resolved = resolveExperiment(definition, 'shapes.ts');
    if (E.isLeft(resolved)) return resolved.left.problems;
    return (await modelShapes(resolved.right, registry, process.cwd())).problems;
  };

  it('refuses an lstm on images, naming the layer and both shapes', async () => {
    const definition = defineExperiment({
      ...base,
      data: mnist({ limit: 8 }),
      model: lstm({ layers: [{ units: 4 }], output: { units: 10, activation: 'softmax' } }),
    });
    expect(await problemsOf(definition)).toEqual([
      'model.layers.0: lstm needs [timesteps, features] input (rank 2), got [28, 28, 1]',
    ]);
  });

  it('refuses an output width that is not the target block’s, naming the output layer and both widths', async () => {
    const definition = defineExperiment({
      ...base,
      data: mnist({ limit: 8 }),
      model: {
        kind: 'sequential',
        layers: [
          { kind: 'flatten' },
          { kind: 'dense', units: 4, activation: 'softmax' },
          { kind: 'dropout', rate: 0.1 },
        ],
      },
    });
    expect(await problemsOf(definition)).toContain(
      'model.layers.1.units: the model outputs 4 columns but the whole label has width 10',
    );
    const sliceOf = defineExperiment({ ...definition, loss: sliced(categoricalCrossentropy(), { target: 'digit' }) });
    expect((await problemsOf(sliceOf))[0]).toMatch(/^model\.layers\.1\.units: the model outputs 4 columns but/);
  });

  it('refuses a pooling layer whose output would be empty (stock wasm AvgPool crashes on it), naming its index', async () => {
    const definition = defineExperiment({
      ...base,
      data: mnist({ limit: 8 }),
      model: sequential({
        layers: [
          { kind: 'conv2d', filters: 4, kernelSize: [3, 28] },
          { kind: 'averagePooling2d', poolSize: 2 },
          { kind: 'flatten' },
          { kind: 'dense', units: 10, activation: 'softmax' },
        ],
      }),
    });
    expect(await problemsOf(definition)).toEqual([
      'model.layers.1: averagePooling2d with a 2×2 window on [26, 1, 4] leaves nothing (padding "valid")',
    ]);
    // the same window with same padding keeps one column: ceil(1 / 2) = 1
    const padded = defineExperiment({
      ...definition,
      model: sequential({
        layers: [
          { kind: 'conv2d', filters: 4, kernelSize: [3, 28] },
          { kind: 'averagePooling2d', poolSize: 2, padding: 'same' },
          { kind: 'flatten' },
          { kind: 'dense', units: 10, activation: 'softmax' },
        ],
      }),
    });
    expect(await problemsOf(padded)).toEqual([]);
  });

  it('refuses a model whose output is not one row per sample, naming its last layer and the shape', async () => {
    const definition = defineExperiment({
      ...base,
      data: mnist({ limit: 8 }),
      model: { kind: 'sequential', layers: [{ kind: 'conv2d', filters: 10, kernelSize: 28, activation: 'softmax' }] },
    });
    expect(await problemsOf(definition)).toEqual([
      'model.layers.0: the model outputs [1, 1, 10] per sample, and a loss reads [width] (flatten or pool first)',
    ]);
    // a sequence model on sequences is fine
    const onWindows = defineExperiment({
      ...base,
      labels: { blink: oneHot(2) },
      data: blinkStream({ windowLength: 9 }),
      model: lstm({ layers: [{ units: 4 }], output: { units: 2, activation: 'softmax' } }),
      evaluation: classification({ split: 'test', target: 'blink' }),
    });
    expect(await problemsOf(onWindows)).toEqual([]);
  });
});
