import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { writeIdx } from '@losslab/data/node';
import { RunRecord } from '@losslab/schema';
import { temporaryFolders } from '@losslab/test-utils';
import { exec } from './outside-definition.js';

/**
 * The open framework, end to end, as a new user meets it: a folder outside the repository with
 * its own gzipped IDX files and a CSV file, a definition that subsamples one class to 5%, a loss
 * and a data source registered by the user's own module, run with `npx losslab run <file>`.
 */

const CLASSES = ['ring', 'bar', 'dot'];
const SIDE = 6;

/** Images of class c light up row 2c and 2c + 1 (plus a little seeded noise), so they are learnable. */
function images(perClass: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  const count = perClass * CLASSES.length;
  const pixels = new Uint8Array(count * SIDE * SIDE);
  const labels = new Uint8Array(count);
  let state = seed;
  const noise = () => (state = (state * 1103515245 + 12345) % 2147483648) % 40;
  for (let i = 0; i < count; i++) {
    const c = i % CLASSES.length;
    labels[i] = c;
    for (let p = 0; p < SIDE * SIDE; p++) {
      const row = Math.floor(p / SIDE);
      pixels[i * SIDE * SIDE + p] = (row === 2 * c || row === 2 * c + 1 ? 200 : 0) + noise();
    }
  }
  return { pixels, labels };
}

async function writeSplit(dir: string, split: string, perClass: number, seed: number): Promise<void> {
  const { pixels, labels } = images(perClass, seed);
  await writeIdx(
    join(dir, `${split}-images.gz`),
    { dtype: 'uint8', shape: [labels.length, SIDE, SIDE], data: pixels },
    { gzip: true },
  );
  await writeIdx(
    join(dir, `${split}-labels.gz`),
    { dtype: 'uint8', shape: [labels.length], data: labels },
    { gzip: true },
  );
}

const README = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../../README.md'), 'utf8');

/** The README's ```ts block that starts with `// <name>`: the test runs exactly what a reader copies. */
function readmeFile(name: string): string {
  const block = [...README.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .find((code) => code.startsWith(`// ${name}\n`));
  if (block === undefined) throw new Error(`README.md has no ts block starting with "// ${name}"`);
  return block;
}

/** 60 points, "x,y,shape" with a quoted header and names, three well-separated clusters. */
function pointsCsv(): string {
  const lines = ['"x","y","shape"'];
  for (let i = 0; i < 60; i++) {
    const c = i % 3;
    lines.push(`${(c * 2 + ((i * 7) % 5) / 10).toFixed(2)},${(c - ((i * 3) % 4) / 10).toFixed(2)},"${CLASSES[c]}"`);
  }
  return `${lines.join('\n')}\n`;
}

const userFolders = temporaryFolders('losslab-user-');

async function userFolder(): Promise<{ dir: string; file: string; runs: string; reports: string }> {
  const dir = userFolders.make();
  mkdirSync(join(dir, 'data'));
  await writeSplit(join(dir, 'data'), 'train', 60, 1);
  await writeSplit(join(dir, 'data'), 'test', 20, 2);
  writeFileSync(join(dir, 'points.csv'), pointsCsv());
  writeFileSync(join(dir, 'kinds.ts'), readmeFile('kinds.ts'));
  const file = join(dir, 'shapes.ts');
  writeFileSync(file, readmeFile('shapes.ts'));
  return { dir, file, runs: join(dir, 'runs'), reports: join(dir, 'reports') };
}

const recordsIn = (runs: string): RunRecord[] =>
  readdirSync(join(runs, 'shapes')).map((folder) => {
    const decoded = RunRecord.decode(JSON.parse(readFileSync(join(runs, 'shapes', folder, 'record.json'), 'utf8')));
    if (E.isLeft(decoded)) throw new Error(`invalid record in ${folder}`);
    return decoded.right;
  });

describe("the README's own experiment, from its own folder", () => {
  it(
    'runs own IDX and CSV data, a subsampled class, a user loss and a user data kind; records and report show per-class results',
    { timeout: 180_000 },
    async () => {
      const user = await userFolder();
      const run = await exec('npx', [
        'losslab',
        'run',
        user.file,
        '--set',
        'loss.scale=2',
        `--runs-dir=${user.runs}`,
        `--reports-dir=${user.reports}`,
      ]);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);

      const records = new Map(recordsIn(user.runs).map((record) => [record.variant, record]));
      expect([...records.keys()].sort()).toEqual(['images', 'points']);
      const images = records.get('images')!;
      const points = records.get('points')!;
      // The user loss is validated, overridden from the command line and recorded like a built-in.
      expect(images.definition).toMatchObject({ loss: { kind: 'scaledCrossentropy', scale: 2 } });
      // IDX: both gzipped pairs fingerprinted; 5% of the 60 dots (3) kept beside 60 rings and 60 bars.
      expect(Object.keys(images.dataFingerprint)).toEqual(
        expect.arrayContaining(['train-images.gz', 'train-labels.gz', 'test-images.gz', 'test-labels.gz']),
      );
      expect(images.dataFingerprint['train.rows']).toBe('123');
      expect(images.evaluation.perClass?.map((c) => [c.name, c.support])).toEqual([
        ['ring', 20],
        ['bar', 20],
        ['dot', 20],
      ]);
      // The user data kind: 30 test rows of the CSV, its file fingerprinted by the user's code.
      expect(points.definition).toMatchObject({ data: { kind: 'alternatingCsv', file: 'points.csv' } });
      expect(points.dataFingerprint['points.csv']).toMatch(/^[0-9a-f]{64}$/);
      expect(points.evaluation.size).toBe(30);
      expect(points.evaluation.confusion?.flat().reduce((a, b) => a + b, 0)).toBe(30);

      const report = readFileSync(join(user.reports, 'shapes', 'report.md'), 'utf8');
      expect(report).toMatch(/Per-class/);
      for (const name of CLASSES) expect(report).toContain(`| ${name} |`);
      expect(report).toContain('recall of class dot');

      // The saved model of a run of user kinds evaluates again without training: the definition
      // file the record names registers its kinds first.
      const pointsRun = readdirSync(join(user.runs, 'shapes')).find((folder) => folder.includes('-points-'))!;
      const again = await exec('npx', ['losslab', 'evaluate', join(user.runs, 'shapes', pointsRun)]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('identical to the recorded evaluation');
    },
  );

  it('rejects a bad user setting by path before anything runs', { timeout: 120_000 }, async () => {
    const user = await userFolder();
    const run = await exec('npx', ['losslab', 'run', user.file, '--set', 'loss.scale=-1', `--runs-dir=${user.runs}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('loss.scale: expected a positive number, got -1');
    const dry = await exec('npx', ['losslab', 'run', user.file, '--dry-run', `--runs-dir=${user.runs}`]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('"kind": "scaledCrossentropy"');
    expect(existsSync(user.runs)).toBe(false);
  });
});
