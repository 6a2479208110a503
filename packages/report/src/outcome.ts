import { allClaimsPass, claimSymbol, type ClaimResult } from './claims.js';
import { printable } from './format.js';

/** What {@link printOutcome} reads of a report: the parts both `losslab run` and `losslab report` print. */
export interface ReportOutcome {
  readonly mismatches: readonly string[];
  readonly verdicts: readonly { readonly sentence: string }[];
  readonly claims: readonly ClaimResult[];
  readonly comparisons: readonly { readonly sentence: string }[];
}

/** Where an outcome is printed; replaceable in tests. */
export interface OutcomeOutput {
  readonly log: (line: string) => void;
  readonly error: (line: string) => void;
}

/**
 * Prints the outcome of a report, the one way for `losslab run` and `losslab report`: like-with-like
 * problems, the verdict, each claim with its evidence, then (with `comparisons`) every comparison;
 * and resolves the exit code `--check` asks for: 1 when a claim does not hold or the variants are
 * not compared like with like, else 0. Text from records and definitions is printed escaped.
 */
export function printOutcome(
  outcome: ReportOutcome,
  options: { readonly check: boolean; readonly comparisons?: boolean },
  output: OutcomeOutput,
): 0 | 1 {
  const log = (line: string) => output.log(printable(line));
  const error = (line: string) => output.error(printable(line));
  for (const mismatch of outcome.mismatches) error(`⚠ ${mismatch}`);
  for (const verdict of outcome.verdicts) log(verdict.sentence);
  for (const claim of outcome.claims) {
    log(`${claimSymbol(claim.status)} ${claim.statement}`);
    claim.evidence.forEach((line) => log(`    ${line}`));
  }
  if (options.comparisons === true) for (const comparison of outcome.comparisons) log(comparison.sentence);
  if (options.check && !allClaimsPass(outcome.claims)) {
    error('check failed: not every claim holds');
    return 1;
  }
  if (options.check && outcome.mismatches.length > 0) {
    error('check failed: the variants are not compared like with like');
    return 1;
  }
  return 0;
}
