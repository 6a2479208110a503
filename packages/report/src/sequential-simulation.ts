import { seededRandom, type Random } from './bootstrap.js';
import {
  decideLook,
  nominalLevels,
  normalLevels,
  sequentialPlan,
  type ComparisonStanding,
  type LevelsAtLooks,
  type SequentialPlan,
} from './sequential.js';

/**
 * Simulated studies that check the procedure of `--until-decided` (sequential.ts): many studies
 * of a baseline and `differences.length` variants on one metric, run look by look exactly as the
 * run command runs them (a variant gets the next round's seeds only while one of its comparisons
 * is open), counting how often a comparison is decided wrongly, how often a true difference is
 * found, and how many seeds it took, beside the fixed design that runs every variant on the
 * budget's seeds and tests once (Holm at α).
 *
 * The model, a rate near `accuracy` per run: seed s shifts every variant by u_s ~ N(0, seedSd)
 * (what pairing by seed removes); each (variant, seed) run adds its own N(0, runSd); variant j is
 * `differences[j]` above the baseline. So a comparison's per-seed difference is
 * N(differences[j], 2 runSd²), and comparisons sharing the baseline are correlated (ρ = ½).
 */

export interface SequentialSimulationSettings {
  readonly studies: number;
  /** True variant − baseline of each comparison (one variant each, against one shared baseline). */
  readonly differences: readonly number[];
  readonly declared: number;
  readonly round: number;
  readonly maxSeeds: number;
  readonly alpha: number;
  readonly smallestEffect: number;
  readonly accuracy: number;
  readonly seedSd: number;
  readonly runSd: number;
  /** Seed text of the simulation's random numbers. */
  readonly seed: string;
}

/**
 * The defaults: 3 comparisons, 5 declared seeds, one seed per round up to 10 (mnist-lt's
 * `--max-seeds=10`), α = 0.05, the default smallest effect 0.005, run-to-run sd 0.0035 (so the
 * per-seed difference has sd 0.005, about what mnist-lt's balanced accuracy shows).
 */
export const DEFAULT_SEQUENTIAL_SIMULATION: SequentialSimulationSettings = {
  studies: 2000,
  differences: [0, 0, 0],
  declared: 5,
  round: 1,
  maxSeeds: 10,
  alpha: 0.05,
  smallestEffect: 0.005,
  accuracy: 0.9,
  seedSd: 0.01,
  runSd: 0.0035,
  seed: 'losslab sequential simulation',
};

/** What one procedure did over all studies. */
interface ProcedureSummary {
  /** Share of studies deciding some comparison wrongly: better or worse without a difference, or the wrong way. */
  readonly falseDecision: number;
  /** Share of studies calling a true difference of at least the smallest effect "too small to matter". */
  readonly falseTooSmall: number;
  /** Over the comparisons with a true difference ≥ the smallest effect: the share decided the right way. */
  readonly power: number | null;
  /** Over the comparisons without a difference: the share decided too small to matter. */
  readonly tooSmallWhenNull: number | null;
  /** Mean seeds per variant (the baseline and each variant, averaged) at the end of a study. */
  readonly seedsPerVariant: number;
  /** Mean runs per study (every variant's seeds added up). */
  readonly runs: number;
  /** Share of studies that stopped before the budget because every comparison was decided. */
  readonly stoppedEarly: number;
}

export interface SequentialSimulationResult {
  readonly settings: SequentialSimulationSettings;
  readonly looks: readonly number[];
  /** The procedure of `--until-decided`. */
  readonly sequential: ProcedureSummary;
  /** Every look tested at the full level, without spending: what the spending is for. */
  readonly naive: ProcedureSummary;
  /** The normal-theory levels used for t-tests uncalibrated: what the calibration is for. */
  readonly normal: ProcedureSummary;
  /** One look at the budget's seeds, Holm at α. */
  readonly fixed: ProcedureSummary;
  /** Monte-Carlo standard error of a share near α over this many studies. */
  readonly monteCarloError: number;
}

/** A standard normal number (Box–Muller). */
function normal(random: Random): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Testing every look at the family level itself: the "look without spending" the spending guards against.
 * @internal exported for its test
 */
export const levelsWithoutSpending: LevelsAtLooks = (plan, level) => plan.looks.map(() => level);

/** One study's values: [seed][0 = baseline, 1… = variants]. */
function drawStudy(settings: SequentialSimulationSettings, random: Random): number[][] {
  return Array.from({ length: settings.maxSeeds }, () => {
    const shift = settings.accuracy + settings.seedSd * normal(random);
    return [0, ...settings.differences].map((difference) => shift + difference + settings.runSd * normal(random));
  });
}

/** How one study ended under one procedure. */
interface StudyEnding {
  readonly standings: readonly ComparisonStanding[];
  /** Seeds each variant ran (0 = baseline). */
  readonly seeds: readonly number[];
  readonly early: boolean;
}

/** Runs the looks of `plan` on one study's values as the run command would. */
function runStudy(plan: SequentialPlan, values: readonly number[][], levels: LevelsAtLooks): StudyEnding {
  const variants = (values[0]?.length ?? 1) - 1;
  const seeds = Array.from({ length: variants + 1 }, () => 0);
  let standings: ComparisonStanding[] | undefined;
  for (const [lookIndex, n] of plan.looks.entries()) {
    // Each variant's seeds so far: a variant whose comparisons were all decided stopped earlier.
    const open = (j: number): boolean => standings === undefined || standings[j]?.decision === 'open';
    for (let v = 0; v <= variants; v++)
      if (v === 0 ? Array.from({ length: variants }, (_, j) => j).some(open) : open(v - 1)) seeds[v] = n;
    const data = Array.from({ length: variants }, (_, j) => ({
      comparison: { variant: `v${j + 1}`, baseline: 'base', metric: 'accuracy', direction: 'higher' as const },
      differences: values.slice(0, n).map((row) => (row[j + 1] ?? 0) - (row[0] ?? 0)),
    }));
    standings = decideLook(plan, lookIndex, data, standings, levels);
    if (standings.every((s) => s.decision !== 'open'))
      return { standings, seeds, early: lookIndex < plan.looks.length - 1 };
  }
  return { standings: standings ?? [], seeds, early: false };
}

/** Sums endings into a {@link ProcedureSummary}. */
function summarise(settings: SequentialSimulationSettings, endings: readonly StudyEnding[]): ProcedureSummary {
  const { differences, smallestEffect } = settings;
  let falseDecision = 0;
  let falseTooSmall = 0;
  let found = 0;
  let real = 0;
  let tooSmall = 0;
  let nulls = 0;
  let seeds = 0;
  let runs = 0;
  let early = 0;
  for (const ending of endings) {
    let wrong = false;
    let wrongSmall = false;
    for (const [j, standing] of ending.standings.entries()) {
      const truth = differences[j] ?? 0;
      const decidedBetter = standing.decision === 'better';
      const decidedWorse = standing.decision === 'worse';
      if (truth === 0) {
        nulls++;
        if (decidedBetter || decidedWorse) wrong = true;
        if (standing.decision === 'too small') tooSmall++;
      } else {
        if ((truth > 0 && decidedWorse) || (truth < 0 && decidedBetter)) wrong = true;
        if (Math.abs(truth) >= smallestEffect) {
          real++;
          if ((truth > 0 && decidedBetter) || (truth < 0 && decidedWorse)) found++;
          if (standing.decision === 'too small') wrongSmall = true;
        }
      }
    }
    if (wrong) falseDecision++;
    if (wrongSmall) falseTooSmall++;
    seeds += ending.seeds.reduce((sum, n) => sum + n, 0) / ending.seeds.length;
    runs += ending.seeds.reduce((sum, n) => sum + n, 0);
    if (ending.early) early++;
  }
  const studies = endings.length;
  return {
    falseDecision: falseDecision / studies,
    falseTooSmall: falseTooSmall / studies,
    power: real === 0 ? null : found / real,
    tooSmallWhenNull: nulls === 0 ? null : tooSmall / nulls,
    seedsPerVariant: seeds / studies,
    runs: runs / studies,
    stoppedEarly: early / studies,
  };
}

/**
 * Simulates `settings.studies` studies and runs each through the sequential procedure, the same
 * looks without spending, and the fixed design; the same draws for all three.
 *
 * @example simulateSequential({ ...DEFAULT_SEQUENTIAL_SIMULATION, studies: 200 }).sequential.falseDecision // near or below 0.05
 */
export function simulateSequential(settings: SequentialSimulationSettings): SequentialSimulationResult {
  const random = seededRandom(`${settings.seed}/${JSON.stringify(settings.differences)}`);
  const declared = Array.from({ length: settings.declared }, (_, i) => i);
  const common = { alpha: settings.alpha, smallestEffect: settings.smallestEffect };
  const plan = sequentialPlan({ declared, round: settings.round, maxSeeds: settings.maxSeeds, ...common });
  const fixedPlan = sequentialPlan({
    declared: Array.from({ length: settings.maxSeeds }, (_, i) => i),
    round: 1,
    maxSeeds: settings.maxSeeds,
    ...common,
  });
  const endings: { sequential: StudyEnding[]; naive: StudyEnding[]; normal: StudyEnding[]; fixed: StudyEnding[] } = {
    sequential: [],
    naive: [],
    normal: [],
    fixed: [],
  };
  for (let study = 0; study < settings.studies; study++) {
    const values = drawStudy(settings, random);
    endings.sequential.push(runStudy(plan, values, nominalLevels));
    endings.naive.push(runStudy(plan, values, levelsWithoutSpending));
    endings.normal.push(runStudy(plan, values, normalLevels));
    endings.fixed.push(runStudy(fixedPlan, values, nominalLevels));
  }
  return {
    settings,
    looks: plan.looks,
    sequential: summarise(settings, endings.sequential),
    naive: summarise(settings, endings.naive),
    normal: summarise(settings, endings.normal),
    fixed: summarise(settings, endings.fixed),
    monteCarloError: Math.sqrt((settings.alpha * (1 - settings.alpha)) / settings.studies),
  };
}

const percent = (share: number | null): string => (share === null ? '—' : `${(100 * share).toFixed(1)} %`);

/** The Markdown table of simulation results, one row per scenario and procedure (STATISTICS.md, "Seeds until decided"). */
export function sequentialSimulationTable(results: readonly SequentialSimulationResult[]): string {
  const lines = [
    '| scenario | procedure | studies | false decisions | "too small" for a real difference | power | "too small" without a difference | seeds per variant | runs per study | stopped early | Monte-Carlo SE |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const result of results) {
    const { settings } = result;
    const scenario = `differences ${settings.differences.join(', ')}; looks at ${result.looks.join(', ')} seeds`;
    const rows: [string, ProcedureSummary][] = [
      ['until decided (O’Brien–Fleming spending calibrated to t, Holm)', result.sequential],
      [`fixed: ${settings.maxSeeds} seeds, Holm`, result.fixed],
      ['every look at full α (no spending)', result.naive],
      ['until decided with normal-theory levels (uncalibrated)', result.normal],
    ];
    for (const [name, summary] of rows)
      lines.push(
        `| ${scenario} | ${name} | ${settings.studies} | ${percent(summary.falseDecision)} | ${percent(summary.falseTooSmall)} | ${percent(summary.power)} | ${percent(summary.tooSmallWhenNull)} | ${summary.seedsPerVariant.toFixed(2)} | ${summary.runs.toFixed(1)} | ${percent(summary.stoppedEarly)} | ${percent(result.monteCarloError)} |`,
      );
  }
  return lines.join('\n');
}
