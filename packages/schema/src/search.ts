import * as t from 'io-ts';
import { closed, NonEmptyString, NonNegativeInt, PositiveInt, PositiveNumber, tagged } from './codec.js';

/**
 * A search declared as data: which settings to vary (`space`, dotted run-field path → dimension),
 * how many random trials to draw, the seed, and how the best trial is chosen (`select`, on the
 * validation split only). Without `select` a search is a sweep: every trial is a variant of its own.
 * Where it is expanded and run: `@losslab/experiment`'s search.ts.
 */

/** One value a dimension may take: plain JSON scalars, so a trial's name is its values. */
export const SearchValue = t.union([t.number, t.string, t.boolean], 'a number, string or boolean');
export type SearchValue = t.TypeOf<typeof SearchValue>;

const values = t.refinement(t.array(SearchValue), (items) => items.length > 0, 'a non-empty list of values');
const range = { min: PositiveNumber, max: PositiveNumber };

/** The dimensions of a search space: `grid` is crossed in full; `choice`, `uniform`, `logUniform` are drawn per trial. */
export const SearchDimension = tagged('a search dimension', 'kind', {
  grid: closed('a grid dimension', { kind: t.literal('grid'), values }),
  choice: closed('a choice dimension', { kind: t.literal('choice'), values }),
  uniform: closed('a uniform dimension', { kind: t.literal('uniform'), ...range }),
  logUniform: closed('a logUniform dimension', { kind: t.literal('logUniform'), ...range }),
});
export type SearchDimension = t.TypeOf<typeof SearchDimension>;

/** How the best trial is chosen: a metric of the trial's evaluation on the validation split (never test). */
export const SearchSelect = closed('a search selection', {
  metric: NonEmptyString,
  direction: t.keyof({ min: null, max: null }, '"min" or "max"'),
  split: t.literal('validation', '"validation" (a search never selects on test)'),
});
export type SearchSelect = t.TypeOf<typeof SearchSelect>;

/**
 * A search: `space` (path → dimension), `trials` random draws (required when a dimension is
 * drawn, refused when every dimension is a grid), `seed` (draws the trials and trains them), and
 * `select` (absent: a sweep).
 */
export const SearchSpec = closed(
  'a search',
  {
    space: t.record(NonEmptyString, SearchDimension, 'a search space (run-field path → dimension)'),
    seed: NonNegativeInt,
  },
  { trials: PositiveInt, select: SearchSelect },
);
export type SearchSpec = t.TypeOf<typeof SearchSpec>;
