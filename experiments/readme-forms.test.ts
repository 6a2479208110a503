import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isolatedNxEnv } from '@losslab/test-utils';

/**
 * Every `npx nx run` command the README shows, run exactly as printed (plus `--dry-run`, which
 * resolves the definition and prints the plan without training), so an option that Nx swallows or
 * rewrites — as it did with `--parallel` — fails here.
 */

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** `npx nx run …` lines of the README's sh blocks, without their trailing comments or a trailing `&` (run in the background). */
const documentedCommands = (): string[] =>
  [...README.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => (block[1] ?? '').split('\n'))
    .map((line) =>
      line
        .replace(/\s+#.*$/, '')
        .replace(/\s+&$/, '')
        .trim(),
    )
    .filter((line, i, all) => line.startsWith('npx nx run ') && all.indexOf(line) === i);

function nx(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const cache = mkdtempSync(join(tmpdir(), 'losslab-nx-cache-'));
    const child = spawn('npx', ['nx', ...args], { cwd: ROOT, env: isolatedNxEnv(cache) });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => {
      rmSync(cache, { recursive: true, force: true });
      done({ code: code ?? 1, output });
    });
  });
}

/** What the plan must show for the options a command line gives. */
function expectedPlan(words: string[]): RegExp[] {
  const value = (flag: string) => words.find((w) => w.startsWith(`--${flag}=`))?.split('=')[1];
  const checks: RegExp[] = [/dry run: /];
  const jobs = value('jobs');
  if (jobs) checks.push(new RegExp(`jobs ${jobs};`));
  const seeds = value('seeds');
  if (seeds) checks.push(new RegExp(`seeds ${seeds.split(',').join(', ')};`));
  const backend = value('backend');
  if (backend) checks.push(new RegExp(`backend ${backend};`));
  if (words.includes('--check')) checks.push(/check true;/);
  if (words.includes('--fresh')) checks.push(/fresh true/);
  const maxSeeds = value('max-seeds');
  if (words.includes('--until-decided'))
    checks.push(new RegExp(`until decided: looks at .*\\(budget ${maxSeeds ?? '\\d+'},`));
  const variant = value('variant');
  if (variant) checks.push(new RegExp(`— 1 variant\\(s\\)[\\s\\S]*variant ${variant} \\(`));
  const epochs = value('epochs');
  if (epochs) checks.push(new RegExp(`"epochs": ${epochs}\\b`));
  const set = words[words.indexOf('--set') + 1];
  if (words.includes('--set') && set === 'train.batchSize=64') checks.push(/"batchSize": 64\b/);
  // `--set path=v1,v2` is a grid: one variant per value, named by it (Nx must pass the commas through).
  const [path, values] = set?.split('=') ?? [];
  if (words.includes('--set') && values?.includes(','))
    for (const value of values.split(',')) checks.push(new RegExp(`variant \\S+~${path}=${value} \\(`));
  return checks;
}

describe('the README command lines work through nx run exactly as shown', () => {
  const commands = documentedCommands();

  it('the README shows the experiment targets with their options', () => {
    expect(commands.length).toBeGreaterThanOrEqual(5);
    expect(commands.some((c) => c.includes('--jobs=2'))).toBe(true);
  });

  it.each(commands)('%s', async (command) => {
    const words = command.split(/\s+/).slice(2); // after "npx nx"
    expect(words[0]).toBe('run');
    const { code, output } = await nx([...words, '--dry-run']);
    expect(code, output).toBe(0);
    for (const check of expectedPlan(words)) expect(output).toMatch(check);
  });

  it('report --experiment=<name> and --runs=<id>,<id> reach the report command', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'losslab-runs-'));
    try {
      // Nx exits 1 for any failed target; the report command's own message shows what it received.
      const byName = await nx(['run', 'experiment:report', '--experiment=nothing-here', `--runs-dir=${runsDir}`]);
      expect(byName.code).not.toBe(0);
      // the report command names the experiment folder it looked in: both options arrived
      expect(byName.output).toMatch(/^report: .*nothing-here/m);
      expect(byName.output).toContain(`${runsDir}/nothing-here`);
      const byIds = await nx(['run', 'experiment:report', '--runs=first-id,second-id', `--runs-dir=${runsDir}`]);
      expect(byIds.code).not.toBe(0);
      // each id of the comma-separated list was looked up on its own
      expect(byIds.output).toMatch(/^skipped first-id \(not-found\)/m);
      expect(byIds.output).toMatch(/^skipped second-id \(not-found\)/m);
    } finally {
      rmSync(runsDir, { recursive: true, force: true });
    }
  });

  it('Nx never stops a first command to ask about analytics', () => {
    // Nx prompts on an interactive terminal unless nx.json sets `analytics` to a boolean.
    expect((JSON.parse(readFileSync(join(ROOT, 'nx.json'), 'utf8')) as { analytics?: unknown }).analytics).toBe(false);
  });
});
