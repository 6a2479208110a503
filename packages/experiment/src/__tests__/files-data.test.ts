import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@losslab/schema';
import { temporaryFolders } from '@losslab/test-utils';
import { npyBytes, npzBytes, writeShapeImages } from '@losslab/test-utils/images';
import { adam, categoricalCrossentropy, classification, imageFolder, mlp, npy, oneHot } from '../builders.js';
import { loadData } from '../pipeline.js';
import { registry } from '../kinds/index.js';
import { exec, LAUNCHER } from './outside-definition.js';

/**
 * Users' files as they sit on disk, in a folder outside the repository, run with `losslab run`:
 * a folder of PNG and JPEG images in class sub-folders, and a NumPy `.npz` archive.
 */

const folders = temporaryFolders('losslab-files-');

const IMAGE_DEFINITION = `import { adam, categoricalCrossentropy, classification, defineExperiment, imageFolder, mlp, oneHot, standardize } from '@losslab/experiment';

export default defineExperiment({
  name: 'shapes',
  description: 'bars, dots and rings drawn as PNG and JPEG files',
  data: imageFolder({ dir: 'images', size: [12, 12], channels: 1 }),
  transforms: [standardize()],
  labels: { shape: oneHot(['bars', 'dots', 'rings']) },
  model: mlp({ hidden: [{ units: 8, activation: 'relu' }], output: { units: 3, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam(),
  train: {
    epochs: 2,
    batchSize: 3,
    augment: [{ kind: 'horizontalFlip' }, { kind: 'randomCrop', padding: 1 }, { kind: 'gaussianNoise', stddev: 0.05 }],
  },
  evaluation: classification({ split: 'test', target: 'shape' }),
  seeds: [0],
  variants: { plain: {} },
});
`;

const NPZ_DEFINITION = `import { adam, categoricalCrossentropy, classification, defineExperiment, mlp, npz, oneHot } from '@losslab/experiment';

export default defineExperiment({
  name: 'table',
  description: 'features and class ids exported from NumPy',
  data: npz({ file: 'table.npz', splits: { train: { x: 'x_train', y: 'y_train' }, test: { x: 'x_test', y: 'y_test' } } }),
  labels: { label: oneHot(3) },
  model: mlp({ hidden: [], output: { units: 3, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam({ learningRate: 0.05 }),
  train: { epochs: 3, batchSize: 4 },
  evaluation: classification({ split: 'test', target: 'label' }),
  seeds: [0],
  variants: { plain: {} },
});
`;

const recordIn = (runs: string, experiment: string): RunRecord => {
  const [folder] = readdirSync(join(runs, experiment));
  return JSON.parse(readFileSync(join(runs, experiment, folder!, 'record.json'), 'utf8')) as RunRecord;
};

describe('data files from outside the repository', () => {
  it('`npx losslab run` trains on an image folder (standardized, augmented), recording what it read', async () => {
    const dir = folders.make();
    writeShapeImages(join(dir, 'images'));
    const file = join(dir, 'shapes.ts');
    writeFileSync(file, IMAGE_DEFINITION);
    const { code, stdout, stderr } = await exec('npx', ['losslab', 'run', file]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('1/1 run(s) complete');
    const record = recordIn(join(dir, 'runs'), 'shapes');
    expect(record.history).toHaveLength(2);
    expect(record.evaluation.classNames).toEqual(['bars', 'dots', 'rings']);
    expect(record.evaluation.size).toBe(6);
    const fingerprint = record.dataFingerprint;
    expect(Object.keys(fingerprint).sort()).toEqual(
      [
        'augment',
        'imageFolder.classes',
        'images/test',
        'images/train',
        // the rows each split holds after the transforms
        'test.drawn',
        'train.drawn',
        'test.rows',
        'train.rows',
        'transforms',
        'transforms[0].mean',
        'transforms[0].std',
      ].sort(),
    );
    expect([fingerprint['train.rows'], fingerprint['test.rows']]).toEqual(['9', '6']);
    expect(fingerprint['imageFolder.classes']).toBe('["bars","dots","rings"]');
    const [mean] = JSON.parse(fingerprint['transforms[0].mean']!) as number[];
    expect(mean).toBeGreaterThan(0);
    expect(mean).toBeLessThan(1);
  });

  it('a corrupt image stops the run with its file name; a missing split folder is caught by --dry-run', async () => {
    const dir = folders.make();
    writeShapeImages(join(dir, 'images'));
    writeFileSync(join(dir, 'images', 'train', 'dots', 'broken-scan.png'), 'PNG? no.');
    const file = join(dir, 'shapes.ts');
    writeFileSync(file, IMAGE_DEFINITION);
    // in-process, as the run's load-data phase does (the CLI test above shows the same path end to end)
    const spec = { data: imageFolder({ dir: 'images', size: [12, 12], channels: 1 }) };
    await expect(registry.data.get('imageFolder').load(spec.data, { baseDir: dir })).rejects.toThrow(
      `${join(dir, 'images', 'train', 'dots', 'broken-scan.png')}: not a readable PNG image`,
    );
    rmSync(join(dir, 'images', 'test'), { recursive: true });
    const dry = await exec(process.execPath, [LAUNCHER, 'run', file, '--dry-run']);
    expect(dry.code).not.toBe(0);
    expect(dry.stdout + dry.stderr).toContain(
      `data.splits.test: cannot read ${join(dir, 'images', 'test')} (no such file`,
    );
  });

  it('`losslab run` trains on an .npz archive of features and integer class ids', async () => {
    const dir = folders.make();
    // three separable classes of 2 features: class c sits around (c, −c)
    const points = (n: number, offset: number) =>
      Array.from({ length: n }, (_, i) => {
        const c = i % 3;
        return [c + 0.1 * ((i + offset) % 2), -c, c] as const;
      });
    const train = points(12, 0);
    const test = points(6, 1);
    const table = npzBytes({
      x_train: npyBytes(
        '<f4',
        [12, 2],
        train.flatMap(([a, b]) => [a, b]),
      ),
      y_train: npyBytes(
        '<i8',
        [12],
        train.map(([, , c]) => c),
      ),
      x_test: npyBytes(
        '<f4',
        [6, 2],
        test.flatMap(([a, b]) => [a, b]),
      ),
      y_test: npyBytes(
        '<i8',
        [6],
        test.map(([, , c]) => c),
      ),
    });
    writeFileSync(join(dir, 'table.npz'), table);
    const file = join(dir, 'table.ts');
    writeFileSync(file, NPZ_DEFINITION);
    const { code, stderr } = await exec('npx', ['losslab', 'run', file]);
    expect(code, stderr).toBe(0);
    const record = recordIn(join(dir, 'runs'), 'table');
    expect(record.dataFingerprint['table.npz']).toMatch(/^[0-9a-f]{64}$/);
    expect([record.dataFingerprint['train.rows'], record.dataFingerprint['test.rows']]).toEqual(['12', '6']);
    expect(record.history).toHaveLength(3);
    expect(record.history[2]!.loss).toBeLessThan(record.history[0]!.loss);
  });

  it('standardize measures each channel of train only and applies those statistics to every split', () => {
    const entry = registry.transforms.get('standardize');
    const rows = (values: number[]) => ({
      features: Float32Array.from(values),
      featureShape: [1, 2],
      classIds: new Int32Array(values.length / 2),
      columns: {},
      size: values.length / 2,
    });
    // train channel 0: 0, 2, 4 → mean 2, std √(8/3); channel 1: 1, 1, 1 → mean 1, std 0 (only centred)
    const splits = { train: rows([0, 1, 2, 1, 4, 1]), test: rows([2, 3]) };
    expect(entry.recorded?.({ kind: 'standardize' }, splits)).toEqual({
      mean: '[2,1]',
      std: `[${Math.sqrt(8 / 3)},0]`,
    });
    const out = entry.apply({ kind: 'standardize' }, splits, { seed: 0 });
    const s = Math.sqrt(8 / 3);
    expect(Array.from(out.train!.features)).toEqual(Array.from(Float32Array.of(-2 / s, 0, 0, 0, 2 / s, 0)));
    // test uses train's statistics, not its own (which would give 0, 0)
    expect(Array.from(out.test!.features)).toEqual([0, 2]);
  });

  it('the npy kind reads one file per array, labels as one-hot rows', async () => {
    const dir = folders.make();
    writeFileSync(join(dir, 'x.npy'), npyBytes('|u1', [2, 2, 1], [0, 255, 51, 102]));
    writeFileSync(join(dir, 'y.npy'), npyBytes('<f4', [2, 3], [0, 0, 1, 1, 0, 0]));
    const data = npy({ splits: { train: { x: 'x.npy', y: 'y.npy' } }, scale: { divideBy: 255 } });
    const loaded = await registry.data.get('npy').load(data, { baseDir: dir });
    const train = loaded.splits.train!;
    expect(train.featureShape).toEqual([2, 1]);
    expect(Array.from(train.features)).toEqual(Array.from(Float32Array.of(0, 1, 0.2, 0.4)));
    expect(Array.from(train.classIds)).toEqual([2, 0]);
    expect(Object.keys(loaded.fingerprint)).toEqual(['x.npy', 'y.npy']);
  });

  it('holdout carves validation and test from one folder by seeded fractions of all its images', async () => {
    const dir = folders.make();
    writeShapeImages(join(dir, 'images'), 6);
    const entry = registry.data.get('imageFolder');
    const spec = imageFolder({
      dir: 'images',
      channels: 1,
      splits: { train: 'train' },
      holdout: { validation: 1 / 3, test: 1 / 6 },
    });
    expect(entry.provides(spec).splits).toEqual(['train', 'validation', 'test']);
    const { splits } = await entry.load(spec, { baseDir: dir });
    // 18 images: 6 validation, 3 test, 9 train; disjoint
    expect([splits.train?.size, splits.validation?.size, splits.test?.size]).toEqual([9, 6, 3]);
    const again = await entry.load(spec, { baseDir: dir });
    expect(again.splits.test?.features).toEqual(splits.test?.features);
    expect(
      entry.problems?.(imageFolder({ dir: 'images', channels: 1, holdout: { test: 0.2, validation: 0.8 } })),
    ).toEqual([
      'holdout.test: the test split already has a folder (splits.test, by default); carve it or read it, not both',
      'holdout: validation + test = 1; expected less than 1',
    ]);
  });

  it("a oneHot block that names the classes must list the image folders' classes in class-id order", async () => {
    const dir = folders.make();
    writeShapeImages(join(dir, 'images'), 1);
    const spec = {
      data: imageFolder({ dir: 'images', channels: 1, size: [12, 12] }),
      labels: { shape: oneHot(['dots', 'bars', 'rings']) },
      model: mlp({ hidden: [], output: { units: 3, activation: 'softmax' } }),
      loss: categoricalCrossentropy(),
      optimizer: adam(),
      train: { epochs: 1, batchSize: 1 },
      evaluation: classification({ split: 'test', target: 'shape' }),
    };
    await expect(loadData(spec, registry, { baseDir: dir, seed: 0 })).rejects.toThrow(
      "labels.shape: classes [dots, bars, rings] are not the data's classes in class-id order [bars, dots, rings]",
    );
    const loaded = await loadData({ ...spec, labels: { shape: oneHot(['bars', 'dots', 'rings']) } }, registry, {
      baseDir: dir,
      seed: 0,
    });
    expect(loaded.classNames).toEqual({ shape: ['bars', 'dots', 'rings'] });
  });
});
