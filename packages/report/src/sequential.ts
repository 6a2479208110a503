import { NEGLIGIBLE_RATE_DIFFERENCE } from './compare.js';
import { seededRandom } from './bootstrap.js';
import { ReportError } from './errors.js';
import { formatSigned, printable } from './format.js';
import { mean, normalCdf, sampleVariance, studentTCdf, studentTQuantile } from './stats.js';
import { reportView } from './view.js';
import type { DeclaredPrimary, Direction } from './verdict.js';
import type { RunRecord } from '@losslab/schema';

/**
 * Seeds until decided (`losslab run --until-decided`): a group-sequential design over the primary
 * comparisons. Seeds are added in rounds; at each look every open comparison gets a paired t-test
 * whose nominal level comes from Lan–DeMets O'Brien–Fleming-type alpha spending, Holm's step-down
 * runs across the family at each look (Maurer & Bretz 2013: Holm with group-sequential boundaries
 * keeps the family-wise error at α), and a comparison whose repeated confidence interval lies
 * inside ±the smallest effect of interest is decided as too small to matter. Pure: the run command
 * feeds it records, the report shows its outcome. Formulas in STATISTICS.md, "Seeds until decided".
 */

/**
 * The smallest difference of interest when none is given (`--smallest-effect`): the report's own
 * "too small to matter" for a rate, half a percentage point ({@link NEGLIGIBLE_RATE_DIFFERENCE}).
 */
export const DEFAULT_SMALLEST_EFFECT = NEGLIGIBLE_RATE_DIFFERENCE;

/** Points of the grid the sub-density of the score is carried on between looks (odd, for Simpson's rule). */
const GRID_POINTS = 401;

/** Standard normal density. */
const normalDensity = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);

/** Upper tail 1 − Φ(z), computed on the small side so that tails far out keep their digits. */
const upperTail = (z: number): number => (z >= 0 ? 1 - normalCdf(z) : normalCdf(-z));

/** The z with two-sided tail 2(1 − Φ(z)) = `p`, by bisection (Φ's relative error is below 1.2e-7). */
function twoSidedNormalQuantile(p: number): number {
  let low = 0;
  let high = 40;
  for (let i = 0; i < 200; i++) {
    const middle = (low + high) / 2;
    if (2 * upperTail(middle) > p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/**
 * Lan–DeMets O'Brien–Fleming-type spending: the two-sided error spent by information fraction t,
 * α(t) = 4 · (1 − Φ(z_{1−α/4} / √t)), so α(1) = α and almost nothing is spent early.
 *
 * @example obrienFlemingSpending(0.5, 0.05) // ≈ 0.00305
 */
export function obrienFlemingSpending(t: number, alpha: number): number {
  if (!(t > 0 && t <= 1)) throw new ReportError('INVALID_ARGUMENT', `t: expected a fraction in (0, 1], got ${t}`);
  if (t === 1) return alpha;
  return 4 * upperTail(twoSidedNormalQuantile(alpha / 2) / Math.sqrt(t));
}

/** Simpson weights for `points` (odd) equally spaced points `step` apart. */
function simpsonWeights(points: number, step: number): number[] {
  return Array.from({ length: points }, (_, i) => ((i === 0 || i === points - 1 ? 1 : i % 2 === 1 ? 4 : 2) * step) / 3);
}

/**
 * Two-sided critical values c₁ … c_K for |Z| at the looks with information fractions `fractions`
 * (increasing, the last ≤ 1), so that under no difference the chance of first crossing at look k
 * is α(t_k) − α(t_{k−1}) ({@link obrienFlemingSpending}). Z_k = S_k / √t_k with S a Brownian
 * motion; the sub-density of S_k on the continuation region is carried from look to look on a
 * grid (Armitage, McPherson & Rowe's recursive integration, Simpson's rule) and each c_k found by
 * bisection.
 *
 * @example spendingBoundaries([0.5, 1], 0.05) // ≈ [2.963, 1.969] (the classic two-look table)
 */
export function spendingBoundaries(fractions: readonly number[], alpha: number): number[] {
  if (!(alpha > 0 && alpha < 1)) throw new ReportError('INVALID_ARGUMENT', `alpha: expected (0, 1), got ${alpha}`);
  fractions.forEach((t, k) => {
    if (!(t > (fractions[k - 1] ?? 0) && t <= 1))
      throw new ReportError('INVALID_ARGUMENT', `fractions[${k}]: expected increasing fractions in (0, 1], got ${t}`);
  });
  const boundaries: number[] = [];
  // The sub-density of S at the previous look on its continuation region: grid points and values.
  let grid: number[] = [];
  let density: number[] = [];
  let weights: number[] = [];
  let spent = 0;
  for (const [k, t] of fractions.entries()) {
    const increment = obrienFlemingSpending(t, alpha) - spent;
    let c: number;
    if (k === 0) {
      c = twoSidedNormalQuantile(increment);
    } else {
      const sigma = Math.sqrt(t - (fractions[k - 1] ?? 0));
      const crossing = (z: number): number => {
        const bound = z * Math.sqrt(t);
        let sum = 0;
        for (let i = 0; i < grid.length; i++) {
          const s = grid[i] ?? 0;
          sum +=
            (weights[i] ?? 0) * (density[i] ?? 0) * (upperTail((bound - s) / sigma) + upperTail((bound + s) / sigma));
        }
        return sum;
      };
      if (increment <= 0) c = Infinity;
      else {
        let low = 0;
        let high = 40;
        for (let i = 0; i < 100; i++) {
          const middle = (low + high) / 2;
          if (crossing(middle) > increment) low = middle;
          else high = middle;
        }
        c = (low + high) / 2;
      }
    }
    boundaries.push(c);
    spent += increment;
    // Carry the density of S_k over |S_k| < c·√t_k to the next look.
    const bound = Math.min(c, 12) * Math.sqrt(t);
    const step = (2 * bound) / (GRID_POINTS - 1);
    const next = Array.from({ length: GRID_POINTS }, (_, i) => -bound + i * step);
    if (k === 0) density = next.map((s) => normalDensity(s / Math.sqrt(t)) / Math.sqrt(t));
    else {
      const sigma = Math.sqrt(t - (fractions[k - 1] ?? 0));
      density = next.map((u) => {
        let sum = 0;
        for (let i = 0; i < grid.length; i++)
          sum += (weights[i] ?? 0) * (density[i] ?? 0) * normalDensity((u - (grid[i] ?? 0)) / sigma);
        return sum / sigma;
      });
    }
    grid = next;
    weights = simpsonWeights(GRID_POINTS, step);
  }
  return boundaries;
}

/** What `--until-decided` was asked for: the looks follow from it before any seed runs. */
export interface SequentialPlanOptions {
  /** The declared seeds, in order: the first look. */
  readonly declared: readonly number[];
  /** Seeds added per variant at each later look (`--round`). */
  readonly round: number;
  /** The budget: seeds per variant at the last look (`--max-seeds`), at least the declared count. */
  readonly maxSeeds: number;
  /** Seeds never used for a final run (a search's seed). */
  readonly reserved?: readonly number[];
  /** The family-wise level. */
  readonly alpha: number;
  /** The smallest difference that matters, in the metric's units (`--smallest-effect`). */
  readonly smallestEffect: number;
}

/** The design of a sequential study, fixed before its first look. */
export interface SequentialPlan {
  readonly alpha: number;
  readonly smallestEffect: number;
  readonly round: number;
  readonly maxSeeds: number;
  /** Every seed the study may run, in the order they are added: the declared ones, then the next unused integers. */
  readonly seeds: readonly number[];
  /** Seeds per variant at each look: declared, declared + round, …, maxSeeds. */
  readonly looks: readonly number[];
}

/**
 * The plan of a sequential study: looks at the declared count, then every `round` seeds up to
 * `maxSeeds` (the last look at `maxSeeds` even when the round does not divide the rest); new seeds
 * are the integers after the largest declared one, skipping reserved ones (a search's seed).
 *
 * @example sequentialPlan({ declared: [0, 1, 2], round: 2, maxSeeds: 8, alpha: 0.05, smallestEffect: 0.005 }).looks // [3, 5, 7, 8]
 */
export function sequentialPlan(options: SequentialPlanOptions): SequentialPlan {
  const { declared, round, maxSeeds, alpha, smallestEffect } = options;
  if (!Number.isInteger(round) || round < 1)
    throw new ReportError('INVALID_ARGUMENT', `round: expected a positive integer, got ${round}`);
  if (!Number.isInteger(maxSeeds) || maxSeeds < declared.length || maxSeeds < 1)
    throw new ReportError(
      'INVALID_ARGUMENT',
      `maxSeeds: expected an integer at least the ${declared.length} declared seed(s), got ${maxSeeds}`,
    );
  if (!(smallestEffect >= 0))
    throw new ReportError('INVALID_ARGUMENT', `smallestEffect: expected a number ≥ 0, got ${smallestEffect}`);
  const seeds = [...declared];
  const taken = new Set([...declared, ...(options.reserved ?? [])]);
  let next = declared.length === 0 ? 0 : Math.max(...declared) + 1;
  while (seeds.length < maxSeeds) {
    if (!taken.has(next)) seeds.push(next);
    next++;
  }
  const looks: number[] = [];
  for (let n = Math.max(declared.length, 1); n < maxSeeds; n += round) looks.push(n);
  looks.push(maxSeeds);
  return { alpha, smallestEffect, round, maxSeeds, seeds, looks };
}

/** Boundaries already computed, by plan looks and level. */
const boundaryCache = new Map<string, readonly number[]>();

/**
 * The nominal two-sided p-value a test at each look must fall below, at family level `level`, as
 * normal theory gives it: p_k = 2(1 − Φ(c_k)) of the {@link spendingBoundaries} at fractions
 * n_k / maxSeeds. A t-test with few seeds that compares its p with these spends a little more than
 * α over the looks (its statistics at successive looks are less correlated than z's, their
 * variance being estimated anew): {@link nominalLevels} calibrates them to the t-statistics.
 *
 * @example normalLevels(sequentialPlan({ declared: [0, 1, 2, 3, 4], round: 5, maxSeeds: 10, alpha: 0.05, smallestEffect: 0.005 }), 0.05) // ≈ [0.00305, 0.0490]
 */
export function normalLevels(plan: SequentialPlan, level: number): readonly number[] {
  const key = JSON.stringify(['normal', plan.looks, plan.maxSeeds, level]);
  let levels = boundaryCache.get(key);
  if (levels === undefined) {
    const boundaries = spendingBoundaries(
      plan.looks.map((n) => n / plan.maxSeeds),
      level,
    );
    levels = boundaries.map((c) => 2 * upperTail(c));
    boundaryCache.set(key, levels);
  }
  return levels;
}

/** |T| of each simulated null path at one look, and the paths in order of decreasing |T|. */
interface LookPaths {
  readonly values: Float64Array;
  readonly order: Uint32Array;
}

/** Simulated null paths per plan. */
const pathCache = new Map<string, readonly LookPaths[]>();

/** Null paths simulated to calibrate the levels: enough for ±0.07 points on α = 0.05. */
const CALIBRATION_PATHS = 100_000;

/** A standard normal number (Box–Muller). */
function standardNormal(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * |T_k| of the paired t-test at each look along {@link CALIBRATION_PATHS} simulated null studies
 * (differences N(0, 1): the t-statistics are pivotal, so their joint law depends only on the seed
 * counts). Seeded by the looks, so every run of the same plan gets the same levels.
 */
function nullPaths(plan: SequentialPlan): readonly LookPaths[] {
  const key = JSON.stringify(plan.looks);
  const known = pathCache.get(key);
  if (known !== undefined) return known;
  const random = seededRandom(`losslab sequential calibration ${key}`);
  const columns = plan.looks.map(() => new Float64Array(CALIBRATION_PATHS));
  const last = plan.looks[plan.looks.length - 1] ?? 0;
  for (let path = 0; path < CALIBRATION_PATHS; path++) {
    let sum = 0;
    let squares = 0;
    let look = 0;
    for (let n = 1; n <= last; n++) {
      const x = standardNormal(random);
      sum += x;
      squares += x * x;
      while (plan.looks[look] === n) {
        const variance = n < 2 ? 0 : (squares - (sum * sum) / n) / (n - 1);
        const column = columns[look];
        if (column !== undefined) column[path] = variance > 0 ? Math.abs(sum / n / Math.sqrt(variance / n)) : 0;
        look++;
      }
    }
  }
  const paths = columns.map((values) => ({
    values,
    order: Uint32Array.from({ length: CALIBRATION_PATHS }, (_, i) => i).sort(
      (a, b) => (values[b] ?? 0) - (values[a] ?? 0),
    ),
  }));
  pathCache.set(key, paths);
  return paths;
}

/**
 * The nominal two-sided p-value a paired t-test at each look must fall below, at family level
 * `level`: calibrated so that, along simulated null studies of the same looks, the share first
 * crossing at look k is the O'Brien–Fleming spending α(t_k) − α(t_{k−1}) of
 * {@link obrienFlemingSpending} (t_k = n_k / maxSeeds), as {@link spendingBoundaries} does for
 * z-statistics. Where a look may spend fewer than 10 of the simulated paths the normal-theory level
 * ({@link normalLevels}) stands in; a look with fewer than 2 seeds tests nothing (level 0).
 *
 * @example nominalLevels(sequentialPlan({ declared: [0, 1, 2, 3, 4], round: 5, maxSeeds: 10, alpha: 0.05, smallestEffect: 0.005 }), 0.05) // ≈ [0.0026, 0.046]
 */
export function nominalLevels(plan: SequentialPlan, level: number): readonly number[] {
  const key = JSON.stringify(['t', plan.looks, plan.maxSeeds, level]);
  const known = boundaryCache.get(key);
  if (known !== undefined) return known;
  const paths = nullPaths(plan);
  const normal = normalLevels(plan, level);
  const alive = new Uint8Array(CALIBRATION_PATHS).fill(1);
  let spent = 0;
  const levels = plan.looks.map((n, k) => {
    const increment = obrienFlemingSpending(n / plan.maxSeeds, level) - spent;
    spent += increment;
    const look = paths[k];
    if (n < 2 || look === undefined) return 0;
    const { values, order } = look;
    const target = increment * CALIBRATION_PATHS;
    let threshold: number;
    if (target < 10) threshold = studentTQuantile(1 - (normal[k] ?? 0) / 2, n - 1);
    else {
      // Walk the paths by decreasing |T|, counting survivors: the |T| with `target` of them at or
      // above it, interpolated between the two order statistics around it.
      const below = Math.floor(target);
      let counted = 0;
      let upper = Infinity;
      let lower = 0;
      for (const path of order) {
        if (alive[path] !== 1) continue;
        counted++;
        if (counted === below) upper = values[path] ?? 0;
        if (counted === below + 1) {
          lower = values[path] ?? 0;
          break;
        }
      }
      threshold = upper - (target - below) * (upper - lower);
    }
    for (const path of order) {
      if ((values[path] ?? 0) < threshold) break;
      alive[path] = 0;
    }
    return Math.min(1, 2 * studentTCdf(-threshold, n - 1));
  });
  boundaryCache.set(key, levels);
  return levels;
}

/** The nominal level of each look at a family level: {@link nominalLevels}, or (in tests and the simulation) a rule without spending. */
export type LevelsAtLooks = (plan: SequentialPlan, level: number) => readonly number[];

/** Two-sided t critical values already computed, by level and degrees of freedom. */
const criticalCache = new Map<string, number>();

/** t_{df}(1 − p/2): the half-width of a two-sided interval at nominal level p, in standard errors. */
function tCritical(p: number, df: number): number {
  const key = `${p}|${df}`;
  let critical = criticalCache.get(key);
  if (critical === undefined) {
    critical = studentTQuantile(1 - p / 2, df);
    criticalCache.set(key, critical);
  }
  return critical;
}

/** One primary comparison of the family: `variant` against `baseline` on `metric`. */
export interface SequentialComparison {
  readonly variant: string;
  readonly baseline: string;
  readonly metric: string;
  readonly direction: Direction;
}

/** How a comparison stands: decided `better` or `worse` (the variant against the baseline), `too small` to matter, or `open`. */
export type SequentialDecision = 'better' | 'worse' | 'too small' | 'open';

/** A comparison as its latest look saw it. */
export interface ComparisonStanding {
  readonly comparison: SequentialComparison;
  readonly decision: SequentialDecision;
  /** The look (1-based) that decided it; null while open. */
  readonly decidedAt: number | null;
  /** Seeds per variant it used: at its deciding look, or at the latest look while open. */
  readonly seeds: number;
  /** variant − baseline (mean of the paired differences), null before two pairs. */
  readonly difference: number | null;
  /** The repeated confidence interval at level α/m for this look, null without a test. */
  readonly interval: readonly [number, number] | null;
  /** The paired t-test's two-sided p, null without a test. */
  readonly p: number | null;
  /** The p it had to fall below at its Holm step (for an open one: the next step's level). */
  readonly threshold: number | null;
}

/** One look of a study: how many seeds per variant, and how many comparisons stood decided after it. */
export interface LookSummary {
  readonly look: number;
  readonly seeds: number;
  readonly decided: number;
  readonly open: number;
}

/** A sequential study after its latest look: what the run command prints and the report shows. */
export interface SequentialOutcome {
  readonly plan: SequentialPlan;
  readonly experiment: string;
  readonly looks: readonly LookSummary[];
  readonly comparisons: readonly ComparisonStanding[];
  /** `decided`: every comparison decided; `budget`: the last look came; null: more looks to come. */
  readonly stopped: 'decided' | 'budget' | null;
}

/** Per-seed paired differences of one comparison at a look, in the plan's seed order. */
export interface LookData {
  readonly comparison: SequentialComparison;
  readonly differences: readonly number[];
}

/**
 * The family of primary comparisons: every other variant against the baseline (the first
 * variant) on each primary metric, then each `beats` claim whose pair is not already in it.
 * Fixed at the first look; the verdict's "best against the rest" depends on the data and cannot be planned.
 * A comparison on a metric either variant does not report is left out (the verdict names such metrics).
 */
export function sequentialFamily(
  records: readonly RunRecord[],
  declared?: readonly DeclaredPrimary[],
): { experiment: string; comparisons: SequentialComparison[] } {
  const [view] = reportView(records, 'variant', declared).experiments;
  if (view === undefined) return { experiment: '', comparisons: [] };
  const labels = view.groups.map(({ group }) => group.label);
  const [baseline] = labels;
  const comparisons: SequentialComparison[] = [];
  const has = (a: string, b: string, metric: string): boolean =>
    comparisons.some(
      (c) => c.metric === metric && ((c.variant === a && c.baseline === b) || (c.variant === b && c.baseline === a)),
    );
  for (const { metric, direction } of view.primary)
    for (const variant of labels.slice(1))
      if (baseline !== undefined) comparisons.push({ variant, baseline, metric, direction });
  for (const claim of view.claims) {
    if (claim.kind !== 'beats' || !labels.includes(claim.variant) || !labels.includes(claim.than)) continue;
    if (has(claim.variant, claim.than, claim.metric)) continue;
    const direction = view.primary.find((choice) => choice.metric === claim.metric)?.direction ?? 'higher';
    comparisons.push({
      variant: claim.variant,
      baseline: claim.than,
      metric: claim.metric,
      direction: claim.direction ?? direction,
    });
  }
  // A metric a variant does not report (a misspelt declared one) could never be decided.
  const reports = (label: string, metric: string): boolean =>
    view.groups.some(({ group, aggregate }) => group.label === label && aggregate.final[metric] !== undefined);
  return {
    experiment: view.experiment,
    comparisons: comparisons.filter((c) => reports(c.variant, c.metric) && reports(c.baseline, c.metric)),
  };
}

/** The paired differences of each comparison over `seeds` (the seeds both variants have, in that order). */
function lookData(
  records: readonly RunRecord[],
  comparisons: readonly SequentialComparison[],
  seeds: readonly number[],
  declared?: readonly DeclaredPrimary[],
): LookData[] {
  const { groups } = reportView(records, 'variant', declared);
  const valueBySeed = (label: string, metric: string): Map<number, number> => {
    const aggregate = groups.find(({ group }) => group.label === label)?.aggregate;
    const values = aggregate?.finalValues[metric] ?? [];
    const seedsOf = aggregate?.finalSeeds[metric] ?? [];
    return new Map(seedsOf.map((seed, i) => [seed, values[i] ?? Number.NaN]));
  };
  return comparisons.map((comparison) => {
    const a = valueBySeed(comparison.variant, comparison.metric);
    const b = valueBySeed(comparison.baseline, comparison.metric);
    const differences = seeds.flatMap((seed) => {
      const x = a.get(seed);
      const y = b.get(seed);
      return x === undefined || y === undefined || !Number.isFinite(x - y) ? [] : [x - y];
    });
    return { comparison, differences };
  });
}

/** Whether `difference` favours the variant under the comparison's direction. */
const favoursVariant = (comparison: SequentialComparison, difference: number): boolean =>
  comparison.direction === 'higher' ? difference > 0 : difference < 0;

/** The paired t-test of the differences: mean, standard error, p (null when untestable). */
function pairedStatistics(differences: readonly number[]): {
  mean: number | null;
  se: number | null;
  p: number | null;
} {
  if (differences.length === 0) return { mean: null, se: null, p: null };
  const average = mean(differences);
  if (differences.length < 2) return { mean: average, se: null, p: null };
  const se = Math.sqrt(sampleVariance(differences) / differences.length);
  if (se === 0) return { mean: average, se: 0, p: null };
  return { mean: average, se, p: Math.min(1, 2 * studentTCdf(-Math.abs(average / se), differences.length - 1)) };
}

/**
 * Decides one look (0-based `lookIndex`) from the paired differences of each comparison (over
 * the plan's first `looks[lookIndex]` seeds), given how each stood after the previous look:
 * 1. Holm's step-down over the open comparisons with a test: with r already decided better or
 *    worse out of m, the i-th smallest p (i from 0) is decided when p < p_k(α / (m − r − i)), the
 *    nominal level of look k at that family level; the first that is not stops the step-down.
 * 2. Each comparison still open is too small to matter when its repeated confidence interval
 *    d̄ ± t_{n−1}(1 − p_k(α/m)/2) · s_d/√n lies strictly inside ±smallestEffect (a
 *    zero-spread difference: when its mean does).
 * Decided comparisons keep their decision, look and seeds.
 */
export function decideLook(
  plan: SequentialPlan,
  lookIndex: number,
  data: readonly LookData[],
  previous: readonly ComparisonStanding[] | undefined,
  levels: LevelsAtLooks = nominalLevels,
): ComparisonStanding[] {
  const n = plan.looks[lookIndex];
  if (n === undefined)
    throw new ReportError('INVALID_ARGUMENT', `lookIndex: expected 0 … ${plan.looks.length - 1}, got ${lookIndex}`);
  const m = data.length;
  const standings: ComparisonStanding[] = data.map(({ comparison, differences }, i) => {
    const before = previous?.[i];
    if (before !== undefined && before.decision !== 'open') return before;
    const stats = pairedStatistics(differences);
    return {
      comparison,
      decision: 'open',
      decidedAt: null,
      seeds: differences.length,
      difference: stats.mean,
      interval: null,
      p: stats.p,
      threshold: null,
    };
  });
  let remaining = m - standings.filter((s) => s.decision === 'better' || s.decision === 'worse').length;
  const tested = standings
    .map((standing, index) => ({ standing, index }))
    .filter(({ standing }) => standing.decision === 'open' && standing.p !== null)
    .sort((x, y) => (x.standing.p ?? 1) - (y.standing.p ?? 1));
  for (const { standing, index } of tested) {
    const threshold = levels(plan, plan.alpha / remaining)[lookIndex] ?? 0;
    if ((standing.p ?? 1) >= threshold) {
      // The step-down stops here: every open one shows the level its next step would need.
      for (const other of tested) {
        const current = standings[other.index];
        if (current?.decision === 'open') standings[other.index] = { ...current, threshold };
      }
      break;
    }
    const better = favoursVariant(standing.comparison, standing.difference ?? 0);
    standings[index] = { ...standing, decision: better ? 'better' : 'worse', decidedAt: lookIndex + 1, threshold };
    remaining--;
  }
  const intervalLevel = levels(plan, plan.alpha / Math.max(m, 1))[lookIndex] ?? 0;
  return standings.map((standing, index) => {
    if (standing.decidedAt !== null && standing.decidedAt < lookIndex + 1) return standing;
    const differences = data[index]?.differences ?? [];
    const stats = pairedStatistics(differences);
    let interval: readonly [number, number] | null = null;
    if (stats.mean !== null && stats.se !== null) {
      const half = stats.se === 0 ? 0 : tCritical(intervalLevel, differences.length - 1) * stats.se;
      interval = [stats.mean - half, stats.mean + half];
    }
    const withInterval = { ...standing, interval };
    if (
      standing.decision === 'open' &&
      interval !== null &&
      interval[0] > -plan.smallestEffect &&
      interval[1] < plan.smallestEffect
    )
      return { ...withInterval, decision: 'too small' as const, decidedAt: lookIndex + 1 };
    return withInterval;
  });
}

/**
 * Runs look `lookIndex` of a study on every record made so far: the family is taken from the
 * records at the first look and kept; each comparison's differences are over the plan's first
 * `looks[lookIndex]` seeds that both variants have.
 */
export function sequentialLook(
  plan: SequentialPlan,
  lookIndex: number,
  records: readonly RunRecord[],
  previous?: SequentialOutcome,
  declared?: readonly DeclaredPrimary[],
): SequentialOutcome {
  const family =
    previous === undefined
      ? sequentialFamily(records, declared)
      : { experiment: previous.experiment, comparisons: previous.comparisons.map((s) => s.comparison) };
  const { comparisons } = family;
  const seeds = plan.seeds.slice(0, plan.looks[lookIndex] ?? 0);
  const standings = decideLook(plan, lookIndex, lookData(records, comparisons, seeds, declared), previous?.comparisons);
  const decided = standings.filter((s) => s.decision !== 'open').length;
  const looks = [
    ...(previous?.looks ?? []),
    { look: lookIndex + 1, seeds: seeds.length, decided, open: standings.length - decided },
  ];
  const stopped = decided === standings.length ? 'decided' : lookIndex + 1 >= plan.looks.length ? 'budget' : null;
  return { plan, experiment: family.experiment, looks, comparisons: standings, stopped };
}

/** The variants with an open comparison: only they need the next round's seeds. */
export function openVariants(outcome: SequentialOutcome): string[] {
  return [
    ...new Set(
      outcome.comparisons
        .filter((s) => s.decision === 'open')
        .flatMap((s) => [s.comparison.variant, s.comparison.baseline]),
    ),
  ];
}

/** `0.0012`, `< 0.0001`: a small p or level with two significant digits. */
export function formatLevel(p: number): string {
  if (p < 0.0001) return '< 0.0001';
  return p >= 0.01 ? p.toFixed(3) : p.toPrecision(2);
}

/** A look's level, in full below 0.0001 (e.g. `2.3e-5`): "p must be < < 0.0001" would say nothing. */
export const formatThreshold = (level: number): string =>
  level < 0.0001 ? level.toExponential(1) : formatLevel(level);

/** `focal vs ce, balancedAccuracy`. */
const comparisonName = (comparison: SequentialComparison): string =>
  `${comparison.variant} vs ${comparison.baseline}, ${comparison.metric}`;

/** What a decision says in words: `focal better than ce`, `too small to matter (within ±0.005)`, `open`. */
export function decisionText(standing: ComparisonStanding, smallestEffect: number): string {
  const { comparison } = standing;
  switch (standing.decision) {
    case 'better':
      return `${comparison.variant} better than ${comparison.baseline}`;
    case 'worse':
      return `${comparison.baseline} better than ${comparison.variant}`;
    case 'too small':
      return `too small to matter (within ±${smallestEffect})`;
    case 'open':
      return 'open';
  }
}

/** `+0.045 [+0.030, +0.060], p = 0.0012 (needs < 0.0031)`: a standing's numbers in one clause. */
function evidenceText(standing: ComparisonStanding): string {
  if (standing.difference === null) return 'no pairs yet';
  const interval =
    standing.interval === null ? '' : ` [${formatSigned(standing.interval[0])}, ${formatSigned(standing.interval[1])}]`;
  const p =
    standing.p === null
      ? ', no spread to test'
      : `, p ${standing.p < 0.0001 ? '< 0.0001' : `= ${formatLevel(standing.p)}`}`;
  const needs = standing.threshold === null ? '' : ` (needs < ${formatThreshold(standing.threshold)})`;
  return `${formatSigned(standing.difference)}${interval}${p}${needs}`;
}

/**
 * What the run command prints after a look: a head line, then one line per comparison, e.g.
 * `look 2 of 6 (6 seeds per variant): 2 decided, 1 open` and
 * `  logit-adjusted vs ce, balancedAccuracy: logit-adjusted better than ce at look 1 (5 seeds): +0.045 …`.
 */
export function lookLines(outcome: SequentialOutcome): string[] {
  const last = outcome.looks[outcome.looks.length - 1];
  if (last === undefined) return [];
  const head = `look ${last.look} of ${outcome.plan.looks.length} (${last.seeds} seeds per variant): ${last.decided} decided, ${last.open} open`;
  const tail =
    outcome.stopped === 'decided'
      ? ' — every comparison decided, stopping'
      : outcome.stopped === 'budget'
        ? ` — the budget of ${outcome.plan.maxSeeds} seeds per variant is spent, stopping`
        : '';
  const lines = outcome.comparisons.map((standing) => {
    const when = standing.decidedAt === null ? '' : ` at look ${standing.decidedAt} (${standing.seeds} seeds)`;
    return printable(
      `  ${comparisonName(standing.comparison)}: ${decisionText(standing, outcome.plan.smallestEffect)}${when}: ${evidenceText(standing)}`,
    );
  });
  return [`${head}${tail}`, ...lines];
}
