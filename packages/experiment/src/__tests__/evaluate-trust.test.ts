import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, sha256Hex, type BackendInfo } from '@losslab/runtime';
import type { RunRecord } from '@losslab/schema';
import { rejectionOf } from '@losslab/test-utils';
import { evaluateRunFolder, resolveExperiment, runOne, type ExperimentDefinition, type RunOutcome } from '../index.js';
import { tinyMnistOdd } from './fixtures.js';

let backend: BackendInfo;
let root = '';
let run: RunOutcome;
let other: RunOutcome;

async function runTiny(definition: ExperimentDefinition, runsDir: string): Promise<RunOutcome> {
  const resolved = resolveExperiment(definition, 'fixture');
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  const outcome = await runOne(
    { definition: resolved.right.definition, variant: resolved.right.variants[0]!, seed: 0 },
    { runsDir, backend, reuse: false },
  );
  if (E.isLeft(outcome)) throw new Error(outcome.left.message);
  return outcome.right;
}

beforeAll(async () => {
  backend = await selectBackend({ requested: 'cpu' });
  root = mkdtempSync(join(tmpdir(), 'losslab-evaluate-trust-'));
  run = await runTiny(tinyMnistOdd(), join(root, 'project', 'runs'));
  // another run whose model has another shape (16 hidden units instead of 8)
  other = await runTiny(
    tinyMnistOdd({
      model: {
        kind: 'mlp',
        hidden: [{ units: 16, activation: 'relu' }],
        output: { units: 10, activation: 'softmax' },
      } as ExperimentDefinition['model'],
    }),
    join(root, 'other', 'runs'),
  );
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A copy of the run folder, inside the same project (runs/<experiment>/<copy>), changed by `change`. */
function copyOfRun(change: (folder: string) => void): string {
  const folder = join(root, 'project', 'runs', 'tiny-mnist-odd', `copy-${++copies}`);
  cpSync(run.folder, folder, { recursive: true });
  change(folder);
  return folder;
}

const recordOf = (folder: string) => JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as RunRecord;
const writeRecord = (folder: string, record: unknown) =>
  writeFileSync(join(folder, 'record.json'), JSON.stringify(record));
const recordedSha = (name: string) => run.record.model!.files.find((f) => f.path === name)!.sha256;

describe('evaluate checks what it loads against the record', () => {
  it('evaluates an unchanged run folder, identical to the record', async () => {
    const { matchesRecord } = await evaluateRunFolder(run.folder);
    expect(matchesRecord).toBe(true);
  });

  it('(7) refuses weights.bin with one byte changed, naming the file and both sha256s', async () => {
    const folder = copyOfRun((folder) => {
      const weights = readFileSync(join(folder, 'weights.bin'));
      weights[0] = weights[0]! ^ 1;
      writeFileSync(join(folder, 'weights.bin'), weights);
    });
    const found = sha256Hex(readFileSync(join(folder, 'weights.bin')));
    const error = await rejectionOf(evaluateRunFolder(folder));
    expect(error.message).toBe(
      `${join(folder, 'weights.bin')}: sha256 expected ${recordedSha('weights.bin')} (the record's), found ${found}: not the file this run saved`,
    );
  });

  it('(8) refuses another run’s model files, naming the file instead of a tfjs shape error', async () => {
    for (const files of [['weights.bin'], ['model.json', 'weights.bin']]) {
      const folder = copyOfRun((folder) => {
        for (const file of files) cpSync(join(other.folder, file), join(folder, file));
      });
      const error = await rejectionOf(evaluateRunFolder(folder));
      const named = files[0]!;
      expect(error.message).toBe(
        `${join(folder, named)}: sha256 expected ${recordedSha(named)} (the record's), found ${sha256Hex(readFileSync(join(other.folder, named)))}: not the file this run saved`,
      );
    }
  });

  it('refuses a symbolic link in place of record.json or of weights.bin, naming it', async () => {
    const linkedRecord = copyOfRun((folder) => {
      rmSync(join(folder, 'record.json'));
      symlinkSync(join(run.folder, 'record.json'), join(folder, 'record.json'));
    });
    expect((await rejectionOf(evaluateRunFolder(linkedRecord))).message).toBe(
      `${join(linkedRecord, 'record.json')}: is a symbolic link; losslab reads only regular files in a run folder`,
    );
    const linkedWeights = copyOfRun((folder) => {
      rmSync(join(folder, 'weights.bin'));
      symlinkSync(join(run.folder, 'weights.bin'), join(folder, 'weights.bin'));
    });
    expect((await rejectionOf(evaluateRunFolder(linkedWeights))).message).toContain(
      `${join(linkedWeights, 'weights.bin')}: is a symbolic link`,
    );
  });
});

describe('(9) evaluate imports the definition file a record names only from where the run was made, with its sha256', () => {
  /** A planted record: an unknown loss kind (so the file would be imported) and a definition file that leaves a mark. */
  function planted(file: string, sha256?: string): string {
    const marker = `${file}.ran`;
    writeFileSync(file, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    return copyOfRun((folder) => {
      const record = recordOf(folder);
      writeRecord(folder, {
        ...record,
        runId: basename(folder),
        definition: { ...(record.definition as object), loss: { kind: 'plantedLoss' } },
        environment: {
          ...record.environment,
          definitionFile: { path: file, sha256: sha256 ?? sha256Hex(readFileSync(file)), git: 'outside-repository' },
        },
      });
    });
  }

  it('refuses a file outside the working folder and the run’s project, even with the recorded sha256', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'losslab-elsewhere-'));
    try {
      const file = join(elsewhere, 'evil.ts');
      const folder = planted(file);
      const error = await rejectionOf(evaluateRunFolder(folder));
      expect(error.message).toContain(`${file}: the definition file ${join(folder, 'record.json')} names lies outside`);
      expect(error.message).toContain('losslab imports no file a record names from elsewhere');
      expect(existsSync(`${file}.ran`)).toBe(false);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses a file in the run’s project whose sha256 is not the recorded one, naming both hashes', async () => {
    const file = join(root, 'project', 'changed.ts');
    const folder = planted(file, 'f'.repeat(64));
    const error = await rejectionOf(evaluateRunFolder(folder));
    expect(error.message).toBe(
      `${file}: sha256 expected ${'f'.repeat(64)} (${join(folder, 'record.json')}), found ${sha256Hex(readFileSync(file))}: not the definition file the run was made from, so it is not imported`,
    );
    expect(existsSync(`${file}.ran`)).toBe(false);
  });

  it('takes the run’s project for one only when the folder is <runs>/<experiment>/<run id> of its record', async () => {
    const file = join(root, 'project', 'misplaced.ts');
    const folder = planted(file);
    const record = recordOf(folder);
    writeRecord(folder, { ...record, runId: 'another-run' });
    const error = await rejectionOf(evaluateRunFolder(folder));
    expect(error.message).toContain(`${file}: the definition file ${join(folder, 'record.json')} names lies outside`);
    expect(existsSync(`${file}.ran`)).toBe(false);
  });

  it('imports the file in the run’s project with the recorded sha256', async () => {
    const file = join(root, 'project', 'kinds.ts');
    const folder = planted(file);
    // imported (it leaves its mark), then refused by the definition loader: it exports no definition
    expect((await rejectionOf(evaluateRunFolder(folder))).message).toContain(`${file}: expected a default export`);
    expect(existsSync(`${file}.ran`)).toBe(true);
  });
});
