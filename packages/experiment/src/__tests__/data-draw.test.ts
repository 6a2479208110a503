import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  carveSplit,
  longTail as longTailRows,
  longTailCounts,
  subsampleClasses,
  type LabelledRows,
} from '@losslab/data';
import { deriveSeed } from '@losslab/runtime';
import type { RunRecord, TransformSpec } from '@losslab/schema';
import { temporaryFolders } from '@losslab/test-utils';
import { carveValidation, longTail, subsample } from '../index.js';
import { createRegistry } from '../kinds/index.js';
import { loadData } from '../pipeline.js';
import { sourceFingerprint } from '../queue/data-check.js';
import { resolveExperiment } from '../resolve.js';
import { tinyMnistOdd } from './fixtures.js';
import { exec, LAUNCHER } from './outside-definition.js';

const registry = createRegistry();

function specWith(transforms: TransformSpec[]) {
  const resolved = resolveExperiment(tinyMnistOdd({ transforms }), 'test.ts');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  return resolved.right.variants[0]!.spec;
}

/** The 256 training rows of the fixture as the data source reads them, before any transform. */
async function rawTrain(): Promise<LabelledRows> {
  const spec = specWith([]);
  const loaded = await registry.data.get(spec.data.kind).load(spec.data, { baseDir: process.cwd() });
  return loaded.splits.train!;
}

/** Each seeded transform: unseeded, seeded, and what the data package draws with a given seed. */
const TRANSFORMS: readonly {
  readonly name: string;
  readonly make: (seed?: number) => TransformSpec;
  readonly draw: (rows: LabelledRows, seed: number) => LabelledRows;
}[] = [
  {
    name: 'subsample',
    make: (seed) => subsample({ classes: [1, 3], keep: 0.5, ...(seed === undefined ? {} : { seed }) }),
    draw: (rows, seed) => subsampleClasses(rows, { classes: [1, 3], keep: 0.5, seed }),
  },
  {
    name: 'longTail',
    make: (seed) => longTail({ ratio: 4, ...(seed === undefined ? {} : { seed }) }),
    draw: (rows, seed) => longTailRows(rows, { ratio: 4, seed }),
  },
  {
    name: 'carveValidation',
    make: (seed) => carveValidation({ fraction: 0.25, ...(seed === undefined ? {} : { seed }) }),
    draw: (rows, seed) => carveSplit(rows, { fraction: 0.25, seed }).rest,
  },
];

describe('seeded transforms and the run seed', () => {
  it.each(TRANSFORMS)(
    '$name: each run seed draws anew from deriveSeed(seed, "data", position); a declared seed draws the same rows for every run seed',
    async ({ make, draw }) => {
      const raw = await rawTrain();
      const unseeded = specWith([make()]);
      const [zero, one] = await Promise.all([0, 1].map((seed) => loadData(unseeded, registry, { seed })));
      // two run seeds, two draws: other rows, another fingerprint
      expect(Array.from(zero!.splits.train!.features)).not.toEqual(Array.from(one!.splits.train!.features));
      expect(zero!.fingerprint['train.drawn']).toMatch(/^[0-9a-f]{64}$/);
      expect(zero!.fingerprint['train.drawn']).not.toBe(one!.fingerprint['train.drawn']);
      // the draw of run seed 1 is the data package's draw with the documented derived seed
      expect(Array.from(one!.splits.train!.features)).toEqual(Array.from(draw(raw, deriveSeed(1, 'data', 0)).features));

      const fixed = specWith([make(7)]);
      const [a, b] = await Promise.all([0, 1].map((seed) => loadData(fixed, registry, { seed })));
      expect(a!.fingerprint['train.drawn']).toBe(b!.fingerprint['train.drawn']);
      // the declared seed is used as it is: the data package's draw with seed 7, whatever the run seed
      expect(Array.from(b!.splits.train!.features)).toEqual(Array.from(draw(raw, 7).features));
      expect(a!.fingerprint.transforms).not.toBe(zero!.fingerprint.transforms);
    },
  );

  it('the drawn fingerprint names the rows, not how they were drawn; counts are per class after the transforms', async () => {
    // keep: 1 keeps every row whatever the seed: the same rows, the same fingerprint
    const all = specWith([subsample({ classes: [1], keep: 1 })]);
    const [zero, one] = await Promise.all([0, 1].map((seed) => loadData(all, registry, { seed })));
    expect(zero!.fingerprint['train.drawn']).toBe(one!.fingerprint['train.drawn']);
    // the source's 256 rows have these counts per digit; the long tail keeps round(n_min · 4^(−i/9))
    const raw = await rawTrain();
    const rawCounts = Array.from({ length: 10 }, (_, d) => raw.classIds.filter((id) => id === d).length);
    const tailed = await loadData(specWith([longTail({ ratio: 4 })]), registry, { seed: 3 });
    expect(tailed.trainingCounts).toEqual({ digit: longTailCounts(Math.min(...rawCounts), 10, 4) });
    // the queue fingerprints a data source once for all seeds; each seed's record agrees on those entries
    const tail = specWith([longTail({ ratio: 4 })]);
    const submitted = await sourceFingerprint(tail, registry, process.cwd());
    for (const seed of [0, 1]) {
      const recorded = (await loadData(tail, registry, { seed })).fingerprint;
      expect(Object.fromEntries(Object.keys(submitted).map((name) => [name, recorded[name]]))).toEqual(submitted);
    }
    // no transforms: nothing drawn, no drawn fingerprint (old runs' fingerprints stay as they were)
    expect(Object.keys((await loadData(specWith([]), registry, { seed: 0 })).fingerprint)).not.toContain('train.drawn');
  });
});

const DEFINITION = `import {
  adam,
  categoricalCrossentropy,
  classification,
  defineExperiment,
  longTail,
  mlp,
  mnist,
  oneHot,
  weighted,
} from '@losslab/experiment';

export default defineExperiment({
  name: 'draws',
  description: 'a long tail drawn per run seed, or fixed',
  data: mnist({ limit: 256 }),
  transforms: [longTail({ ratio: 20 })],
  labels: { digit: oneHot(10) },
  model: mlp({ hidden: [{ units: 4, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: weighted(categoricalCrossentropy(), { per: 'sample', target: 'digit', classWeights: { kind: 'balanced' } }),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 32 },
  evaluation: classification({ split: 'train', target: 'digit' }),
  seeds: [0, 1],
  variants: { drawn: {}, fixed: { transforms: [longTail({ ratio: 20, seed: 5 })] } },
});
`;

const folders = temporaryFolders('losslab-draws-');

describe('losslab run with longTail({ ratio }) and seeds [0, 1]', () => {
  it(
    'gives the two runs different data fingerprints (the same with a fixed seed), and records and reports counts and weights',
    { timeout: 180_000 },
    async () => {
      const dir = folders.make();
      const file = join(dir, 'draws.ts');
      writeFileSync(file, DEFINITION);
      const runs = join(dir, 'runs');
      const reports = join(dir, 'reports');
      const { code, stderr } = await exec(process.execPath, [
        LAUNCHER,
        'run',
        file,
        `--runs-dir=${runs}`,
        `--reports-dir=${reports}`,
      ]);
      expect(code, stderr).toBe(0);
      const records = new Map<string, RunRecord>();
      const runFolders = new Map<string, string>();
      for (const folder of readdirSync(join(runs, 'draws'))) {
        const path = join(runs, 'draws', folder, 'record.json');
        if (!existsSync(path)) continue;
        const record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
        records.set(`${record.variant}/${record.seed}`, record);
        runFolders.set(`${record.variant}/${record.seed}`, join(runs, 'draws', folder));
      }
      const drawn = (key: string) => records.get(key)?.dataFingerprint['train.drawn'];
      expect(drawn('drawn/0')).toMatch(/^[0-9a-f]{64}$/);
      expect(drawn('drawn/0')).not.toBe(drawn('drawn/1'));
      expect(drawn('fixed/0')).toBe(drawn('fixed/1'));

      // the counts after the long tail, and the balanced weights n / (C · n_c) computed from them
      const record = records.get('drawn/1')!;
      const counts = record.training?.classCounts.digit ?? [];
      const total = counts.reduce((sum, n) => sum + n, 0);
      expect(String(total)).toBe(record.dataFingerprint['train.rows']);
      counts.forEach((n, i) => expect(n).toBe(Math.round((counts[0] ?? 0) * 20 ** (-i / 9))));
      expect(record.training?.classWeights).toHaveLength(1);
      const [weights] = record.training?.classWeights ?? [];
      expect(weights?.block).toBe('digit');
      expect(weights?.strategy).toBe('{"kind":"balanced"}');
      weights?.weights.forEach((w, i) => expect(w).toBeCloseTo(total / (10 * (counts[i] ?? 0)), 5));

      // re-evaluating a saved model draws its run's rows again (it evaluated on its own train draw)
      const again = await exec(process.execPath, [LAUNCHER, 'evaluate', runFolders.get('drawn/1')!]);
      expect(again.stdout, again.stderr).toContain('identical to the recorded evaluation');

      const markdown = readFileSync(join(reports, 'draws', 'report.md'), 'utf8');
      expect(markdown).toContain('## Training data');
      expect(markdown).toContain('weight (balanced)');
      expect(markdown).toContain(`| 0 | head | ${counts[0]} |`);
      // each seed drew other rows in each variant: the like-with-like check names the seeds and what differs
      expect(markdown).toMatch(
        /data fingerprint differs for seed 0 \(drawn: train\.drawn: [0-9a-f]{12}, transforms: [0-9a-f]{12}; fixed: train\.drawn: [0-9a-f]{12}, transforms: [0-9a-f]{12}\); for seed 1 \(/,
      );
    },
  );
});
