import {
  interquartileMean,
  interquartileMeanInterval,
  pairedBootstrap,
  percentileInterval,
  probabilityOfImprovement,
  seededRandom,
  stratifiedBootstrap,
  twoLevelInterval,
  type PairedExamples,
  type Random,
} from './bootstrap.js';
import { CONFUSION_METRICS } from './confusion-metrics.js';
import { pairedTTest } from './stats.js';

/**
 * Simulated studies that check the report's intervals: many two-variant studies drawn from a
 * known model, each analysed exactly as a report analyses one primary comparison, counting how
 * often each interval holds the true value and how often each method declares a difference.
 *
 * The model, like a losslab study whose seeds share one test set: each study draws `examples`
 * test examples, each with a difficulty z_i ~ N(0, 1) and a random binary label. Seed s shifts both
 * variants' accuracy by u_s ~ N(0, seedSd) (what pairing removes); each (variant, seed) adds its
 * own N(0, runSd); A's accuracy is `difference` above B's. A run answers example i correctly when
 * a uniform number is below σ(logit(its accuracy) + difficulty·z_i); with probability
 * `exampleCorrelation` both variants of a seed share that number. The true difference (over seeds
 * and test sets) and the true P(A > B) (two independent seeds on the same test set, over test sets)
 * come from large Monte-Carlo runs of the same model.
 */

export interface SimulationSettings {
  readonly studies: number;
  readonly seeds: number;
  readonly examples: number;
  /** True mean accuracy of A minus that of B. */
  readonly difference: number;
  readonly accuracy: number;
  readonly seedSd: number;
  readonly runSd: number;
  readonly exampleCorrelation: number;
  /** How much examples differ in difficulty (logit scale), the same for every seed and variant. */
  readonly difficulty: number;
  readonly replicates: number;
  readonly alpha: number;
  /** Seed text of the simulation's random numbers (each study's resampling is seeded from its own data, as in a report). */
  readonly seed: string;
}

export const DEFAULT_SIMULATION: SimulationSettings = {
  studies: 2000,
  seeds: 5,
  examples: 100,
  difference: 0,
  accuracy: 0.8,
  seedSd: 0.02,
  runSd: 0.01,
  exampleCorrelation: 0.7,
  difficulty: 1.5,
  replicates: 2000,
  alpha: 0.05,
  seed: 'losslab simulation',
};

/** How often each interval held the true value, and each method declared a difference, over the studies. */
export interface SimulationResult {
  readonly settings: SimulationSettings;
  /** Mean accuracy of A minus that of B under the model, over seeds and test sets (Monte Carlo; 0 without a difference). */
  readonly trueDifference: number;
  /** P(A > B) between independent seeds on one test set, over test sets (Monte Carlo; exactly 1/2 without a difference). */
  readonly trueProbability: number;
  /** Share of studies whose interval holds the true value: the intervals a report shows, then two it does not (for comparison). */
  readonly coverage: {
    readonly twoLevel: number;
    readonly tInterval: number;
    readonly probability: number;
    /** A's interquartile mean: its trimmed-mean t interval against the IQM of A's seeds on the study's test set. */
    readonly iqm: number;
    /** Not shown: the percentile bootstrap over paired seeds (the former fallback). */
    readonly pairedSeeds: number;
    /** Not shown: P(A > B) with a percentile bootstrap over paired seeds (the same seeds drawn for A and B). */
    readonly probabilityPaired: number;
  };
  /** Share of studies where the method declares a difference: interval excluding 0 (or 1/2), t-test p < α. */
  readonly declared: {
    readonly twoLevel: number;
    readonly tTest: number;
    readonly probability: number;
    readonly pairedSeeds: number;
    readonly probabilityPaired: number;
  };
  /** Monte-Carlo standard error of a share near 95 % (or near α) over this many studies. */
  readonly monteCarloError: { readonly coverage: number; readonly rate: number };
}

/** A standard normal number (Box–Muller). */
function normal(random: Random): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const clampRate = (p: number): number => Math.min(0.999, Math.max(0.001, p));

/** One seed's accuracies of A and B under the model. */
function seedAccuracies(settings: SimulationSettings, random: Random, shift: number): [number, number] {
  const base = settings.accuracy + shift;
  return [
    clampRate(base + settings.difference / 2 + settings.runSd * normal(random)),
    clampRate(base - settings.difference / 2 + settings.runSd * normal(random)),
  ];
}

const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** One study's test set: each example's difficulty and label. */
interface TestSet {
  readonly difficulty: Float64Array;
  readonly truth: Int32Array;
}

function testSet(settings: SimulationSettings, random: Random): TestSet {
  const difficulty = Float64Array.from({ length: settings.examples }, () => settings.difficulty * normal(random));
  const truth = Int32Array.from({ length: settings.examples }, () => (random() < 0.5 ? 1 : 0));
  return { difficulty, truth };
}

/** One seed's answers of A and B on the test set. */
function seedExamples(
  settings: SimulationSettings,
  random: Random,
  test: TestSet,
  [pA, pB]: [number, number],
): PairedExamples {
  const size = settings.examples;
  const predictedA = new Int32Array(size);
  const predictedB = new Int32Array(size);
  const [a, b] = [logit(pA), logit(pB)];
  for (let i = 0; i < size; i++) {
    const label = test.truth[i] ?? 0;
    const z = test.difficulty[i] ?? 0;
    const uA = random();
    const uB = random() < settings.exampleCorrelation ? uA : random();
    predictedA[i] = uA < sigmoid(a + z) ? label : 1 - label;
    predictedB[i] = uB < sigmoid(b + z) ? label : 1 - label;
  }
  return { truth: test.truth, predictedA, predictedB, classes: 2 };
}

const accuracyOf = (truth: Int32Array, predicted: Int32Array): number =>
  predicted.reduce((n, p, i) => n + (p === truth[i] ? 1 : 0), 0) / truth.length;

/** The true difference and P(A > B) under the model, by Monte Carlo (ties half). */
function truthOf(settings: SimulationSettings, random: Random): { difference: number; probability: number } {
  if (settings.difference === 0) return { difference: 0, probability: 0.5 };
  let difference = 0;
  const draws = 400_000;
  for (let k = 0; k < draws; k++) {
    const [pA, pB] = seedAccuracies(settings, random, settings.seedSd * normal(random));
    const z = settings.difficulty * normal(random);
    difference += sigmoid(logit(pA) + z) - sigmoid(logit(pB) + z);
  }
  let wins = 0;
  const pairs = 4000;
  for (let k = 0; k < pairs; k++) {
    const test = testSet(settings, random);
    const [pA] = seedAccuracies(settings, random, settings.seedSd * normal(random));
    const [, pB] = seedAccuracies(settings, random, settings.seedSd * normal(random));
    const seedA = seedExamples(settings, random, test, [pA, pA]);
    const seedB = seedExamples(settings, random, test, [pB, pB]);
    const a = accuracyOf(test.truth, seedA.predictedA);
    const b = accuracyOf(test.truth, seedB.predictedB);
    wins += a > b ? 1 : a === b ? 0.5 : 0;
  }
  return { difference: difference / draws, probability: wins / pairs };
}

const holds = (interval: readonly [number, number], value: number): boolean =>
  interval[0] <= value && value <= interval[1];
const excludes = (interval: readonly [number, number], value: number): boolean => !holds(interval, value);

/** A's interquartile mean over seeds on one test set (its true value for that test set), from `draws` simulated seeds. */
function trueIqmOnTestSet(settings: SimulationSettings, random: Random, test: TestSet, draws: number): number {
  const accuracies = Array.from({ length: draws }, () => {
    const [pA] = seedAccuracies(settings, random, settings.seedSd * normal(random));
    const seed = seedExamples(settings, random, test, [pA, pA]);
    return accuracyOf(test.truth, seed.predictedA);
  });
  return interquartileMean(accuracies);
}

/** Seeds drawn per study for the true IQM on its test set (its Monte-Carlo error ≈ 0.001, against intervals ≈ ±0.06). */
const IQM_TRUTH_DRAWS = 1000;

/**
 * Runs `settings.studies` simulated studies and returns the coverage of the intervals a report
 * shows — the two-level interval of the difference, the paired t interval (the fallback without
 * predictions), P(A > B)'s stratified bootstrap interval and A's IQM trimmed-mean t interval —
 * and of two it does not show (the percentile bootstrap over paired seeds, for the difference and
 * for P(A > B)), and how often each declares a difference. Deterministic for given settings.
 *
 * @example simulateIntervals({ ...DEFAULT_SIMULATION, studies: 200 }).coverage.twoLevel // ≈ 0.95
 */
export function simulateIntervals(settings: SimulationSettings): SimulationResult {
  const random = seededRandom(
    `${settings.seed}|${settings.seeds}|${settings.examples}|${settings.difference}|${settings.seedSd}|${settings.runSd}`,
  );
  const truth = truthOf(settings, random);
  const trueProbability = truth.probability;
  const trueDifference = truth.difference;
  const level = 1 - settings.alpha;
  const counts = { twoLevel: 0, tInterval: 0, probability: 0, iqm: 0, pairedSeeds: 0, probabilityPaired: 0 };
  const declared = { twoLevel: 0, tTest: 0, probability: 0, pairedSeeds: 0, probabilityPaired: 0 };
  const accuracy = CONFUSION_METRICS.accuracy!;
  const improvementOf = (x: readonly number[], y: readonly number[]): number => probabilityOfImprovement(x, y);
  for (let study = 0; study < settings.studies; study++) {
    const test = testSet(settings, random);
    const seeds = Array.from({ length: settings.seeds }, () =>
      seedExamples(settings, random, test, seedAccuracies(settings, random, settings.seedSd * normal(random))),
    );
    const a = seeds.map((seed) => accuracyOf(seed.truth, seed.predictedA));
    const b = seeds.map((seed) => accuracyOf(seed.truth, seed.predictedB));
    const trueIqm = trueIqmOnTestSet(settings, random, test, IQM_TRUTH_DRAWS);
    // each study's resampling seeded from its own data, as a report seeds from its runs
    const resampling = seededRandom(`${settings.seed}|study ${study}|${a.join(',')}|${b.join(',')}`);
    const twoLevel = twoLevelInterval(seeds, accuracy, resampling, { replicates: settings.replicates, level });
    const tTest = pairedTTest(a, b, level);
    const improvement = stratifiedBootstrap(
      [a, b],
      ([x = [], y = []]) => improvementOf(x, y),
      resampling,
      settings.replicates,
      level,
    );
    const iqm = interquartileMeanInterval(a, level);
    const paired = pairedBootstrap(a, b, resampling, settings.replicates, level);
    const pairedImprovement = pairedSeedsImprovement(a, b, resampling, settings.replicates, level);
    if (holds(twoLevel.interval, trueDifference)) counts.twoLevel++;
    if (tTest.ci !== null && holds(tTest.ci, trueDifference)) counts.tInterval++;
    if (holds(improvement.interval, trueProbability)) counts.probability++;
    if (holds(iqm.interval, trueIqm)) counts.iqm++;
    if (holds(paired.interval, trueDifference)) counts.pairedSeeds++;
    if (holds(pairedImprovement, trueProbability)) counts.probabilityPaired++;
    if (excludes(twoLevel.interval, 0)) declared.twoLevel++;
    if (tTest.p !== null && tTest.p < settings.alpha) declared.tTest++;
    if (excludes(improvement.interval, 0.5)) declared.probability++;
    if (excludes(paired.interval, 0)) declared.pairedSeeds++;
    if (excludes(pairedImprovement, 0.5)) declared.probabilityPaired++;
  }
  const share = (count: number): number => count / settings.studies;
  const shares = <K extends string>(record: Record<K, number>): Record<K, number> =>
    Object.fromEntries(Object.entries(record).map(([key, count]) => [key, share(count as number)])) as Record<
      K,
      number
    >;
  return {
    settings,
    trueDifference,
    trueProbability,
    coverage: shares(counts),
    declared: shares(declared),
    monteCarloError: {
      coverage: Math.sqrt((level * (1 - level)) / settings.studies),
      rate: Math.sqrt((settings.alpha * (1 - settings.alpha)) / settings.studies),
    },
  };
}

/** P(A > B) with a percentile bootstrap that draws the same seeds for A and B (not shown in reports; simulated to compare). */
function pairedSeedsImprovement(
  a: readonly number[],
  b: readonly number[],
  random: Random,
  replicates: number,
  level: number,
): readonly [number, number] {
  const values = Array.from({ length: replicates }, () => {
    const drawn = a.map(() => Math.min(a.length - 1, Math.floor(random() * a.length)));
    return probabilityOfImprovement(
      drawn.map((s) => a[s] ?? Number.NaN),
      drawn.map((s) => b[s] ?? Number.NaN),
    );
  });
  return percentileInterval(values, level);
}

const percent = (share: number): string => `${(100 * share).toFixed(1)} %`;

/** The simulation's results as a Markdown table, one row per result (as STATISTICS.md shows it). */
export function simulationTable(results: readonly SimulationResult[]): string {
  const lines = [
    '| scenario | seeds | test examples | studies | true difference | true P(A > B) | coverage: two-level interval | coverage: paired t interval | coverage: P(A > B) interval | coverage: IQM interval | not shown — coverage: percentile bootstrap over paired seeds | not shown — coverage: P(A > B) paired percentile | declared: two-level | declared: t-test p < α | declared: P(A > B) | not shown — declared: paired percentile | not shown — declared: P(A > B) paired | Monte-Carlo SE (coverage / rate) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { settings, trueDifference, trueProbability, coverage, declared, monteCarloError } of results) {
    lines.push(
      `| ${settings.difference === 0 ? 'no difference' : `A − B = ${settings.difference}`} | ${settings.seeds} | ${settings.examples} | ${settings.studies} | ${trueDifference.toFixed(4)} | ${trueProbability.toFixed(3)} | ${percent(coverage.twoLevel)} | ${percent(coverage.tInterval)} | ${percent(coverage.probability)} | ${percent(coverage.iqm)} | ${percent(coverage.pairedSeeds)} | ${percent(coverage.probabilityPaired)} | ${percent(declared.twoLevel)} | ${percent(declared.tTest)} | ${percent(declared.probability)} | ${percent(declared.pairedSeeds)} | ${percent(declared.probabilityPaired)} | ${percent(monteCarloError.coverage)} / ${percent(monteCarloError.rate)} |`,
    );
  }
  return lines.join('\n');
}
