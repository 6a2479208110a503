import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { parseRunArguments } from '../index.js';
import { exec, LAUNCHER, storedRuns, writeOutsideDefinition, type StoredRun } from './outside-definition.js';
import { runFolders, writeCsvDefinition } from './queue-processes.js';

describe('--parallel=N (alias --jobs=N)', () => {
  it('sets how many runs go at once; the last of the two flags wins; 0 is rejected by its name', () => {
    expect(parseRunArguments(['d.ts']).options?.jobs).toBe(1);
    expect(parseRunArguments(['d.ts', '--parallel=3']).options?.jobs).toBe(3);
    expect(parseRunArguments(['d.ts', '--jobs=2', '--parallel=4']).options?.jobs).toBe(4);
    expect(parseRunArguments(['d.ts', '--parallel', '2', '--jobs=5']).options?.jobs).toBe(5);
    expect(parseRunArguments(['d.ts', '--parallel=0']).problems).toEqual([
      '--parallel: expected a positive integer, got "0"',
    ]);
  });
});

describe('where runs execute', () => {
  const outside = writeOutsideDefinition(temporaryFolders('losslab-outside-').make());
  let inProcess: Map<string, StoredRun> | undefined;

  /** The CLI through its launcher, so the pid of the started process is the CLI's own. */
  const losslab = (parallel: number, runs: string) =>
    exec(process.execPath, [
      LAUNCHER,
      'run',
      outside.file,
      `--parallel=${parallel}`,
      // Three runs: with two workers, one of them runs two, the second on its kept data.
      '--seeds=0,1,2',
      `--runs-dir=${runs}`,
      `--reports-dir=${outside.reports}-${parallel}`,
    ]);

  it('--parallel=1 (the default) runs every run in the CLI process itself, one after another', async () => {
    const { code, stdout, stderr, pid } = await losslab(1, `${outside.runs}-1`);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`in this process (pid ${pid})`);
    expect(stdout).toMatch(/run 1\/3: adam seed 0[\s\S]*run 2\/3: adam seed 1[\s\S]*run 3\/3: adam seed 2/);
    inProcess = storedRuns(`${outside.runs}-1`);
    expect([...inProcess.keys()].sort()).toEqual(['adam/0', 'adam/1', 'adam/2']);
    for (const run of inProcess.values()) {
      expect(run.pid).toBe(pid);
      expect(run.runId.endsWith(`-${pid}`)).toBe(true);
    }
  });

  it('--parallel=2 runs them on two long-lived worker processes and writes the same bytes', async () => {
    const { code, stdout, stderr, pid } = await losslab(2, `${outside.runs}-2`);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('2 worker processes, each running one run after another');
    // Each run's lines carry its label, as the worker writes them.
    expect(stdout).toMatch(/^\[adam s2\] run in worker process \d+ \(its run 2\)$/m);
    const workers = storedRuns(`${outside.runs}-2`);
    expect([...workers.keys()].sort()).toEqual(['adam/0', 'adam/1', 'adam/2']);
    const pids = [...workers.values()].map((run) => run.pid);
    expect(pids).not.toContain(pid);
    expect(pids.filter((p) => p === workers.get('adam/2')?.pid)).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    expect(inProcess).toBeDefined();
    const bytes = (runs: string, run: StoredRun | undefined, file: string) =>
      readFileSync(join(runs, 'anywhere', run?.runId ?? '?', file));
    for (const [key, worker] of workers) {
      const here = inProcess?.get(key);
      expect(worker.definitionHash).toBe(here?.definitionHash);
      expect(worker.history.map((epoch) => epoch.loss)).toEqual(here?.history.map((epoch) => epoch.loss));
      // model.json is left out: it holds TF.js layer names, numbered per process.
      for (const file of ['evaluation.json', 'weights.bin', 'predictions.bin'])
        expect(bytes(`${outside.runs}-2`, worker, file).equals(bytes(`${outside.runs}-1`, here, file)), file).toBe(
          true,
        );
    }
  });
});

describe('--parallel=2 on a definition that registers a kind of its own', () => {
  it("imports the file in each worker (the parent's copy alone lacks the kind) and gives the serial runs' numbers", async () => {
    // Its workers cannot take the definition from the parent (definition-handoff.ts): only
    // importing the file registers the user's loss kind in a worker.
    const dir = temporaryFolders('losslab-user-kind-').make();
    const { file } = writeCsvDefinition(dir);
    const records = async (parallel: number) => {
      const runs = join(dir, `runs-${parallel}`);
      const { code, stderr } = await exec(process.execPath, [
        LAUNCHER,
        'run',
        file,
        `--parallel=${parallel}`,
        '--seeds=0,1',
        `--runs-dir=${runs}`,
        `--reports-dir=${dir}/reports-${parallel}`,
      ]);
      expect(code, stderr).toBe(0);
      const folders = runFolders(runs, 'queued-csv');
      expect([...folders.keys()].sort()).toEqual(['base/0', 'base/1']);
      return new Map(
        [...folders].map(([key, folder]) => {
          const record = JSON.parse(readFileSync(join(folder, 'record.json'), 'utf8')) as {
            codeFingerprint: string;
            history: { loss: number }[];
            evaluation: { metrics: Record<string, number> };
          };
          return [
            key,
            {
              code: record.codeFingerprint,
              history: record.history.map((epoch) => epoch.loss),
              metrics: record.evaluation.metrics,
            },
          ];
        }),
      );
    };
    const serial = await records(1);
    const pooled = await records(2);
    expect(pooled).toEqual(serial);
  });
});
