import { aggregateGroup } from './aggregate.js';
import { adjustComparisons, comparePair, reverseComparison, type MetricComparison } from './compare.js';
import type { RunGroup } from './groups.js';
import { classGroupAccuracies } from './long-tail.js';
import { formatSd, formatValue, plural } from './format.js';
import { defaultDirection } from './metrics.js';
import { CLASS_METRICS, classEvaluation, isClassMetric } from './perclass.js';
import type { Claim, ClaimOp, GroupEvaluation, RunRecord } from '@losslab/schema';
import { summarize, type Summary } from './stats.js';

/** `pass` ✓, `fail` ✗, `unknown` ? (the data needed to decide is missing). */
export type ClaimStatus = 'pass' | 'fail' | 'unknown';

/** Epochs a seed needed to reach a target; `epoch` is null when it never did. */
export interface SeedEpochs {
  readonly runId: string;
  readonly seed: number;
  /** First epoch (1-based) at which the metric was ≥ the target, or null. */
  readonly epoch: number | null;
  /** Number of epochs the run trained (the horizon for "not reached"). */
  readonly epochs: number;
}

/** Epochs-to-target of one group, for a `fasterToTarget` claim. */
export interface EpochsToTarget {
  readonly label: string;
  readonly variant: string;
  readonly seeds: readonly SeedEpochs[];
  /** Summary over the seeds that reached the target; null when none did. */
  readonly reached: Summary | null;
}

/** Epochs to plateau of one run, for an `epochsToPlateau` claim. */
export interface SeedPlateau {
  readonly runId: string;
  readonly seed: number;
  /** First epoch (1-based) from which the curve stays within the band around its final value; null without a curve. */
  readonly epoch: number | null;
  /** The curve's first value, or null without a curve. */
  readonly first: number | null;
  /** The curve's final value (its plateau), or null without a curve. */
  readonly final: number | null;
  /** Number of epochs the run trained. */
  readonly epochs: number;
}

/** Epochs to plateau of one group. */
export interface PlateauEpochs {
  readonly label: string;
  readonly variant: string;
  readonly seeds: readonly SeedPlateau[];
  /** Summary over the seeds with a curve; null when none has one. */
  readonly summary: Summary | null;
}

/** The verdict on one claim, with the evidence in words. */
export interface ClaimResult {
  readonly claim: Claim;
  readonly experiment: string;
  readonly status: ClaimStatus;
  /** The claim in words, e.g. `accuracy >= 0.95 (every variant)`. */
  readonly statement: string;
  /** One line of evidence per variant (or per variant pair), with the numbers. */
  readonly evidence: readonly string[];
  /** For `fasterToTarget`: the per-group epochs, for charts. */
  readonly epochsToTarget?: readonly EpochsToTarget[];
  /** For `epochsToPlateau`: the per-group epochs to plateau. */
  readonly epochsToPlateau?: readonly PlateauEpochs[];
}

/** The symbol shown for a status: ✓, ✗ or ?. */
export function claimSymbol(status: ClaimStatus): string {
  return status === 'pass' ? '✓' : status === 'fail' ? '✗' : '?';
}

function compare(value: number, op: ClaimOp, target: number): boolean {
  switch (op) {
    case '<':
      return value < target;
    case '<=':
      return value <= target;
    case '>':
      return value > target;
    case '>=':
      return value >= target;
  }
}

const OP_TEXT: Record<ClaimOp, string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥' };

/** Combines the parts of a claim: any failure fails it, else any unknown leaves it unknown. */
function combine(statuses: readonly ClaimStatus[]): ClaimStatus {
  if (statuses.length === 0) return 'unknown';
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('unknown')) return 'unknown';
  return 'pass';
}

/** A status with its lines of evidence: a claim's verdict, or one part of it. */
interface Judgement {
  readonly status: ClaimStatus;
  readonly evidence: readonly string[];
}

const unknown = (evidence: string): Judgement => ({ status: 'unknown', evidence: [evidence] });

/**
 * Judges a claim about two variants in every cohort (code state or run; one cohort when grouped by
 * variant): `judge` gets both variants' groups there and `where` (` @ <cohort>`, or empty); a
 * cohort missing either variant is unknown. The parts combine as {@link combine} says.
 */
function judgeEachCohort(
  groups: readonly RunGroup[],
  first: string,
  second: string,
  judge: (first: RunGroup, second: RunGroup, where: string) => Judgement,
): Judgement {
  const judgements = [...new Set(groups.map((group) => group.cohort))].map((cohort) => {
    const a = groups.find((group) => group.cohort === cohort && group.variant === first);
    const b = groups.find((group) => group.cohort === cohort && group.variant === second);
    const where = cohort === null ? '' : ` @ ${cohort}`;
    if (a === undefined || b === undefined)
      return unknown(`? no runs of ${a === undefined ? first : second}${where} to compare with`);
    return judge(a, b, where);
  });
  return {
    status: combine(judgements.map((judgement) => judgement.status)),
    evidence: judgements.flatMap((judgement) => judgement.evidence),
  };
}

type ThresholdClaim = Extract<Claim, { kind: 'threshold' }>;

/** What a threshold claim measures: `recall of class 9`, `even accuracy`, `f1`. */
function measured(claim: ThresholdClaim): string {
  if (claim.class !== undefined) return `${claim.metric} of class ${claim.class}`;
  return claim.group === undefined ? claim.metric : `${claim.group} ${claim.metric}`;
}

/** The claim in words. */
export function describeClaim(claim: Claim): string {
  if (claim.kind === 'threshold') {
    const metric =
      claim.class !== undefined
        ? `${claim.metric} of class ${claim.class}${claim.group === undefined ? '' : ` in group ${claim.group}`}`
        : claim.group === undefined
          ? claim.metric
          : `${claim.metric} of group ${claim.group}`;
    const scope = claim.variant === undefined ? 'every variant' : `variant ${claim.variant}`;
    return `${metric} ${OP_TEXT[claim.op]} ${formatValue(claim.value)} (${scope}, mean over seeds)`;
  }
  if (claim.kind === 'epochsToPlateau') {
    const curve = `${plateauCurve(claim.metric)} within ${formatPercent(claim.within)} of its final value`;
    if (claim.relation === 'same')
      return `${claim.variant} and ${claim.than} bring the ${curve} at the same epoch, seed by seed`;
    const factor =
      claim.factor === undefined || claim.factor === 1 ? '' : ` (at least ${formatRatio(claim.factor)}× fewer)`;
    return `${claim.variant} brings the ${curve} in fewer epochs than ${claim.than}${factor} (mean over seeds)`;
  }
  if (claim.kind === 'beats') {
    const direction = claim.direction ?? defaultDirection(claim.metric);
    return `${claim.variant} beats ${claim.than} on ${claim.metric} (${direction} is better; Holm-adjusted p < ${claim.alpha ?? DEFAULT_ALPHA})`;
  }
  return `${claim.faster} reaches ${claim.metric} ≥ ${formatValue(claim.target)} in fewer epochs than ${claim.slower} (mean over seeds)`;
}

/** The family-wise level of `beats` claims and verdicts when none is declared. */
export const DEFAULT_ALPHA = 0.05;

type BeatsClaim = Extract<Claim, { kind: 'beats' }>;

/** The comparison of `label` with `than` on `metric`, from either side, oriented as `label` − `than`. */
export function findComparison(
  comparisons: readonly MetricComparison[],
  experiment: string,
  label: string,
  than: string,
  metric: string,
): MetricComparison | undefined {
  for (const comparison of comparisons) {
    if (comparison.experiment !== experiment || comparison.metric !== metric) continue;
    if (comparison.label === label && comparison.baseline === than) return comparison;
    if (comparison.label === than && comparison.baseline === label) return reverseComparison(comparison);
  }
  return undefined;
}

function evaluateBeats(
  claim: BeatsClaim,
  groups: readonly RunGroup[],
  comparisons: readonly MetricComparison[],
): Pick<ClaimResult, 'status' | 'evidence'> {
  const alpha = claim.alpha ?? DEFAULT_ALPHA;
  const direction = claim.direction ?? defaultDirection(claim.metric);
  return judgeEachCohort(groups, claim.variant, claim.than, (winner, loser, where) => {
    const experiment = winner.experiment;
    // The report adjusts the claim within its primary family; evaluated alone it is a family of one.
    const found =
      findComparison(comparisons, experiment, winner.label, loser.label, claim.metric) ??
      adjustComparisons(
        [comparePair(aggregateGroup(winner), aggregateGroup(loser), claim.metric, [claim.metric])].flatMap((c) =>
          c === null ? [] : [c],
        ),
        alpha,
      )[0];
    if (found === undefined)
      return unknown(`? no final ${claim.metric} in the runs of ${winner.label} and ${loser.label}${where}`);
    const { test, pAdjusted } = found;
    if (test.p === null || pAdjusted === null) return unknown(`? ${found.sentence}`);
    const rightWay = direction === 'higher' ? test.difference > 0 : test.difference < 0;
    const status: ClaimStatus = rightWay && pAdjusted < alpha ? 'pass' : 'fail';
    const why = !rightWay
      ? `the difference goes the wrong way (${direction} is better)`
      : pAdjusted < alpha
        ? `p_adj < ${alpha}`
        : `p_adj ≥ ${alpha}: not distinguishable`;
    return { status, evidence: [`${claimSymbol(status)} ${found.sentence}${where} — ${why}`] };
  });
}

/** The curve an `epochsToPlateau` claim reads, in words. */
function plateauCurve(metric: string): string {
  return metric === 'loss' ? 'training loss' : `validation ${metric}`;
}

const formatPercent = (fraction: number): string => `${Number((fraction * 100).toPrecision(3))}%`;
const formatRatio = (ratio: number): string => (Number.isFinite(ratio) ? Number(ratio.toPrecision(3)).toString() : '∞');

function thresholdValue(record: RunRecord, claim: ThresholdClaim): number | undefined {
  if (claim.class !== undefined) {
    const entry = classEvaluation(record, claim.class);
    return entry === undefined || !isClassMetric(claim.metric) ? undefined : entry[claim.metric];
  }
  if (claim.group === undefined)
    return record.evaluation.metrics[claim.metric] ?? classGroupAccuracies(record)[claim.metric];
  const group = record.evaluation.groups?.find((candidate) => candidate.name === claim.group);
  return group === undefined ? undefined : GROUP_VALUES.get(claim.metric)?.(group);
}

/** The numbers an evaluation group holds, by the name a threshold claim gives them. */
const GROUP_VALUES = new Map<string, (group: GroupEvaluation) => number>([
  ['accuracy', (group) => group.accuracy],
  ['size', (group) => group.size],
]);

/** Why no run of `group` gives a value for a class claim, in words. */
function missingClass(group: RunGroup, className: string): string {
  const names = [
    ...new Set(group.records.flatMap((record) => (record.evaluation.perClass ?? []).map((entry) => entry.name))),
  ];
  if (names.length === 0) return `no run reports per-class results (evaluation.perClass)`;
  const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
  return `no run has a class named ${className} (classes: ${shown})`;
}

/** Why a class claim cannot be decided from any record, or null when it can. */
function unanswerableClassClaim(claim: ThresholdClaim): string | null {
  if (claim.class === undefined) return null;
  if (!isClassMetric(claim.metric))
    return `a class claim compares one of ${CLASS_METRICS.join(', ')} of evaluation.perClass, not ${claim.metric}`;
  if (claim.group !== undefined)
    return `per-class results cover the whole evaluation, not group ${claim.group}; a class claim cannot also name a group`;
  return null;
}

function evaluateThreshold(
  claim: ThresholdClaim,
  groups: readonly RunGroup[],
): Pick<ClaimResult, 'status' | 'evidence'> {
  const applicable = groups.filter((group) => claim.variant === undefined || group.variant === claim.variant);
  if (applicable.length === 0)
    return { status: 'unknown', evidence: [`no runs of variant ${claim.variant ?? '(any)'}`] };
  const unanswerable = unanswerableClassClaim(claim);
  if (unanswerable !== null) return { status: 'unknown', evidence: [`? ${unanswerable}`] };
  const statuses: ClaimStatus[] = [];
  const evidence: string[] = [];
  const what = measured(claim);
  for (const group of applicable) {
    const values = group.records
      .map((record) => thresholdValue(record, claim))
      .filter((value): value is number => value !== undefined && Number.isFinite(value));
    if (values.length === 0) {
      statuses.push('unknown');
      const why = claim.class === undefined ? `no run reports ${what}` : missingClass(group, claim.class);
      evidence.push(`? ${group.label}: ${why}`);
      continue;
    }
    const summary = summarize(values);
    const status: ClaimStatus = compare(summary.mean, claim.op, claim.value) ? 'pass' : 'fail';
    statuses.push(status);
    const spread =
      summary.n > 1
        ? `, ${plural(summary.n, 'seed')}, range ${formatValue(summary.min)}–${formatValue(summary.max)}`
        : ', 1 seed';
    const missing =
      values.length < group.records.length ? ` (${group.records.length - values.length} run(s) without ${what})` : '';
    // A class claim's mean carries its sd, as the per-class table's cell for it does.
    const sd = claim.class !== undefined && summary.sd !== null ? ` ± ${formatSd(summary.sd)}` : '';
    evidence.push(
      `${claimSymbol(status)} ${group.label}: ${what} mean ${formatValue(summary.mean)}${sd}${spread}; needs ${OP_TEXT[claim.op]} ${formatValue(claim.value)}${missing}`,
    );
  }
  return { status: combine(statuses), evidence };
}

/** First epoch (1-based) at which `history[].validation[metric] ≥ target`, or null. */
export function firstEpochReaching(record: RunRecord, metric: string, target: number): number | null {
  const index = record.history.findIndex((epoch) => {
    const value = epoch.validation?.[metric];
    return value !== undefined && value >= target;
  });
  return index === -1 ? null : index + 1;
}

/** Epochs-to-target of every run of a group. */
export function epochsToTarget(group: RunGroup, metric: string, target: number): EpochsToTarget {
  const seeds = group.records.map((record) => ({
    runId: record.runId,
    seed: record.seed,
    epoch: firstEpochReaching(record, metric, target),
    epochs: record.history.length,
  }));
  const reached = seeds.flatMap((seed) => (seed.epoch === null ? [] : [seed.epoch]));
  return {
    label: group.label,
    variant: group.variant,
    seeds,
    reached: reached.length === 0 ? null : summarize(reached),
  };
}

function describeEpochs(result: EpochsToTarget, metric: string, target: number): string {
  const notReached = result.seeds.filter((seed) => seed.epoch === null);
  const goal = `${metric} ≥ ${formatValue(target)}`;
  const reachedText =
    result.reached === null
      ? `no seed reached ${goal}`
      : `${result.reached.mean.toFixed(1)} epochs to ${goal} (mean of ${result.reached.n} of ${plural(result.seeds.length, 'seed')}, range ${result.reached.min}–${result.reached.max})`;
  const missed = notReached.map((seed) => `seed ${seed.seed} did not reach it in ${plural(seed.epochs, 'epoch')}`);
  return [`${result.label}: ${reachedText}`, ...missed].join('; ');
}

function hasMetric(group: RunGroup, metric: string): boolean {
  return group.records.some((record) => record.history.some((epoch) => epoch.validation?.[metric] !== undefined));
}

function evaluateFasterToTarget(
  claim: Extract<Claim, { kind: 'fasterToTarget' }>,
  groups: readonly RunGroup[],
): Pick<ClaimResult, 'status' | 'evidence' | 'epochsToTarget'> {
  const perGroup: EpochsToTarget[] = [];
  const judgement = judgeEachCohort(groups, claim.faster, claim.slower, (faster, slower, where) => {
    if (!hasMetric(faster, claim.metric) || !hasMetric(slower, claim.metric))
      return unknown(`? no per-epoch validation ${claim.metric} in the runs${where}`);
    const fast = epochsToTarget(faster, claim.metric, claim.target);
    const slow = epochsToTarget(slower, claim.metric, claim.target);
    perGroup.push(fast, slow);
    // A seed that never reached the target took more epochs than it trained: count it as
    // (epochs + 1), a lower bound, so "faster" is only claimed when it holds for sure.
    const allFastReached = fast.seeds.every((seed) => seed.epoch !== null);
    const slowLowerBound =
      slow.seeds.reduce((sum, seed) => sum + (seed.epoch ?? seed.epochs + 1), 0) / slow.seeds.length;
    const fastMean = fast.reached?.mean ?? Infinity;
    const status: ClaimStatus = allFastReached && fastMean < slowLowerBound ? 'pass' : 'fail';
    return {
      status,
      evidence: [
        `${claimSymbol(status)} ${describeEpochs(fast, claim.metric, claim.target)}`,
        `  vs ${describeEpochs(slow, claim.metric, claim.target)}`,
      ],
    };
  });
  return { ...judgement, epochsToTarget: perGroup };
}

/** The per-epoch curve an `epochsToPlateau` claim reads: training loss, or a validation metric. */
function plateauValues(record: RunRecord, metric: string): number[] | null {
  const values = record.history.map((epoch) => (metric === 'loss' ? epoch.loss : epoch.validation?.[metric]));
  return values.length > 0 && values.every((value): value is number => value !== undefined && Number.isFinite(value))
    ? values
    : null;
}

/**
 * First epoch (1-based) from which `values` stays within `within` × |final| of its final value,
 * i.e. the epochs a curve needs to settle on its own plateau; null for an empty curve. A curve
 * that barely moves is "settled" from epoch 1 (the evidence shows its first and final values, so a
 * reader can tell no progress from fast progress), and one still falling at the last epoch gives a
 * lower bound, not its convergence.
 *
 * @example epochsToSettle([2, 1.2, 1.04, 1.01, 1], 0.05) // 3: from epoch 3 on every value is within 0.05 of 1
 */
export function epochsToSettle(values: readonly number[], within: number): number | null {
  const final = values[values.length - 1];
  if (final === undefined) return null;
  const band = within * Math.abs(final);
  let epoch = values.length;
  while (epoch > 1 && Math.abs((values[epoch - 2] ?? final) - final) <= band) epoch--;
  return epoch;
}

/** Epochs to plateau of every run of a group. */
export function epochsToPlateauOf(group: RunGroup, metric: string, within: number): PlateauEpochs {
  const seeds = group.records.map((record) => {
    const values = plateauValues(record, metric);
    return {
      runId: record.runId,
      seed: record.seed,
      epoch: values === null ? null : epochsToSettle(values, within),
      first: values === null ? null : (values[0] ?? null),
      final: values === null ? null : (values[values.length - 1] ?? null),
      epochs: record.history.length,
    };
  });
  const epochs = seeds.flatMap((seed) => (seed.epoch === null ? [] : [seed.epoch]));
  return {
    label: group.label,
    variant: group.variant,
    seeds,
    summary: epochs.length === 0 ? null : summarize(epochs),
  };
}

function describePlateau(result: PlateauEpochs, metric: string, within: number): string {
  if (result.summary === null) return `${result.label}: no run has a per-epoch ${plateauCurve(metric)}`;
  const { mean, n, min, max } = result.summary;
  const perSeed = result.seeds
    .map((seed) =>
      seed.epoch === null
        ? `seed ${seed.seed} no curve`
        : `seed ${seed.seed} ${seed.epoch}/${seed.epochs} (${formatValue(seed.first ?? NaN)} → ${formatValue(seed.final ?? NaN)})`,
    )
    .join(', ');
  return `${result.label}: ${mean.toFixed(1)} epochs to within ${formatPercent(within)} of the final ${plateauCurve(metric)} (mean of ${plural(n, 'seed')}, range ${min}–${max}; ${perSeed})`;
}

function evaluateEpochsToPlateau(
  claim: Extract<Claim, { kind: 'epochsToPlateau' }>,
  groups: readonly RunGroup[],
): Pick<ClaimResult, 'status' | 'evidence' | 'epochsToPlateau'> {
  const perGroup: PlateauEpochs[] = [];
  const judgement = judgeEachCohort(groups, claim.variant, claim.than, (first, second, where) => {
    const a = epochsToPlateauOf(first, claim.metric, claim.within);
    const b = epochsToPlateauOf(second, claim.metric, claim.within);
    perGroup.push(a, b);
    if (a.summary === null || b.summary === null || a.summary.n < a.seeds.length || b.summary.n < b.seeds.length)
      return unknown(`? a run without a per-epoch ${plateauCurve(claim.metric)}${where}`);
    let status: ClaimStatus;
    let verdict: string;
    if (claim.relation === 'fewer') {
      const ratio = b.summary.mean / a.summary.mean;
      const factor = claim.factor ?? 1;
      status = a.summary.mean < b.summary.mean && ratio >= factor ? 'pass' : 'fail';
      verdict = `${claim.than} needs ${formatRatio(ratio)}× the epochs of ${claim.variant}${factor === 1 ? '' : `; needs ≥ ${formatRatio(factor)}×`}`;
    } else {
      // Paired by seed: the same seed gives both variants the same initial weights and batches.
      const bySeed = new Map(b.seeds.map((seed) => [seed.seed, seed.epoch]));
      const unpaired = a.seeds.filter((seed) => !bySeed.has(seed.seed)).map((seed) => seed.seed);
      const differing = a.seeds.filter((seed) => bySeed.has(seed.seed) && bySeed.get(seed.seed) !== seed.epoch);
      status =
        unpaired.length > 0 || a.seeds.length !== b.seeds.length ? 'unknown' : differing.length === 0 ? 'pass' : 'fail';
      verdict =
        status === 'unknown'
          ? `the seeds of ${claim.variant} and ${claim.than} differ, so they cannot be paired`
          : differing.length === 0
            ? `every seed plateaus at the same epoch in both`
            : `different epochs for ${differing.map((seed) => `seed ${seed.seed} (${seed.epoch} vs ${bySeed.get(seed.seed)})`).join(', ')}`;
    }
    return {
      status,
      evidence: [
        `${claimSymbol(status)} ${verdict}${where}`,
        `  ${describePlateau(a, claim.metric, claim.within)}`,
        `  vs ${describePlateau(b, claim.metric, claim.within)}`,
      ],
    };
  });
  return { ...judgement, epochsToPlateau: perGroup };
}

/**
 * Evaluates the claims of each experiment ({@link claimsOf}, read once) against its groups, each kind
 * through its evaluator ({@link EVALUATORS}); claims about two variants judge each cohort.
 * - `threshold`: for each group of the claim's variant (or every group), the mean over seeds of
 *   the final metric (or `groups[name][metric]`, or with `class`, `perClass[name === class][metric]`
 *   for metric precision, recall, f1, support or predicted) is compared with `value`. A class
 *   claim is `?` for a variant none of whose runs has that class (classes match by name).
 * - `fasterToTarget`: per group, the first epoch (1-based) at which validation `metric` ≥
 *   `target`, averaged over seeds; passes when every seed of `faster` reached it and its mean is
 *   below `slower`'s (seeds that never reached it count as epochs + 1 and are named).
 * - `epochsToPlateau`: per run, the first epoch from which the curve (training loss, or a
 *   validation metric) stays within `within` × |final| of its final value ({@link epochsToSettle});
 *   `fewer` passes when `variant`'s mean over seeds is below `than`'s by a ratio ≥ `factor`,
 *   `same` when every seed gives the same epoch in both (seeds paired by number).
 * - `beats`: `variant` − `than` on the final `metric` goes the claim's direction and its
 *   Holm-adjusted p (from `comparisons`, the report's primary family; a family of one when the
 *   pair is not among them) is below `alpha`.
 * Missing data gives `unknown`, never `pass`.
 *
 * @example
 * const results = evaluateClaims(groupRuns(records));
 * const ok = results.every((result) => result.status === 'pass');
 */
export function evaluateClaims(
  groups: readonly RunGroup[],
  comparisons: readonly MetricComparison[] = [],
): ClaimResult[] {
  const experiments = [...new Set(groups.map((group) => group.experiment))];
  return experiments.flatMap((experiment) => {
    const own = groups.filter((group) => group.experiment === experiment);
    return evaluateExperimentClaims(experiment, claimsOf(own), own, comparisons);
  });
}

/** {@link evaluateClaims} for one experiment whose claims and groups are already known. */
export function evaluateExperimentClaims(
  experiment: string,
  claims: readonly Claim[],
  groups: readonly RunGroup[],
  comparisons: readonly MetricComparison[],
): ClaimResult[] {
  return claims.map((claim) => evaluateClaim(claim, experiment, groups, comparisons));
}

/**
 * The claims of one experiment's groups, read once: the definition's claims as its first run
 * recorded them (every run of a definition records the same ones).
 */
export function claimsOf(groups: readonly RunGroup[]): readonly Claim[] {
  return groups[0]?.records[0]?.claims ?? [];
}

/** The claim of each kind, by kind. */
type ClaimOfKind = { readonly [K in Claim['kind']]: Extract<Claim, { kind: K }> };

/** What evaluating a claim adds to its statement: the status, the evidence and, per kind, the data for charts. */
type ClaimVerdict = Pick<ClaimResult, 'status' | 'evidence' | 'epochsToTarget' | 'epochsToPlateau'>;

type ClaimEvaluators = {
  readonly [K in Claim['kind']]: (
    claim: ClaimOfKind[K],
    groups: readonly RunGroup[],
    comparisons: readonly MetricComparison[],
  ) => ClaimVerdict;
};

/** How each kind of claim is decided; a new kind of claim adds its evaluator here. */
const EVALUATORS: ClaimEvaluators = {
  threshold: (claim, groups) => evaluateThreshold(claim, groups),
  fasterToTarget: (claim, groups) => evaluateFasterToTarget(claim, groups),
  epochsToPlateau: (claim, groups) => evaluateEpochsToPlateau(claim, groups),
  beats: evaluateBeats,
};

function verdictOf<K extends Claim['kind']>(
  kind: K,
  claim: ClaimOfKind[K],
  groups: readonly RunGroup[],
  comparisons: readonly MetricComparison[],
): ClaimVerdict {
  const evaluate: ClaimEvaluators[K] = EVALUATORS[kind];
  return evaluate(claim, groups, comparisons);
}

function evaluateClaim(
  claim: Claim,
  experiment: string,
  groups: readonly RunGroup[],
  comparisons: readonly MetricComparison[],
): ClaimResult {
  const statement =
    claim.description === undefined ? describeClaim(claim) : `${claim.description} — ${describeClaim(claim)}`;
  return { claim, experiment, statement, ...verdictOf(claim.kind, claim, groups, comparisons) };
}

/** True when every claim passed (unknown counts as not passed); what `--check` exits on. */
export function allClaimsPass(results: readonly ClaimResult[]): boolean {
  return results.every((result) => result.status === 'pass');
}
