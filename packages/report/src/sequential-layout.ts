import { formatSigned, plural } from './format.js';
import { decisionText, formatLevel, formatThreshold, type SequentialOutcome } from './sequential.js';
import type { TableCell, TextTable } from './table.js';

/** The "Seeds until decided" section of a report (sequential.ts), as format-neutral text and a table. */

/**
 * The sentence above the table: the design, and why the study stopped, e.g. `losslab run
 * --until-decided looked at 5, 6, 7 seeds per variant (budget 10, 1 seed per round) …`.
 */
export function sequentialNote(outcome: SequentialOutcome): string {
  const { plan, looks, comparisons } = outcome;
  const last = looks[looks.length - 1];
  const stop =
    outcome.stopped === 'decided'
      ? `every comparison was decided at look ${last?.look ?? 0}`
      : outcome.stopped === 'budget'
        ? `the budget was spent with ${plural(last?.open ?? 0, 'comparison')} open`
        : `it was stopped with ${plural(last?.open ?? 0, 'comparison')} open`;
  return (
    `losslab run --until-decided looked at ${looks.map((look) => look.seeds).join(', ')} seeds per variant ` +
    `(planned looks at ${plan.looks.join(', ')}; budget ${plan.maxSeeds}, ${plural(plan.round, 'seed')} per round, ` +
    `new seeds taken in the order ${plan.seeds.slice(plan.looks[0] ?? 0).join(', ') || 'none'}) and stopped because ${stop}. ` +
    `Each primary comparison (${plural(comparisons.length, 'comparison')}: every variant against the first on each primary metric, ` +
    `and the beats claims) is a paired t-test at each look, at the nominal level of Lan–DeMets O’Brien–Fleming ` +
    `alpha spending over Holm’s step-down (family-wise α = ${plan.alpha} across all looks); it is too small to ` +
    `matter when its repeated confidence interval (level α/${comparisons.length} with the same spending) lies ` +
    `within ±${plan.smallestEffect}. ` +
    holmNote(comparisons.length) +
    `A variant got more seeds only while one of its comparisons was open. ` +
    `The verdict and the comparisons elsewhere in this report test the final seeds as if their number had been ` +
    `fixed in advance, so after looks their p-values are optimistic: the decisions in this table are the ones ` +
    `that keep α. See STATISTICS.md, "Seeds until decided".`
  );
}

/** Why a decided comparison's interval may reach 0: it is simultaneous, Holm's later steps are not. */
const holmNote = (m: number): string => {
  if (m < 2) return '';
  const later = m === 2 ? 'α/1' : m === 3 ? 'α/2 and α/1' : `α/${m - 1}, α/${m - 2}, … down to α/1`;
  return (
    `That interval holds all ${m} comparisons at once (Bonferroni), while Holm's later steps test at ${later}: ` +
    `a comparison decided at a later step can show an interval that still reaches 0. `
  );
};

/** One row per comparison: its decision, the seeds it needed and the look that decided it, with the numbers. */
export function sequentialTable(outcome: SequentialOutcome): TextTable {
  return {
    header: [
      'comparison',
      'metric',
      'decision',
      'seeds needed',
      'decided at look',
      'difference [repeated CI]',
      'p (needed)',
    ],
    rows: outcome.comparisons.map((standing): TableCell[] => {
      const decided = standing.decision !== 'open';
      const decision = decisionText(standing, outcome.plan.smallestEffect);
      const interval =
        standing.interval === null
          ? ''
          : ` [${formatSigned(standing.interval[0])}, ${formatSigned(standing.interval[1])}]`;
      return [
        `${standing.comparison.variant} vs ${standing.comparison.baseline}`,
        standing.comparison.metric,
        decided ? { text: decision, strong: true } : decision,
        decided ? String(standing.seeds) : `more than ${standing.seeds}`,
        standing.decidedAt === null ? '—' : String(standing.decidedAt),
        standing.difference === null ? '—' : `${formatSigned(standing.difference)}${interval}`,
        standing.p === null
          ? '—'
          : `${formatLevel(standing.p)}${standing.threshold === null ? '' : ` (< ${formatThreshold(standing.threshold)})`}`,
      ];
    }),
  };
}
