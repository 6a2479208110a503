import { describe, expect, it } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { parseRunArguments } from '../index.js';
import { exec, LAUNCHER, storedRuns, writeOutsideDefinition, type StoredRun } from './outside-definition.js';

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
      `--runs-dir=${runs}`,
      `--reports-dir=${outside.reports}-${parallel}`,
    ]);

  it('--parallel=1 (the default) runs every run in the CLI process itself, one after another', async () => {
    const { code, stdout, stderr, pid } = await losslab(1, `${outside.runs}-1`);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`in this process (pid ${pid})`);
    expect(stdout).toMatch(/run 1\/2: adam seed 0[\s\S]*run 2\/2: adam seed 1/);
    inProcess = storedRuns(`${outside.runs}-1`);
    expect([...inProcess.keys()].sort()).toEqual(['adam/0', 'adam/1']);
    for (const run of inProcess.values()) {
      expect(run.pid).toBe(pid);
      expect(run.runId.endsWith(`-${pid}`)).toBe(true);
    }
  });

  it('--parallel=2 runs each in a child process and gets the same records', async () => {
    const { code, stdout, stderr, pid } = await losslab(2, `${outside.runs}-2`);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('2 child processes at a time');
    const children = storedRuns(`${outside.runs}-2`);
    expect([...children.keys()].sort()).toEqual(['adam/0', 'adam/1']);
    const pids = [...children.values()].map((run) => run.pid);
    expect(pids).not.toContain(pid);
    expect(new Set(pids).size).toBe(2);
    expect(inProcess).toBeDefined();
    for (const [key, child] of children) {
      const here = inProcess?.get(key);
      expect(child.definitionHash).toBe(here?.definitionHash);
      expect(child.evaluation.metrics).toEqual(here?.evaluation.metrics);
      expect(child.history.map((epoch) => epoch.loss)).toEqual(here?.history.map((epoch) => epoch.loss));
    }
  });
});
