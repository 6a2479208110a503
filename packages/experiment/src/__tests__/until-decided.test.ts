import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { main } from '../cli.js';
import { parseRunArguments } from '../command-options.js';
import { exec, LAUNCHER } from './outside-definition.js';
import { UNTIL_DECIDED_DEFINITION as DEFINITION } from './until-decided-definition.js';

describe('--until-decided, --max-seeds, --round, --smallest-effect: reading them', () => {
  it('reads the settings, with round 1 and smallest effect 0.005 by default and no budget until the definition is known', () => {
    expect(parseRunArguments(['d.ts', '--until-decided']).options?.untilDecided).toEqual({
      round: 1,
      smallestEffect: 0.005,
    });
    expect(
      parseRunArguments(['d.ts', '--until-decided=true', '--max-seeds=10', '--round=2', '--smallest-effect=0.01'])
        .options?.untilDecided,
    ).toEqual({ maxSeeds: 10, round: 2, smallestEffect: 0.01 });
    expect(parseRunArguments(['d.ts']).options?.untilDecided).toBeUndefined();
  });

  it('names each bad value, and the options that need --until-decided', () => {
    expect(parseRunArguments(['d.ts', '--until-decided', '--round=0']).problems).toEqual([
      '--round: expected a positive integer, got "0"',
    ]);
    expect(parseRunArguments(['d.ts', '--until-decided', '--max-seeds=-3']).problems).toEqual([
      '--max-seeds: expected a positive integer, got "-3"',
    ]);
    expect(parseRunArguments(['d.ts', '--until-decided', '--smallest-effect=big']).problems).toEqual([
      '--smallest-effect: expected a number ≥ 0, got "big"',
    ]);
    expect(parseRunArguments(['d.ts', '--max-seeds=10', '--round=2']).problems).toEqual([
      '--max-seeds: given without --until-decided',
      '--round: given without --until-decided',
    ]);
  });

  it('losslab run --help lists the three options', async () => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (text: string) => void lines.push(text);
    try {
      expect(await main(['run', '--help'])).toBe(0);
    } finally {
      console.log = log;
    }
    const help = lines.join('\n');
    expect(help).toMatch(/^ {2}--until-decided +add seeds in rounds until every primary comparison is decided/m);
    expect(help).toMatch(/^ {2}--max-seeds=N +with --until-decided: the budget/m);
    expect(help).toMatch(/^ {2}--round=K +with --until-decided: seeds added per variant at each round/m);
  });
});

describe('losslab run --until-decided on a tiny definition', () => {
  const dir = temporaryFolders('losslab-until-decided-').make();
  const file = join(dir, 'def.ts');
  writeFileSync(file, DEFINITION);
  const runs = join(dir, 'runs');
  const reports = join(dir, 'reports');
  const losslab = (...options: string[]) =>
    exec(process.execPath, [LAUNCHER, 'run', file, `--runs-dir=${runs}`, `--reports-dir=${reports}`, ...options]);
  /** `variant/seed` of every complete run stored. */
  const stored = (): string[] =>
    (existsSync(join(runs, 'until-decided')) ? readdirSync(join(runs, 'until-decided')) : [])
      .flatMap((folder) => {
        try {
          const record = JSON.parse(readFileSync(join(runs, 'until-decided', folder, 'record.json'), 'utf8')) as {
            variant: string;
            seed: number;
          };
          return [`${record.variant}/${record.seed}`];
        } catch {
          return [];
        }
      })
      .sort();

  it('adds a seed per round and stops by itself once the comparison is decided, printing every look', async () => {
    const { code, stdout, stderr } = await losslab('--until-decided', '--max-seeds=8', '--smallest-effect=0.05');
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('until decided (at most 8 seeds)');
    expect(stdout).toContain('round 1: base, slower on seed(s) 0, 1, 2');
    expect(stdout).toMatch(/^look 1 of 6 \(3 seeds per variant\): 0 decided, 1 open$/m);
    expect(stdout).toMatch(
      /^ {2}slower vs base, accuracy: open: [+-]0\.\d+ \[[+-]0\.\d+, [+-]0\.\d+\], p = [\d.]+ \(needs < [\d.]+\)$/m,
    );
    // The look that decided it, one line per comparison, then no further round.
    const decided =
      /^look (\d) of 6 \((\d) seeds per variant\): 1 decided, 0 open — every comparison decided, stopping$/m.exec(
        stdout,
      );
    expect(decided, stdout).not.toBeNull();
    const [, look = '', seeds = ''] = decided ?? [];
    expect(Number(look)).toBeGreaterThan(1);
    expect(Number(look)).toBeLessThan(6);
    expect(stdout).toContain(`round ${look}: base, slower on seed(s) ${Number(seeds) - 1}`);
    expect(stdout).not.toContain(`round ${Number(look) + 1}:`);
    expect(stdout).toMatch(
      new RegExp(
        `^ {2}slower vs base, accuracy: too small to matter \\(within ±0\\.05\\) at look ${look} \\(${seeds} seeds\\): `,
        'm',
      ),
    );
    // Seeds 0, 1, … in order, the same ones for both variants.
    const seedList = Array.from({ length: Number(seeds) }, (_, seed) => seed);
    expect(stored()).toEqual([...seedList.map((s) => `base/${s}`), ...seedList.map((s) => `slower/${s}`)]);
    const report = readFileSync(join(reports, 'until-decided', 'report.md'), 'utf8');
    expect(report).toContain('## Seeds until decided');
    // The run's own report reads each run's predictions (as `losslab report` does): calibration shows.
    expect(report).toMatch(/\| variant \| split \| runs \| accuracy \| ECE \(15 bins\) \| Brier \| NLL \|/);
    expect(report).toContain(
      `| slower vs base | accuracy | **too small to matter (within ±0.05)** | ${seeds} | ${look} |`,
    );
  });

  it('--max-seeds is the budget: at the declared count it is one look, spent with the comparison open; runs are reused', async () => {
    const before = stored();
    const { code, stdout, stderr } = await losslab('--until-decided', '--max-seeds=3', '--smallest-effect=0');
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(
      /^look 1 of 1 \(3 seeds per variant\): 0 decided, 1 open — the budget of 3 seeds per variant is spent, stopping$/m,
    );
    expect(stdout).toMatch(/^ {2}slower vs base, accuracy: open: /m);
    expect(stdout).not.toContain('round 2:');
    expect(stdout).toContain('6/6 run(s) complete');
    // Seeds 0–2 ran before (when this test runs alone, they run now): never a seed past the budget.
    if (before.length > 0) expect(stored()).toEqual(before);
    expect(stored().filter((run) => /\/0$|\/1$|\/2$/.test(run))).toHaveLength(6);
    const report = readFileSync(join(reports, 'until-decided', 'report.md'), 'utf8');
    expect(report).toContain('| slower vs base | accuracy | open | more than 3 | — |');
  });

  /** `losslab run` of examples/tiny-mnist-odd.ts (seeds 0, 1) in this process, stopping before any run, with what it printed. */
  async function inProcess(...options: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const spies = [
      vi.spyOn(console, 'log').mockImplementation((text: string) => void out.push(text)),
      vi.spyOn(console, 'error').mockImplementation((text: string) => void err.push(text)),
    ];
    try {
      // A definition in this repository (one outside it needs the launcher's loader to import @losslab/experiment).
      const code = await main([
        'run',
        'examples/tiny-mnist-odd.ts',
        `--runs-dir=${runs}`,
        `--reports-dir=${reports}`,
        '--backend=cpu',
        ...options,
      ]);
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      spies.forEach((spy) => spy.mockRestore());
    }
  }

  it('exits 2 naming the option for a budget below the declared seeds or a round of 0, running nothing', async () => {
    const before = stored();
    const low = await inProcess('--until-decided', '--max-seeds=1');
    expect(low.code).toBe(2);
    expect(low.err).toContain('error: --max-seeds: expected at least the 2 declared seeds (0, 1), got 1');
    const zero = await inProcess('--until-decided', '--round=0');
    expect(zero.code).toBe(2);
    expect(zero.err).toContain('--round: expected a positive integer, got "0"');
    expect(stored()).toEqual(before);
  });

  it('--dry-run shows the looks and the new seeds', async () => {
    const { code, out } = await inProcess('--until-decided', '--max-seeds=7', '--round=2', '--dry-run');
    expect(code).toBe(0);
    expect(out).toContain(
      "  until decided: looks at 2, 4, 6, 7 seeds per variant (budget 7, 2 per round; new seeds 2, 3, 4, 5, 6), family-wise α = 0.05 with O'Brien–Fleming spending over Holm, too small to matter within ±0.005",
    );
  });
});
