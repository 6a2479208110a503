import type {
  Claim,
  Direction,
  ExperimentDefinition,
  Reference,
  SearchDimension,
  SearchSpec,
  SearchValue,
} from '@losslab/schema';

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

// ---- searches (expanded and run by search.ts)

/**
 * Every value in turn: a grid dimension is crossed with the search's other grid dimensions.
 *
 * @example grid([0.001, 0.01, 0.1])
 */
export const grid = (values: readonly SearchValue[]): SearchDimension => ({ kind: 'grid', values: [...values] });

/**
 * One of `values`, drawn per trial.
 *
 * @example choice([64, 128])
 */
export const choice = (values: readonly SearchValue[]): SearchDimension => ({ kind: 'choice', values: [...values] });

/**
 * A number drawn uniformly in [min, max) per trial (kept to 3 significant digits, so trials are named by their values).
 *
 * @example uniform(0.1, 0.9)
 */
export const uniform = (min: number, max: number): SearchDimension => ({ kind: 'uniform', min, max });

/**
 * A number whose logarithm is drawn uniformly in [log min, log max) per trial (3 significant digits).
 *
 * @example logUniform(1e-4, 1e-1)
 */
export const logUniform = (min: number, max: number): SearchDimension => ({ kind: 'logUniform', min, max });

/**
 * A search: `space` maps run-field paths to dimensions; `select` chooses each variant's best trial
 * on the validation split (without it, every trial is a variant of its own: a sweep).
 *
 * @example search({ space: { 'optimizer.learningRate': logUniform(1e-4, 1e-1) }, trials: 8, seed: 100,
 *   select: { metric: 'accuracy', direction: 'max', split: 'validation' } })
 */
export const search = (spec: SearchSpec): SearchSpec => spec;
