import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@losslab/schema';
import {
  decideLook,
  lookLines,
  nominalLevels,
  normalLevels,
  obrienFlemingSpending,
  openVariants,
  sequentialFamily,
  sequentialLook,
  sequentialPlan,
  spendingBoundaries,
  type SequentialComparison,
  formatThreshold,
} from '../sequential.js';
import { sequentialNote } from '../sequential-layout.js';
import { DEFAULT_SEQUENTIAL_SIMULATION, levelsWithoutSpending, simulateSequential } from '../sequential-simulation.js';
import { normalCdf, studentTQuantile } from '../stats.js';
import { classRecord } from './fixtures.js';
import { buildReport } from '../model.js';
import { renderHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';

/** z_{1−α/4} for α = 0.05, i.e. Φ⁻¹(0.9875), from a normal table. */
const Z_09875 = 2.241402727604947;

const comparison = (variant: string, metric = 'accuracy'): SequentialComparison => ({
  variant,
  baseline: 'base',
  metric,
  direction: 'higher',
});

describe('Lan–DeMets O’Brien–Fleming-type spending', () => {
  it('spends 4(1 − Φ(z_{1−α/4}/√t)) by information fraction t, all of α at t = 1', () => {
    const byHand = 4 * (1 - normalCdf(Z_09875 / Math.sqrt(0.5)));
    expect(obrienFlemingSpending(0.5, 0.05)).toBeCloseTo(byHand, 8);
    expect(obrienFlemingSpending(0.5, 0.05)).toBeCloseTo(0.00305, 5);
    expect(obrienFlemingSpending(1, 0.05)).toBe(0.05);
    expect(obrienFlemingSpending(0.2, 0.05)).toBeLessThan(obrienFlemingSpending(0.4, 0.05));
  });

  it('two looks at t = ½, 1: c₁ from the first look’s spending alone, c₂ from the joint law of (Z₁, Z₂)', () => {
    const [c1 = 0, c2 = 0] = spendingBoundaries([0.5, 1], 0.05);
    // c₁: the two-sided normal quantile of what look 1 may spend.
    const spent = obrienFlemingSpending(0.5, 0.05);
    expect(2 * (1 - normalCdf(c1))).toBeCloseTo(spent, 7);
    expect(c1).toBeCloseTo(2.9626, 3);
    // c₂, checked by a separate integral: corr(Z₁, Z₂) = √(t₁/t₂); P(|Z₁| < c₁, |Z₂| ≥ c₂) must be what is left of α.
    const rho = Math.sqrt(0.5);
    const points = 2001;
    const step = (2 * c1) / (points - 1);
    let leftOver = 0;
    for (let i = 0; i < points; i++) {
      const z1 = -c1 + i * step;
      const weight = ((i === 0 || i === points - 1 ? 1 : i % 2 === 1 ? 4 : 2) * step) / 3;
      const spread = Math.sqrt(1 - rho * rho);
      const cross = 1 - normalCdf((c2 - rho * z1) / spread) + normalCdf((-c2 - rho * z1) / spread);
      leftOver += ((weight * Math.exp(-0.5 * z1 * z1)) / Math.sqrt(2 * Math.PI)) * cross;
    }
    expect(leftOver).toBeCloseTo(0.05 - spent, 5);
    // The published two-look table (Jennison & Turnbull; gsDesign's sfLDOF): 2.963, 1.969.
    expect(c2).toBeCloseTo(1.9686, 3);
  });

  it('five equally spaced looks match the published table (4.877, 3.357, 2.680, 2.290, 2.031)', () => {
    const boundaries = spendingBoundaries([0.2, 0.4, 0.6, 0.8, 1], 0.05);
    [4.877, 3.357, 2.68, 2.29, 2.031].forEach((expected, k) => expect(boundaries[k]).toBeCloseTo(expected, 2));
  });

  it('a lower family level gives a higher boundary at every look (Holm’s recycled α only lowers them)', () => {
    const strict = spendingBoundaries([0.5, 0.75, 1], 0.01);
    const loose = spendingBoundaries([0.5, 0.75, 1], 0.05);
    strict.forEach((c, k) => expect(c).toBeGreaterThan(loose[k] ?? Infinity));
  });

  it('refuses fractions that do not increase within (0, 1]', () => {
    expect(() => spendingBoundaries([0.5, 0.5], 0.05)).toThrow(/fractions\[1\]/);
    expect(() => spendingBoundaries([0.5, 1.2], 0.05)).toThrow(/fractions\[1\]/);
  });
});

describe('the plan', () => {
  it('looks at the declared count, then every round, the last at the budget; new seeds follow the largest, skipping reserved ones', () => {
    const plan = sequentialPlan({
      declared: [0, 1, 2],
      reserved: [3],
      round: 2,
      maxSeeds: 8,
      alpha: 0.05,
      smallestEffect: 0.005,
    });
    expect(plan.looks).toEqual([3, 5, 7, 8]);
    expect(plan.seeds).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
    // Declared seeds need not start at 0 nor be consecutive.
    expect(sequentialPlan({ declared: [7, 3], round: 1, maxSeeds: 4, alpha: 0.05, smallestEffect: 0 }).seeds).toEqual([
      7, 3, 8, 9,
    ]);
    // A budget equal to the declared count is the fixed design: one look.
    expect(sequentialPlan({ declared: [0, 1], round: 3, maxSeeds: 2, alpha: 0.05, smallestEffect: 0 }).looks).toEqual([
      2,
    ]);
  });

  it('refuses a budget below the declared seeds and a round of 0, naming them', () => {
    const base = { declared: [0, 1, 2], alpha: 0.05, smallestEffect: 0.005 };
    expect(() => sequentialPlan({ ...base, round: 1, maxSeeds: 2 })).toThrow(/maxSeeds: .*3 declared/);
    expect(() => sequentialPlan({ ...base, round: 0, maxSeeds: 5 })).toThrow(/round: /);
  });

  it('normal theory: the nominal level of each look is 2(1 − Φ(c_k)) at fractions n_k / budget', () => {
    const plan = sequentialPlan({ declared: [0, 1, 2, 3, 4], round: 5, maxSeeds: 10, alpha: 0.05, smallestEffect: 0 });
    const [first = 0, second = 0] = normalLevels(plan, 0.05);
    expect(first).toBeCloseTo(0.00305, 5);
    expect(second).toBeCloseTo(2 * (1 - normalCdf(1.9686)), 4);
  });

  it('calibrated to the t-statistics: one look at the budget is α itself; many seeds give the normal levels back', () => {
    const fixed = sequentialPlan({ declared: [0, 1, 2, 3, 4], round: 1, maxSeeds: 5, alpha: 0.05, smallestEffect: 0 });
    // Within the calibration's Monte-Carlo error (100,000 null paths: ±0.0007 at 0.05).
    expect(nominalLevels(fixed, 0.05)[0]).toBeGreaterThan(0.048);
    expect(nominalLevels(fixed, 0.05)[0]).toBeLessThan(0.052);
    const many = Array.from({ length: 20 }, (_, seed) => seed);
    const large = sequentialPlan({ declared: many, round: 20, maxSeeds: 40, alpha: 0.05, smallestEffect: 0 });
    const [first = 0, last = 0] = nominalLevels(large, 0.05);
    expect(first).toBeCloseTo(0.00305, 3);
    expect(last).toBeGreaterThan(0.046);
    expect(last).toBeLessThan(0.052);
    // With few seeds the t-statistics decorrelate between looks, so the later levels are stricter than normal theory's.
    const small = sequentialPlan({ declared: [0, 1, 2, 3, 4], round: 1, maxSeeds: 10, alpha: 0.05, smallestEffect: 0 });
    const t = nominalLevels(small, 0.05);
    const z = normalLevels(small, 0.05);
    expect(t[5]).toBeLessThan((z[5] ?? 0) - 0.002);
    // The same plan gives the same levels (the calibration is seeded by the looks).
    expect(nominalLevels({ ...small }, 0.05)).toEqual(t);
  });
});

describe('deciding a look (normal-theory levels: one look at the budget is exactly α)', () => {
  const fixedPlan = sequentialPlan({
    declared: [0, 1, 2, 3, 4],
    round: 1,
    maxSeeds: 5,
    alpha: 0.05,
    smallestEffect: 0.005,
  });

  /** Five differences with mean `d` whose paired t-test gives exactly two-sided p (t = d / (s/√5)). */
  const withP = (p: number, d = 0.02): number[] => {
    const t = studentTQuantile(1 - p / 2, 4);
    // Deviations ±a, ±a, 0 have sd a·√(4/4)=a: s = a, so a = d√5 / t.
    const a = (d * Math.sqrt(5)) / t;
    return [d + a, d - a, d + a, d - a, d];
  };

  it('Holm steps down at one look: p = 0.01 beats α/2 and then p = 0.04 beats α; 0.06 stays open with α as its level', () => {
    const data = [
      { comparison: comparison('a'), differences: withP(0.04) },
      { comparison: comparison('b'), differences: withP(0.01) },
      { comparison: comparison('c'), differences: withP(0.06) },
    ];
    // With three: 0.01 < 0.05/3, then 0.04 ≥ 0.05/2 stops the step-down.
    const three = decideLook(fixedPlan, 0, data, undefined, normalLevels);
    expect(three.map((s) => s.decision)).toEqual(['open', 'better', 'open']);
    expect(three[0]?.threshold).toBeCloseTo(0.025, 6);
    const two = decideLook(fixedPlan, 0, data.slice(0, 2), undefined, normalLevels);
    expect(two.map((s) => s.decision)).toEqual(['better', 'better']);
    expect(two[0]?.p).toBeCloseTo(0.04, 9);
    expect(two[0]?.threshold).toBeCloseTo(0.05, 6);
    expect(two[1]?.p).toBeCloseTo(0.01, 9);
  });

  it('a difference going the baseline’s way is decided "worse"; with a lower-is-better metric the sign flips', () => {
    const negative = withP(0.001, -0.02);
    const higher = decideLook(
      fixedPlan,
      0,
      [{ comparison: comparison('a'), differences: negative }],
      undefined,
      normalLevels,
    );
    expect(higher[0]?.decision).toBe('worse');
    const lower = decideLook(
      fixedPlan,
      0,
      [{ comparison: { ...comparison('a', 'loss'), direction: 'lower' }, differences: negative }],
      undefined,
    );
    expect(lower[0]?.decision).toBe('better');
  });

  it('too small to matter when the repeated interval d̄ ± t(1 − p_k(α/m)/2)·s/√n lies inside ±the smallest effect', () => {
    const tiny = [0.001, -0.001, 0.0005, 0, 0.0002];
    const [standing] = decideLook(
      fixedPlan,
      0,
      [{ comparison: comparison('a'), differences: tiny }],
      undefined,
      normalLevels,
    );
    const mean = tiny.reduce((s, x) => s + x, 0) / 5;
    const sd = Math.sqrt(tiny.reduce((s, x) => s + (x - mean) ** 2, 0) / 4);
    const half = studentTQuantile(0.975, 4) * (sd / Math.sqrt(5));
    expect(standing?.decision).toBe('too small');
    expect(standing?.interval?.[0]).toBeCloseTo(mean - half, 9);
    expect(standing?.interval?.[1]).toBeCloseTo(mean + half, 9);
    // The same differences ten times larger reach past ±0.005: still open.
    const [wide] = decideLook(
      fixedPlan,
      0,
      [{ comparison: comparison('a'), differences: tiny.map((x) => 10 * x) }],
      undefined,
    );
    expect(wide?.decision).toBe('open');
  });

  it('a decision stands at later looks, with the look and seeds that made it', () => {
    const plan = sequentialPlan({
      declared: [0, 1, 2, 3, 4],
      round: 1,
      maxSeeds: 7,
      alpha: 0.05,
      smallestEffect: 0.005,
    });
    const strong = [0.05, 0.051, 0.049, 0.0505, 0.0495, -0.5, -0.5];
    const first = decideLook(plan, 0, [{ comparison: comparison('a'), differences: strong.slice(0, 5) }], undefined);
    expect(first[0]).toMatchObject({ decision: 'better', decidedAt: 1, seeds: 5 });
    const later = decideLook(plan, 1, [{ comparison: comparison('a'), differences: strong.slice(0, 6) }], first);
    expect(later[0]).toEqual(first[0]);
  });
});

describe('the family-wise error across looks (a small deterministic simulation)', () => {
  // One comparison without a difference, looks at 3, 4, …, 12 seeds: ten looks.
  const settings = { ...DEFAULT_SEQUENTIAL_SIMULATION, studies: 400, differences: [0], declared: 3, maxSeeds: 12 };
  const result = simulateSequential(settings);
  const monteCarlo = Math.sqrt((0.05 * 0.95) / settings.studies);

  it('stays at or below α within Monte-Carlo error with alpha spending', () => {
    expect(result.sequential.falseDecision).toBeLessThanOrEqual(0.05 + 3 * monteCarlo);
    expect(result.fixed.falseDecision).toBeLessThanOrEqual(0.05 + 3 * monteCarlo);
  });

  it('testing every look at the full α (a look without spending) inflates it well above α', () => {
    expect(result.naive.falseDecision).toBeGreaterThan(0.05 + 4 * monteCarlo);
    // The same deliberate bug, swapped into the real procedure's place, is caught the same way.
    expect(
      levelsWithoutSpending(
        sequentialPlan({ declared: [0, 1, 2], round: 1, maxSeeds: 5, alpha: 0.05, smallestEffect: 0 }),
        0.05,
      ),
    ).toEqual([0.05, 0.05, 0.05]);
  });

  it('is reproducible and stops early when it can', () => {
    expect(simulateSequential(settings)).toEqual(result);
    expect(result.sequential.seedsPerVariant).toBeLessThan(12);
    expect(result.fixed.seedsPerVariant).toBe(12);
  });
});

describe('a study on records', () => {
  /** classRecord's variants differ in strength by 0.1 a step (focal-balanced ≫ ce); give ce a beats claim. */
  const records = (seeds: readonly number[]): RunRecord[] =>
    seeds.flatMap((seed) =>
      ['ce', 'focal', 'focal-balanced'].map((variant) => ({
        ...classRecord(variant, seed),
        claims: [{ kind: 'beats' as const, variant: 'focal-balanced', than: 'focal', metric: 'accuracy' }],
      })),
    );
  const declared = [{ metric: 'accuracy', direction: 'higher' as const }];

  it('the family: every variant against the first on each primary metric, then beats claims not already in it', () => {
    // A declared metric no run reports could never be decided: left out.
    const family = sequentialFamily(records([1, 2]), [...declared, { metric: 'noSuchMetric' }]);
    expect(family.experiment).toBe('digits');
    expect(family.comparisons.map((c) => `${c.variant}/${c.baseline}/${c.metric}`)).toEqual([
      'focal/ce/accuracy',
      'focal-balanced/ce/accuracy',
      'focal-balanced/focal/accuracy',
    ]);
  });

  it('looks in turn until every comparison is decided, and prints one line per comparison', () => {
    const plan = sequentialPlan({ declared: [1, 2, 3], round: 1, maxSeeds: 6, alpha: 0.05, smallestEffect: 0.005 });
    let outcome = sequentialLook(plan, 0, records([1, 2, 3]), undefined, declared);
    expect(outcome.looks).toEqual([
      { look: 1, seeds: 3, decided: expect.any(Number) as number, open: expect.any(Number) as number },
    ]);
    let look = 0;
    while (outcome.stopped === null) {
      look++;
      outcome = sequentialLook(plan, look, records(plan.seeds.slice(0, plan.looks[look])), outcome, declared);
    }
    const lines = lookLines(outcome);
    expect(lines[0]).toMatch(
      new RegExp(`^look ${look + 1} of 4 \\(\\d seeds per variant\\): \\d decided, \\d open — `),
    );
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(
      /^ {2}focal vs ce, accuracy: (focal better than ce at look \d \(\d seeds\)|open): [+-]0\.\d+/,
    );
    if (outcome.stopped === 'decided') expect(openVariants(outcome)).toEqual([]);
  });
});

describe('the report section', () => {
  it('explains, with two or more comparisons, why a decided one can show an interval that reaches 0', () => {
    const records = [1, 2, 3].flatMap((seed) =>
      ['ce', 'focal', 'focal-balanced'].map((variant) => classRecord(variant, seed)),
    );
    const declared = [{ metric: 'accuracy', direction: 'higher' as const }];
    const plan = sequentialPlan({ declared: [1, 2, 3], round: 1, maxSeeds: 4, alpha: 0.05, smallestEffect: 0.005 });
    const note = sequentialNote(sequentialLook(plan, 0, records, undefined, declared));
    expect(note).toContain('repeated confidence interval (level α/2 with the same spending)');
    expect(note).toContain("holds all 2 comparisons at once (Bonferroni), while Holm's later steps test at α/1:");
    expect(note).not.toContain('α/0');
  });

  it('Markdown and HTML both show "Seeds until decided" with each comparison’s decision, seeds and look', async () => {
    const records = [1, 2, 3].flatMap((seed) => ['ce', 'focal-balanced'].map((variant) => classRecord(variant, seed)));
    const declared = [{ metric: 'accuracy', direction: 'higher' as const }];
    const plan = sequentialPlan({ declared: [1, 2, 3], round: 1, maxSeeds: 4, alpha: 0.05, smallestEffect: 0.005 });
    const outcome = sequentialLook(plan, 0, records, undefined, declared);
    const [standing] = outcome.comparisons;
    const model = await buildReport(records, { primary: declared, sequential: outcome });
    const markdown = renderMarkdown(model);
    const html = renderHtml(model);
    expect(markdown).toContain('## Seeds until decided');
    expect(html).toContain('<h2>Seeds until decided</h2>');
    const seeds = standing?.decision === 'open' ? 'more than 3' : '3';
    const look = standing?.decidedAt === null ? '—' : '1';
    expect(markdown).toContain(`| focal-balanced vs ce | accuracy | `);
    expect(markdown).toMatch(
      new RegExp(`\\| focal-balanced vs ce \\| accuracy \\| [^|]+ \\| ${seeds} \\| ${look} \\|`),
    );
    expect(html).toContain(`<td class="num">${seeds}</td><td class="num">${look}</td>`);
    expect(markdown).toContain('planned looks at 3, 4; budget 4, 1 seed per round');
    // One comparison: no Holm steps after the first, so no note on them (and never "α/0").
    expect(markdown).not.toContain('comparisons at once');
    expect(markdown).not.toContain('α/0');
    // Without a sequential study there is no such section.
    expect(renderMarkdown(await buildReport(records, { primary: declared }))).not.toContain('Seeds until decided');
  });
});

describe('formatThreshold', () => {
  it('prints a level below 0.0001 in full, never as "< < 0.0001"', () => {
    expect(formatThreshold(2.34e-5)).toBe('2.3e-5');
    expect(formatThreshold(0.0031)).toBe('0.0031');
    expect(formatThreshold(0.025)).toBe('0.025');
  });
});
