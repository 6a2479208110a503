import type { Claim, Direction, ExperimentDefinition, Reference } from '@losslab/schema';

/**
 * Builders: typed helpers that return plain definition data (no functions inside), so an
 * experiment file gets autocompletion and compile-time errors and still hashes, diffs and
 * validates as data. A kind's builder is declared beside its entry in its family file
 * (`kinds/*.ts`), re-exported whole here; the definition and its claims are built here.
 */

// Every family file exports its builders and its list of entries (for a registry of one's own).
export * from './kinds/data.js';
export * from './kinds/transforms.js';
export * from './kinds/labels.js';
export * from './kinds/models.js';
export * from './kinds/optimizers.js';
export * from './kinds/losses.js';
export * from './kinds/evaluations.js';

/** A definition, checked by the compiler; validated again by the codec when it is run. */
export const defineExperiment = (definition: ExperimentDefinition): ExperimentDefinition => definition;

// ---- claims

/**
 * A final metric (of a group, or of one class: precision, recall or f1) against a value.
 *
 * @example threshold('accuracy', '<=', 0.01, { group: 'even' })
 * @example threshold('recall', '>=', 0.5, { class: '9', variant: 'balanced' })
 */
export const threshold = (
  metric: string,
  op: Extract<Claim, { kind: 'threshold' }>['op'],
  value: number,
  options: { group?: string; class?: string; variant?: string; description?: string } = {},
): Claim => ({ kind: 'threshold', metric, op, value, ...options });

/** `faster` reaches `target` on per-epoch validation `metric` in fewer epochs than `slower`. */
export const fasterToTarget = (
  metric: string,
  target: number,
  faster: string,
  slower: string,
  description?: string,
): Claim => ({ kind: 'fasterToTarget', metric, target, faster, slower, ...(description ? { description } : {}) });

/**
 * Convergence against each run's own plateau: a run's epochs to plateau are the first epoch from
 * which its `metric` curve (`loss` = training loss, else a per-epoch validation metric) stays
 * within `within` × |final value| of its final value. `fewer`: `variant` plateaus in fewer epochs
 * (mean over seeds) than `than`, by at least `factor`× (default 1); `same`: every seed plateaus at
 * the same epoch in both. Scale-free, so it compares losses of different scales.
 *
 * @example epochsToPlateau('loss', 0.05, 'class-weighted', 'fewer', 'unweighted', { factor: 2 })
 * @example epochsToPlateau('loss', 0.05, 'sgd-control', 'same', 'sgd-class-weighted')
 */
export const epochsToPlateau = (
  metric: string,
  within: number,
  variant: string,
  relation: Extract<Claim, { kind: 'epochsToPlateau' }>['relation'],
  than: string,
  options: { factor?: number; description?: string } = {},
): Claim => ({ kind: 'epochsToPlateau', metric, within, variant, relation, than, ...options });

/**
 * `variant` beats `than` on final `metric`: the difference goes the metric's way (`direction`,
 * default `lower` for a loss, else `higher`) and its Holm-adjusted p — paired t-test when both
 * ran the same seeds, else Welch, adjusted with the report's other primary comparisons — is
 * below `alpha` (default 0.05). `--check` fails when it does not hold.
 *
 * @example beats('cb-ce', 'ce', 'macroF1', { alpha: 0.05 })
 */
export const beats = (
  variant: string,
  than: string,
  metric: string,
  options: { alpha?: number; direction?: Direction; description?: string } = {},
): Claim => ({ kind: 'beats', variant, than, metric, ...options });

/** Published numbers the experiment reproduces (`reference` of a definition). */
export type { Reference };
