import { describe, expect, it } from 'vitest';
import { likeWithLike } from '../context.js';
import { groupRuns } from '../groups.js';
import { cellText, comparisonSummary, comparisonTable, finalMetricsTable } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import type { Claim, RunRecord } from '@losslab/schema';
import { blinkRecord } from './fixtures.js';

/**
 * Three losses, seeds 0–2, final macro F1 chosen by hand:
 * plain [0.80, 0.82, 0.81], class-balanced [0.92, 0.93, 0.94], focal [0.90, 0.94, 0.91].
 * Expected numbers computed independently (Python: t tail by numeric integration of the t density,
 * power by quadrature over the chi density):
 * - class-balanced − plain, paired d = [0.12, 0.11, 0.13]: mean 0.12, sd 0.01, t = 20.7846 (df 2),
 *   p = 0.0023068; CI 0.12 ± 4.302653 · 0.01/√3 = [0.09516, 0.14484]; g = 12 · (1 − 3/15) = 9.60.
 * - focal − plain, d = [0.10, 0.12, 0.10]: t = 16.0, p = 0.0038835.
 * - class-balanced − focal, d = [0.02, −0.01, 0.03]: mean 0.013333, sd 0.020817, t = 1.1094,
 *   p = 0.382787; CI [−0.03838, +0.06504]; pooled sd √((0.0001 + 0.00043333)/2) → g = 0.653197.
 * - Holm over these three (the primary family): 0.0023068·3 = 0.0069204; 0.0038835·2 = 0.0077670;
 *   0.382787·1 = 0.382787.
 * - Seeds for the undecided one: d_z = 0.013333/0.020817 = 0.64051; paired, 80 % power at the
 *   family's Bonferroni level α = 0.05/3: 28 pairs give 0.7920, 29 give 0.8097 → 29.
 */
const MACRO_F1: Record<string, readonly number[]> = {
  plain: [0.8, 0.82, 0.81],
  'class-balanced': [0.92, 0.93, 0.94],
  focal: [0.9, 0.94, 0.91],
};

function record(variant: string, seed: number, claims: Claim[] = [], change: Partial<RunRecord> = {}): RunRecord {
  const base = blinkRecord('unweighted', seed);
  return {
    ...base,
    runId: `r-${variant}-s${seed}`,
    experiment: 'lt',
    variant,
    definition: {
      loss: { kind: variant },
      train: { epochs: 14 },
      evaluation: { kind: 'classification' },
    },
    definitionHash: variant.padEnd(64, '0'),
    evaluation: { split: 'test', size: 100, metrics: { macroF1: MACRO_F1[variant]?.[seed] ?? 0 } },
    claims,
    ...change,
  };
}

const CLAIMS: Claim[] = [
  { kind: 'beats', variant: 'class-balanced', than: 'plain', metric: 'macroF1' },
  { kind: 'beats', variant: 'focal', than: 'class-balanced', metric: 'macroF1', alpha: 0.05 },
];

const records = (claims: Claim[] = CLAIMS): RunRecord[] =>
  ['plain', 'class-balanced', 'focal'].flatMap((variant) => [0, 1, 2].map((seed) => record(variant, seed, claims)));

describe('verdict', () => {
  it('names the best variant and states every difference with CI, g, adjusted p and seeds', async () => {
    const model = await buildReport(records());
    // The default primary metrics of classification are macroF1 and accuracy; only macroF1 is reported.
    expect([...model.primary.values()]).toEqual([[{ metric: 'macroF1', direction: 'higher', source: 'default' }]]);
    const [verdict] = model.verdicts;
    expect(verdict?.best).toBe('class-balanced');
    expect(verdict?.headline).toBe(
      'macroF1 (higher is better): class-balanced has the best mean (0.930) and beats 1 of 2 other variants.',
    );
    expect(verdict?.lines.map((line) => line.sentence)).toEqual([
      'class-balanced beats plain by +0.120 [+0.095, +0.145], g = +9.60, p_adj = 0.007, paired t-test, 3 seeds each',
      'class-balanced is not distinguishable from focal (+0.013 [-0.038, +0.065], g = +0.65, p_adj = 0.383, paired t-test, 3 seeds each); 29 seeds per variant would detect a difference of this size with 80% power (α = 0.05/3, Bonferroni over the family)',
    ]);
    const [beatsPlain, tieFocal] = verdict?.lines ?? [];
    expect(beatsPlain?.comparison?.test.p).toBeCloseTo(0.0023068, 6);
    expect(beatsPlain?.comparison?.pAdjusted).toBeCloseTo(0.0069204, 6);
    expect(beatsPlain?.comparison?.test.ci?.[0]).toBeCloseTo(0.09516, 5);
    expect(beatsPlain?.comparison?.effectSize).toBeCloseTo(9.6, 9);
    expect(tieFocal?.comparison?.test.t).toBeCloseTo(1.1094, 4);
    expect(tieFocal?.comparison?.pAdjusted).toBeCloseTo(0.382787, 5);
    expect(tieFocal?.comparison?.effectSize).toBeCloseTo(0.653197, 5);
    expect(tieFocal?.comparison?.advice).toEqual({ kind: 'seeds', seeds: 29, alpha: 0.05, family: 3 });
  });

  it('adjusts the primary family once: baseline comparisons, best against the rest, claims', async () => {
    const model = await buildReport(records());
    const byPair = Object.fromEntries(
      model.comparisons.map((comparison) => [`${comparison.label} vs ${comparison.baseline}`, comparison]),
    );
    expect(Object.keys(byPair)).toEqual(['class-balanced vs plain', 'focal vs plain', 'class-balanced vs focal']);
    expect(byPair['focal vs plain']?.test.p).toBeCloseTo(0.0038835, 6);
    expect(byPair['focal vs plain']?.pAdjusted).toBeCloseTo(0.007767, 5);
    expect(model.comparisons.every((comparison) => comparison.family === 'primary')).toBe(true);
    // One table: p and p (Holm) both shown.
    const table = comparisonTable(model);
    expect(table.rows[0]?.slice(0, 8).map(cellText)).toEqual([
      'class-balanced vs plain',
      'macro F1',
      '+0.120',
      '[+0.095, +0.145]',
      '+9.60',
      'paired t',
      '0.002',
      '0.007',
    ]);
    // A decided comparison carries its emphasis on the difference and on p (Holm).
    expect(table.rows[0]?.map((cell) => typeof cell !== 'string')).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
    ]);
    expect(table.rows[2]?.[9]).toBe('29');
    // Holm-adjusted 0.0069 and 0.0078 are below 0.05, 0.383 is not.
    expect(comparisonSummary(model)).toBe('3 tests: 3 on primary metrics and claims (2 decided), 0 others (0 decided)');
  });

  it('checks beats claims on the adjusted p and the direction', async () => {
    const model = await buildReport(records());
    const [holds, wrongWay] = model.claims;
    expect(holds?.status).toBe('pass');
    expect(holds?.evidence[0]).toMatch(
      /^✓ class-balanced vs plain: macroF1 \+0\.120 .*p_adj = 0\.007.* — p_adj < 0\.05$/,
    );
    expect(wrongWay?.status).toBe('fail');
    expect(wrongWay?.evidence[0]).toMatch(
      /focal vs class-balanced: macroF1 -0\.013 .*the difference goes the wrong way/,
    );
  });

  it('a beats claim evaluated alone is a family of one (p_adj = p)', async () => {
    const { evaluateClaims } = await import('../claims.js');
    const [result] = evaluateClaims(groupRuns(records([CLAIMS[0]!])));
    expect(result?.status).toBe('pass');
    expect(result?.evidence[0]).toContain('p = 0.002, p_adj = 0.002');
  });

  it('highlights the best mean of each metric in the final-metrics table', async () => {
    const model = await buildReport(records());
    const table = finalMetricsTable(model);
    const row = table.rows.findIndex((cells) => cells[0] === 'macro F1');
    expect(table.rows[row]?.map((cell) => typeof cell !== 'string')).toEqual([false, false, true, false]);
  });

  it('opens the Markdown with the verdict, before the claims and the comparison table', async () => {
    const markdown = renderMarkdown(await buildReport(records()));
    const verdictAt = markdown.indexOf('## Verdict');
    expect(verdictAt).toBeGreaterThan(0);
    expect(verdictAt).toBeLessThan(markdown.indexOf('## Claims'));
    expect(markdown).toContain(
      '- **macroF1 (higher is better): class-balanced has the best mean (0.930) and beats 1 of 2 other variants.**\n  - ✓ class-balanced beats plain by +0.120 [+0.095, +0.145], g = +9.60, p\\_adj = 0.007, paired t-test, 3 seeds each\n  - ≈ class-balanced is not distinguishable from focal',
    );
  });

  it('uses declared primary metrics and directions', async () => {
    const model = await buildReport(records([]), { primary: [{ metric: 'macroF1', direction: 'lower' }] });
    expect(model.verdicts[0]?.best).toBe('plain');
    expect(model.verdicts[0]?.headline).toBe(
      'macroF1 (lower is better): plain is best (0.810) and beats every other variant.',
    );
  });

  it('says when a declared primary metric is reported by no run', async () => {
    const model = await buildReport(records([]), { primary: [{ metric: 'macroF1' }, { metric: 'macroF2' }] });
    expect(model.verdicts[1]?.headline).toBe(
      'macroF2 (higher is better): no run reports this metric; check the name in report.primary (final metrics: macroF1).',
    );
  });

  it('ranks variants with two or more runs; a single run, however high, is named apart', async () => {
    const lucky = {
      ...record('focal', 0),
      variant: 'lucky',
      runId: 'r-lucky',
      evaluation: { split: 'test', size: 100, metrics: { macroF1: 0.99 } },
    };
    const model = await buildReport([...records([]), lucky]);
    expect(model.verdicts[0]?.best).toBe('class-balanced');
    expect(model.verdicts[0]?.headline).toBe(
      'macroF1 (higher is better): class-balanced has the best mean (0.930) and beats 1 of 3 other variants; not ranked, with a single run: lucky (0.990).',
    );
  });

  it('with one variant says there is nothing to compare', async () => {
    const model = await buildReport([0, 1].map((seed) => record('plain', seed)));
    expect(model.verdicts.map((verdict) => verdict.sentence)).toEqual([
      'macroF1 (higher is better): plain 0.810; only one variant, nothing to compare.',
    ]);
  });
});

describe('like with like', () => {
  it('names every field that differs between the variants and puts it first in the verdict', async () => {
    const mixed = [
      ...[0, 1].map((seed) => record('plain', seed, [], { dataFingerprint: { images: 'a'.repeat(64) } })),
      ...[0, 1].map((seed) =>
        record('focal', seed, [], {
          dataFingerprint: { images: 'b'.repeat(64) },
          definition: { loss: { kind: 'focal' }, train: { epochs: 1 }, evaluation: { kind: 'classification' } },
          codeFingerprint: 'c'.repeat(64),
        }),
      ),
    ];
    const expected =
      'Not like with like (lt): data fingerprint differs (plain: images: aaaaaaaaaaaa; focal: images: bbbbbbbbbbbb); ' +
      'epochs differs (plain: 14; focal: 1); code fingerprint differs (plain: unknown; focal: cccccccccccc). ' +
      'The differences between these variants may come from these settings rather than from their own overrides; ' +
      'rerun them with the same settings and code (or compare them with --runs on purpose).';
    expect(likeWithLike(groupRuns(mixed))).toEqual([expected]);
    const model = await buildReport(mixed);
    expect(model.mismatches).toEqual([expected]);
    const markdown = renderMarkdown(model);
    // one warnings table, a row per variant with its own values, the whole sentence under it
    const table = markdown.indexOf('| plain | data fingerprint; epochs: 14; code fingerprint: unknown |');
    expect(table).toBeGreaterThan(markdown.indexOf('## Verdict'));
    expect(markdown).toContain('| focal | data fingerprint; epochs: 1; code fingerprint: cccccccccccc |');
    expect(markdown.indexOf('Not like with like (lt)')).toBeGreaterThan(table);
    expect(markdown.indexOf('Not like with like (lt)')).toBeLessThan(markdown.indexOf('- **macroF1'));
  });

  it('is quiet when data, epochs, code, backend and definition file agree', () => {
    expect(likeWithLike(groupRuns(records([])))).toEqual([]);
  });
});
