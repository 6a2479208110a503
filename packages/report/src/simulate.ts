import {
  pairedBootstrap,
  probabilityOfImprovement,
  seededRandom,
  stratifiedBootstrap,
  twoLevelBootstrap,
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
  readonly coverage: {
    readonly twoLevel: number;
    readonly pairedSeeds: number;
    readonly probability: number;
    readonly tInterval: number;
  };
  /** Share of studies where the method declares a difference: interval excluding 0 (or 1/2), t-test p < α. */
  readonly declared: {
    readonly twoLevel: number;
    readonly pairedSeeds: number;
    readonly probability: number;
    readonly tTest: number;
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

/**
 * Runs `settings.studies` simulated studies and returns the coverage of the two-level bootstrap
 * interval, the paired-seeds bootstrap interval, P(A > B)'s stratified bootstrap interval and the
 * paired t interval, and how often each declares a difference. Deterministic for given settings.
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
  const counts = { twoLevel: 0, pairedSeeds: 0, probability: 0, tInterval: 0 };
  const declared = { twoLevel: 0, pairedSeeds: 0, probability: 0, tTest: 0 };
  const accuracy = CONFUSION_METRICS.accuracy!;
  for (let study = 0; study < settings.studies; study++) {
    const test = testSet(settings, random);
    const seeds = Array.from({ length: settings.seeds }, () =>
      seedExamples(settings, random, test, seedAccuracies(settings, random, settings.seedSd * normal(random))),
    );
    const a = seeds.map((seed) => accuracyOf(seed.truth, seed.predictedA));
    const b = seeds.map((seed) => accuracyOf(seed.truth, seed.predictedB));
    // each study's resampling seeded from its own data, as a report seeds from its runs
    const resampling = seededRandom(`${settings.seed}|study ${study}|${a.join(',')}|${b.join(',')}`);
    const twoLevel = twoLevelBootstrap(seeds, accuracy, resampling, settings.replicates, level);
    const paired = pairedBootstrap(a, b, resampling, settings.replicates, level);
    const improvement = stratifiedBootstrap(
      [a, b],
      ([x = [], y = []]) => probabilityOfImprovement(x, y),
      resampling,
      settings.replicates,
      level,
    );
    const tTest = pairedTTest(a, b, level);
    if (holds(twoLevel.interval, trueDifference)) counts.twoLevel++;
    if (holds(paired.interval, trueDifference)) counts.pairedSeeds++;
    if (holds(improvement.interval, trueProbability)) counts.probability++;
    if (tTest.ci !== null && holds(tTest.ci, trueDifference)) counts.tInterval++;
    if (excludes(twoLevel.interval, 0)) declared.twoLevel++;
    if (excludes(paired.interval, 0)) declared.pairedSeeds++;
    if (excludes(improvement.interval, 0.5)) declared.probability++;
    if (tTest.p !== null && tTest.p < settings.alpha) declared.tTest++;
  }
  const share = (count: number): number => count / settings.studies;
  return {
    settings,
    trueDifference,
    trueProbability,
    coverage: {
      twoLevel: share(counts.twoLevel),
      pairedSeeds: share(counts.pairedSeeds),
      probability: share(counts.probability),
      tInterval: share(counts.tInterval),
    },
    declared: {
      twoLevel: share(declared.twoLevel),
      pairedSeeds: share(declared.pairedSeeds),
      probability: share(declared.probability),
      tTest: share(declared.tTest),
    },
    monteCarloError: {
      coverage: Math.sqrt((level * (1 - level)) / settings.studies),
      rate: Math.sqrt((settings.alpha * (1 - settings.alpha)) / settings.studies),
    },
  };
}

const percent = (share: number): string => `${(100 * share).toFixed(1)} %`;

/** The simulation's results as a Markdown table, one row per result (as STATISTICS.md shows it). */
export function simulationTable(results: readonly SimulationResult[]): string {
  const lines = [
    '| scenario | seeds | test examples | studies | true difference | true P(A > B) | coverage: two-level bootstrap | coverage: paired-seeds bootstrap | coverage: P(A > B) interval | coverage: paired t interval | declared: two-level | declared: paired seeds | declared: P(A > B) | declared: t-test p < α | Monte-Carlo SE (coverage / rate) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { settings, trueDifference, trueProbability, coverage, declared, monteCarloError } of results) {
    lines.push(
      `| ${settings.difference === 0 ? 'no difference' : `A − B = ${settings.difference}`} | ${settings.seeds} | ${settings.examples} | ${settings.studies} | ${trueDifference.toFixed(4)} | ${trueProbability.toFixed(3)} | ${percent(coverage.twoLevel)} | ${percent(coverage.pairedSeeds)} | ${percent(coverage.probability)} | ${percent(coverage.tInterval)} | ${percent(declared.twoLevel)} | ${percent(declared.pairedSeeds)} | ${percent(declared.probability)} | ${percent(declared.tTest)} | ${percent(monteCarloError.coverage)} / ${percent(monteCarloError.rate)} |`,
    );
  }
  return lines.join('\n');
}
