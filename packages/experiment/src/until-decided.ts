import {
  DEFAULT_ALPHA,
  lookLines,
  openVariants,
  printable,
  sequentialLook,
  sequentialPlan,
  type SequentialOutcome,
  type SequentialPlan,
} from '@losslab/report';
import type { RunRecord } from '@losslab/schema';
import type { UntilDecidedOptions } from './command-options.js';
import type { RunCell } from './execution/execution.js';
import type { ResolvedExperiment } from './resolve.js';

/**
 * `losslab run --until-decided`: runs the declared seeds, then adds `--round` seeds per variant at
 * a time until every primary comparison is decided or `--max-seeds` is reached, deciding at each
 * look with the group-sequential procedure of `@losslab/report` (sequential.ts) and printing what
 * is decided and what is open. Only variants with an open comparison get the next round's seeds.
 */

/**
 * The plan of `--until-decided` for the resolved definition, or the problem with the options (one
 * line naming the option): the declared seeds first, new seeds the integers after the largest
 * declared one that no search trains on, the family-wise α of the definition's report settings.
 */
export function untilDecidedPlan(
  resolved: ResolvedExperiment,
  options: UntilDecidedOptions,
): { readonly plan: SequentialPlan } | { readonly problem: string } {
  const declared = resolved.definition.seeds;
  const maxSeeds = options.maxSeeds ?? 2 * declared.length;
  if (maxSeeds < declared.length)
    return {
      problem: `--max-seeds: expected at least the ${declared.length} declared seeds (${declared.join(', ')}), got ${maxSeeds}`,
    };
  return {
    plan: sequentialPlan({
      declared,
      reserved: resolved.searches.map((search) => search.seed),
      round: options.round,
      maxSeeds,
      alpha: resolved.definition.report?.alpha ?? DEFAULT_ALPHA,
      smallestEffect: options.smallestEffect,
    }),
  };
}

/** What `--dry-run` says of the plan: the looks, the new seeds and the levels. */
export function untilDecidedPlanLine(plan: SequentialPlan): string {
  const added = plan.seeds.slice(plan.looks[0] ?? 0);
  return `  until decided: looks at ${plan.looks.join(', ')} seeds per variant (budget ${plan.maxSeeds}, ${plan.round} per round; new seeds ${added.join(', ') || 'none'}), family-wise α = ${plan.alpha} with O'Brien–Fleming spending over Holm, too small to matter within ±${plan.smallestEffect}`;
}

/** A sequential study's runs and its outcome after the last look. */
export interface UntilDecidedResult {
  /** One record per (variant, seed) that ran or was reused, variants in definition order. */
  readonly records: readonly RunRecord[];
  readonly outcome: SequentialOutcome;
  /** The cells run over all rounds. */
  readonly cells: number;
}

/**
 * Runs the study: round k runs the variants still needed on the seeds between look k − 1 and look
 * k, then looks. `runCells` runs cells as the run command does (reusing complete runs) and
 * resolves to the records it has, or undefined when the execution cannot start.
 */
export async function runUntilDecided(
  resolved: ResolvedExperiment,
  plan: SequentialPlan,
  runCells: (cells: readonly RunCell[]) => Promise<readonly RunRecord[] | undefined>,
): Promise<UntilDecidedResult | undefined> {
  // A variance-study variant runs its own seeds once, in the first round, and is no comparison.
  const variants = resolved.variants.filter((variant) => variant.seeds === undefined);
  const studyCells = resolved.variants.flatMap((variant) => (variant.seeds ?? []).map((seed) => ({ variant, seed })));
  const declaredPrimary = resolved.definition.report?.primary;
  const records: RunRecord[] = [];
  const studyRecords: RunRecord[] = [];
  let outcome: SequentialOutcome | undefined;
  let cells = 0;
  for (const [lookIndex, seedsAtLook] of plan.looks.entries()) {
    const newSeeds = plan.seeds.slice(lookIndex === 0 ? 0 : (plan.looks[lookIndex - 1] ?? 0), seedsAtLook);
    const needed = outcome === undefined ? undefined : new Set(openVariants(outcome));
    const running = variants.filter((variant) => needed === undefined || needed.has(variant.name));
    console.log(
      printable(
        `round ${lookIndex + 1}: ${running.map((variant) => variant.name).join(', ')} on seed(s) ${newSeeds.join(', ')}`,
      ),
    );
    const round = running.flatMap((variant) => newSeeds.map((seed) => ({ variant, seed })));
    cells += round.length;
    const made = await runCells(lookIndex === 0 ? [...round, ...studyCells] : round);
    if (made === undefined) return undefined;
    if (lookIndex === 0) cells += studyCells.length;
    const isStudy = (record: RunRecord) => !variants.some((variant) => variant.name === record.variant);
    records.push(...made.filter((record) => !isStudy(record)));
    studyRecords.push(...made.filter(isStudy));
    outcome = sequentialLook(plan, lookIndex, records, outcome, declaredPrimary);
    if (outcome.comparisons.length === 0) console.log('no primary comparison to decide (fewer than two variants)');
    lookLines(outcome).forEach((line) => console.log(line));
    if (outcome.stopped !== null) break;
  }
  if (outcome === undefined) return undefined;
  // The report groups by first appearance: keep the definition's variant order, then the seed order.
  const order = new Map(variants.map((variant, index) => [variant.name, index]));
  const seedOrder = new Map(plan.seeds.map((seed, index) => [seed, index]));
  const sorted = [...records].sort(
    (a, b) =>
      (order.get(a.variant) ?? 0) - (order.get(b.variant) ?? 0) ||
      (seedOrder.get(a.seed) ?? 0) - (seedOrder.get(b.seed) ?? 0),
  );
  return { records: [...sorted, ...studyRecords], outcome, cells };
}
