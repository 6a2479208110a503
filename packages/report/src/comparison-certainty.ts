import {
  interquartileMeanInterval,
  pairedConfusions,
  probabilityOfImprovement,
  seededRandom,
  stratifiedBootstrap,
  twoLevelInterval,
  type PairedExamples,
} from './bootstrap.js';
import { predictionsKey, type RunPredictions } from './calibration.js';
import type { MetricComparison } from './compare.js';
import { CONFUSION_METRICS } from './confusion-metrics.js';
import { formatSigned, formatValue } from './format.js';
import type { RunGroup } from './groups.js';
import { defaultDirection } from './metrics.js';
import { pairedTTest, welchTest } from './stats.js';
import type { Direction } from './verdict.js';
import type { ExamplePredictions, RunRecord } from '@losslab/schema';

/** Seeds per variant from which the interquartile mean is shown (rliable's advice: with fewer, a quarter is not even one run). */
export const IQM_MIN_SEEDS = 5;

/** Which variant a method finds better, or `neither` when it shows no difference. */
type Finding = 'label' | 'baseline' | 'neither';

/** How sure one primary comparison is, by three methods that should agree. */
export interface ComparisonCertainty {
  readonly experiment: string;
  /** The variant compared (A) and the one it is compared with (B), as in the comparison. */
  readonly label: string;
  readonly baseline: string;
  readonly metric: string;
  readonly direction: Direction;
  /** P(A better than B) over seeds (ties half) and its stratified bootstrap interval (95 %). */
  readonly probability: number;
  readonly probabilityInterval: readonly [number, number];
  /** mean(A) − mean(B) and its interval (95 %). */
  readonly difference: number;
  readonly differenceInterval: readonly [number, number];
  /**
   * Which interval the difference has: two-level (t over paired seeds plus the shared test set's
   * variance, bootstrapped over its examples), the paired t interval over seeds (no predictions
   * to resample), or Welch's t interval (different seeds).
   */
  readonly resampled: 'seeds (t) and test examples (bootstrap)' | 'paired t over seeds' | 'Welch t over seeds';
  /** Why the test examples were not resampled, when they were not. */
  readonly examplesNote: string | null;
  /** Interquartile means of A and B with jackknife t intervals, with at least {@link IQM_MIN_SEEDS} seeds each. */
  readonly iqm: {
    readonly label: number;
    readonly labelInterval: readonly [number, number];
    readonly baseline: number;
    readonly baselineInterval: readonly [number, number];
  } | null;
  /** What each method finds: the t-test at unadjusted p < α, the difference's interval excluding 0, P(A > B)'s interval excluding 1/2. */
  readonly findings: { readonly tTest: Finding | null; readonly bootstrap: Finding; readonly probability: Finding };
  readonly agree: boolean;
  /** The text whose sha256 seeded the resampling (run ids and predictions sha256s): the same runs give the same intervals. */
  readonly seedText: string;
}

/** A seed's predicted classes under a run's evaluation: argMax, or for a detection p(positive) > threshold. */
function predictedClasses(record: RunRecord, predictions: ExamplePredictions): Int32Array {
  const { probabilities, classes } = predictions;
  const size = predictions.truth.length;
  if (record.definition.evaluation?.kind === 'binaryDetection') {
    const threshold = record.definition.evaluation.threshold ?? 0.5;
    return Int32Array.from({ length: size }, (_, i) => ((probabilities[2 * i + 1] ?? 0) > threshold ? 1 : 0));
  }
  return Int32Array.from({ length: size }, (_, i) => {
    let top = 0;
    for (let k = 1; k < classes; k++)
      if ((probabilities[i * classes + k] ?? 0) > (probabilities[i * classes + top] ?? 0)) top = k;
    return top;
  });
}

/** Same examples in the same order with the same truth. */
function sameExamples(a: ExamplePredictions, b: ExamplePredictions): boolean {
  if (a.truth.length !== b.truth.length || a.classes !== b.classes) return false;
  for (let i = 0; i < a.truth.length; i++) if (a.index[i] !== b.index[i] || a.truth[i] !== b.truth[i]) return false;
  return true;
}

/** Recomputed metric equals the recorded one (to rounding). */
const reproduces = (recomputed: number, recorded: number | undefined): boolean =>
  recorded !== undefined && Math.abs(recomputed - recorded) <= 1e-9 * Math.max(1, Math.abs(recorded));

/**
 * The paired seeds of A and B with their examples aligned, or the reason they cannot be resampled
 * at the level of test examples.
 */
function pairedExamples(
  metric: string,
  a: ReadonlyMap<number, RunRecord>,
  b: ReadonlyMap<number, RunRecord>,
  seeds: readonly number[],
  predictions: RunPredictions,
): { seeds: PairedExamples[]; hashes: string[]; sharedExamples: boolean } | { reason: string } {
  const compute = CONFUSION_METRICS[metric];
  if (compute === undefined) return { reason: `${metric} is not recomputed from predictions` };
  const paired: PairedExamples[] = [];
  const hashes: string[] = [];
  let first: ExamplePredictions | undefined;
  let sharedExamples = true;
  for (const seed of seeds) {
    const recordA = a.get(seed);
    const recordB = b.get(seed);
    if (recordA === undefined || recordB === undefined) return { reason: `seed ${seed} is missing` };
    const predictionsA = predictions.get(predictionsKey(recordA));
    const predictionsB = predictions.get(predictionsKey(recordB));
    if (predictionsA === undefined || predictionsB === undefined)
      return { reason: `seed ${seed} has no per-example predictions in both variants` };
    if (!sameExamples(predictionsA, predictionsB))
      return { reason: `seed ${seed}: the variants were evaluated on different examples` };
    const examples = {
      truth: predictionsA.truth,
      predictedA: predictedClasses(recordA, predictionsA),
      predictedB: predictedClasses(recordB, predictionsB),
      classes: predictionsA.classes,
    };
    const { a: confusionA, b: confusionB } = pairedConfusions(examples);
    if (
      !reproduces(compute(confusionA), recordA.evaluation.metrics[metric]) ||
      !reproduces(compute(confusionB), recordB.evaluation.metrics[metric])
    )
      return { reason: `seed ${seed}: the predictions do not reproduce the recorded ${metric}` };
    // one test set for every seed (crossed design), or each seed its own (e.g. a seeded data draw)
    first ??= predictionsA;
    if (!sameExamples(first, predictionsA)) sharedExamples = false;
    paired.push(examples);
    hashes.push(recordA.predictions?.sha256 ?? '', recordB.predictions?.sha256 ?? '');
  }
  return { seeds: paired, hashes, sharedExamples };
}

/** The variant an interval favours: above `center` A (oriented by direction), below B, else neither. */
function findingOf(interval: readonly [number, number], center: number, sign: number): Finding {
  if (interval[0] > center) return sign > 0 ? 'label' : 'baseline';
  if (interval[1] < center) return sign > 0 ? 'baseline' : 'label';
  return 'neither';
}

const findingText = (finding: Finding, label: string, baseline: string): string =>
  finding === 'neither' ? 'no difference' : `${finding === 'label' ? label : baseline} better`;

const interval = ([low, high]: readonly [number, number], signed = false): string =>
  signed ? `[${formatSigned(low)}, ${formatSigned(high)}]` : `[${formatValue(low)}, ${formatValue(high)}]`;

/** The name of a difference's interval in the verdict's words. */
const intervalName = (entry: ComparisonCertainty): string =>
  entry.resampled === 'seeds (t) and test examples (bootstrap)'
    ? 'two-level interval'
    : entry.resampled === 'paired t over seeds'
      ? 'paired t interval'
      : 'Welch interval';

/** Whether the t-test, the difference's interval and P(A > B) agree, in words, for the verdict.
 * @internal
 */
export function certaintySentence(entry: ComparisonCertainty): string {
  const { label, baseline, findings } = entry;
  const pText = `P(${label} > ${baseline}) = ${formatValue(entry.probability)} ${interval(entry.probabilityInterval)}`;
  const name = intervalName(entry);
  const dText = `${name} ${interval(entry.differenceInterval, true)}`;
  return entry.agree
    ? `t-test, ${name} and P(A > B) agree (${findingText(findings.bootstrap, label, baseline)}): ${pText}, ${dText}`
    : `the methods disagree: t-test ${findings.tTest === null ? 'untestable' : findingText(findings.tTest, label, baseline)}, ${name} ${findingText(findings.bootstrap, label, baseline)} ${interval(entry.differenceInterval, true)}, ${pText} (${findingText(findings.probability, label, baseline)})`;
}

const swapped = (finding: Finding | null): Finding | null =>
  finding === 'label' ? 'baseline' : finding === 'baseline' ? 'label' : finding;

/**
 * The certainty of `label` against `baseline` from the entry of either orientation: reversed,
 * P(B > A) = 1 − P(A > B) (ties count half on both sides) and the difference changes sign.
 *
 * @internal
 */
export function certaintyOf(
  entries: readonly ComparisonCertainty[],
  experiment: string,
  metric: string,
  label: string,
  baseline: string,
): ComparisonCertainty | undefined {
  const same = (entry: ComparisonCertainty, a: string, b: string): boolean =>
    entry.experiment === experiment && entry.metric === metric && entry.label === a && entry.baseline === b;
  const direct = entries.find((entry) => same(entry, label, baseline));
  if (direct !== undefined) return direct;
  const reverse = entries.find((entry) => same(entry, baseline, label));
  if (reverse === undefined) return undefined;
  const [pLow, pHigh] = reverse.probabilityInterval;
  const [dLow, dHigh] = reverse.differenceInterval;
  return {
    ...reverse,
    label,
    baseline,
    probability: 1 - reverse.probability,
    probabilityInterval: [1 - pHigh, 1 - pLow],
    difference: -reverse.difference,
    differenceInterval: [-dHigh, -dLow],
    iqm:
      reverse.iqm === null
        ? null
        : {
            label: reverse.iqm.baseline,
            labelInterval: reverse.iqm.baselineInterval,
            baseline: reverse.iqm.label,
            baselineInterval: reverse.iqm.labelInterval,
          },
    findings: {
      tTest: swapped(reverse.findings.tTest),
      bootstrap: swapped(reverse.findings.bootstrap) ?? 'neither',
      probability: swapped(reverse.findings.probability) ?? 'neither',
    },
  };
}

/** The seeds of a group's runs, each seed's (first) run. */
const bySeed = (group: RunGroup): Map<number, RunRecord> => {
  const runs = new Map<number, RunRecord>();
  for (const record of group.records) if (!runs.has(record.seed)) runs.set(record.seed, record);
  return runs;
};

/**
 * For each tested primary comparison: P(A > B) with its stratified bootstrap interval, the
 * difference's interval (two-level — t over paired seeds plus the shared test set's bootstrapped
 * variance — when both variants kept predictions for the same seeds and these reproduce the
 * recorded metric; else the paired t interval, or Welch's when the seeds differ), the
 * interquartile means with jackknife t intervals from five seeds, and whether the t-test
 * (unadjusted p < α), the interval and P(A > B) agree.
 */
export function comparisonCertainty(
  comparisons: readonly MetricComparison[],
  groups: readonly RunGroup[],
  directions: ReadonlyMap<string, Direction>,
  predictions: RunPredictions,
  alpha: number,
): ComparisonCertainty[] {
  const level = 1 - alpha;
  return comparisons.flatMap((comparison) => {
    const { experiment, label, baseline, metric, values, baselineValues, test } = comparison;
    if (comparison.family !== 'primary' || values.length < 2 || baselineValues.length < 2) return [];
    const groupA = groups.find((group) => group.experiment === experiment && group.label === label);
    const groupB = groups.find((group) => group.experiment === experiment && group.label === baseline);
    if (groupA === undefined || groupB === undefined) return [];
    const direction = directions.get(JSON.stringify([experiment, metric])) ?? defaultDirection(metric);
    const sign = direction === 'higher' ? 1 : -1;
    const runsA = bySeed(groupA);
    const runsB = bySeed(groupB);
    const runIds = (group: RunGroup): string => group.records.map((record) => record.runId).join(',');
    const paired = test.method === 'paired';
    const seeds = paired ? [...runsA.keys()].filter((seed) => runsB.has(seed)).sort((x, y) => x - y) : [];
    const examples = paired
      ? pairedExamples(metric, runsA, runsB, seeds, predictions)
      : { reason: 'the variants ran different seeds' };
    const seedText = [
      'losslab bootstrap',
      experiment,
      metric,
      `${label}:${runIds(groupA)}`,
      `${baseline}:${runIds(groupB)}`,
      ...('hashes' in examples ? examples.hashes : []),
    ].join('|');
    const random = seededRandom(seedText);
    const oriented = (list: readonly number[]): number[] => list.map((value) => sign * value);
    const improvement = stratifiedBootstrap(
      [oriented(values), oriented(baselineValues)],
      ([x = [], y = []]) => probabilityOfImprovement(x, y),
      random,
      undefined,
      level,
    );
    // With 5 seeds a percentile bootstrap over seeds covers ~86 % (STATISTICS.md): the seed level is Student's t.
    const difference = ((): { estimate: number; interval: readonly [number, number] } => {
      if ('seeds' in examples)
        return twoLevelInterval(examples.seeds, CONFUSION_METRICS[metric]!, random, {
          level,
          sharedExamples: examples.sharedExamples,
        });
      const fallback = paired ? pairedTTest(values, baselineValues, level) : welchTest(values, baselineValues, level);
      // no spread at all: the interval is the point (the t-test is untestable then)
      return { estimate: fallback.difference, interval: fallback.ci ?? [fallback.difference, fallback.difference] };
    })();
    const iqmOf = (list: readonly number[]) => interquartileMeanInterval(list, level);
    const iqm =
      values.length >= IQM_MIN_SEEDS && baselineValues.length >= IQM_MIN_SEEDS
        ? (() => {
            const [a, b] = [iqmOf(values), iqmOf(baselineValues)];
            return { label: a.estimate, labelInterval: a.interval, baseline: b.estimate, baselineInterval: b.interval };
          })()
        : null;
    const tTest: Finding | null =
      test.p === null ? null : test.p < alpha ? (sign * test.difference > 0 ? 'label' : 'baseline') : 'neither';
    const findings = {
      tTest,
      bootstrap: findingOf(difference.interval, 0, sign),
      probability: findingOf(improvement.interval, 0.5, 1),
    };
    const agree =
      findings.bootstrap === findings.probability && (findings.tTest === null || findings.tTest === findings.bootstrap);
    const resampled =
      'seeds' in examples
        ? 'seeds (t) and test examples (bootstrap)'
        : paired
          ? 'paired t over seeds'
          : 'Welch t over seeds';
    return [
      {
        experiment,
        label,
        baseline,
        metric,
        direction,
        probability: improvement.estimate,
        probabilityInterval: improvement.interval,
        difference: difference.estimate,
        differenceInterval: difference.interval,
        resampled,
        examplesNote:
          'reason' in examples
            ? examples.reason
            : examples.sharedExamples
              ? null
              : 'each seed has its own test examples, whose variation the seeds’ spread already holds',
        iqm,
        findings,
        agree,
        seedText,
      },
    ];
  });
}

/**
 * One line for a verdict block: whether the t-test, the difference's interval and P(A > B) agree on
 * each comparison of `best` with the `others` (each oriented best against other), naming every
 * comparison on which they disagree; null when none was computed.
 */
export function certaintyLine(
  entries: readonly ComparisonCertainty[],
  where: { experiment: string; metric: string; best: string; others: readonly string[] },
): string | null {
  const found = where.others.flatMap((other) => {
    const entry = certaintyOf(entries, where.experiment, where.metric, where.best, other);
    return entry === undefined ? [] : [entry];
  });
  if (found.length === 0) return null;
  const agreeing = found.filter((entry) => entry.agree);
  const disagreeing = found.filter((entry) => !entry.agree);
  const probabilities = (list: readonly ComparisonCertainty[]): string =>
    list
      .map(
        (entry) =>
          `P(${entry.label} > ${entry.baseline}) = ${formatValue(entry.probability)} ${interval(entry.probabilityInterval)}, ${intervalName(entry)} ${interval(entry.differenceInterval, true)}`,
      )
      .join('; ');
  const agreement =
    agreeing.length === 0
      ? ''
      : `t-test, ${[...new Set(agreeing.map(intervalName))].join(' / ')} and P(A > B) agree on ${found.length === 1 ? 'this comparison' : disagreeing.length === 0 ? `all ${found.length} comparisons` : `${agreeing.length} of ${found.length} comparisons`}: ${probabilities(agreeing)}`;
  const disagreement = disagreeing
    .map((entry) => `${entry.label} vs ${entry.baseline}: ${certaintySentence(entry)}`)
    .join('; ');
  return [disagreement, agreement].filter((text) => text !== '').join('. ');
}
