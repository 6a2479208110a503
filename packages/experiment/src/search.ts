import {
  RUN_FIELDS,
  SearchDimension,
  type RunRecord,
  type SearchSelect,
  type SearchSpec,
  type SearchValue,
} from '@losslab/schema';
import { createRng, deriveSeed } from '@losslab/runtime';

/**
 * Searches as data. A search turns one declared variant into trials: each trial is the variant
 * with some settings replaced (`path → value`), named by those values, resolved like any variant
 * (its own settings hash, so a rerun reuses every finished trial through the normal reuse key).
 *
 * - Grid dimensions are crossed in full; `choice`, `uniform` and `logUniform` are drawn `trials`
 *   times (for each grid point) from `deriveSeed(seed, 'search')`, numbers kept to 3 significant
 *   digits so that a trial's name is its exact values. A draw that repeats an earlier trial is dropped.
 * - With `select`, the trials are a tuning: each trains on the search's `seed` (which must not be
 *   one of the declared seeds, so the final runs are independent of the selection noise), is
 *   evaluated on the validation split instead of the declared one, and the best by `select.metric`
 *   (first in trial order on a tie) is then run on the declared seeds under the variant's own name.
 * - Without `select` (e.g. `--set path=v1,v2` alone), every trial is a variant of its own, run on
 *   the declared seeds and compared like any other (Hydra's multirun).
 */

/** A trial's settings: the values it sets, in the space's order. */
export type TrialValues = readonly (readonly [string, SearchValue])[];

/** Separates a variant's name from its trial's values in run folders and reports: `sgd~optimizer.learningRate=0.01~train.batchSize=32`. */
export const TRIAL_SEPARATOR = '~';

/**
 * `variant~path=value~path=value`: the name of a trial. No comma: a name travels in `--variant=a,b`
 * lists to child processes and queue workers.
 */
export const trialName = (variant: string, values: TrialValues): string =>
  [variant, ...values.map(([path, value]) => `${path}=${String(value)}`)].join(TRIAL_SEPARATOR);

const threeDigits = (value: number): number => Number(value.toPrecision(3));

const isDrawn = (dimension: SearchDimension): boolean => dimension.kind !== 'grid';

/** Problems of a search's own fields (paths, ranges, trials), each prefixed with `root`. */
export function searchProblems(search: SearchSpec, root: string): string[] {
  const problems: string[] = [];
  const entries = Object.entries(search.space);
  if (entries.length === 0) problems.push(`${root}.space: expected at least one dimension`);
  for (const [path, dimension] of entries) {
    const field = path.split('.')[0] ?? '';
    if (!(RUN_FIELDS as readonly string[]).includes(field) || path.split('.').some((name) => name === ''))
      problems.push(
        `${root}.space.${path}: expected a run-field path (${RUN_FIELDS.join(', ')}, e.g. optimizer.learningRate)`,
      );
    if ((dimension.kind === 'uniform' || dimension.kind === 'logUniform') && !(dimension.min < dimension.max))
      problems.push(`${root}.space.${path}: expected min < max, got ${dimension.min} and ${dimension.max}`);
  }
  const drawn = entries.some(([, dimension]) => isDrawn(dimension));
  if (drawn && search.trials === undefined)
    problems.push(
      `${root}.trials: expected the number of trials to draw (the space has a choice, uniform or logUniform dimension)`,
    );
  if (!drawn && search.trials !== undefined)
    problems.push(`${root}.trials: every dimension is a grid, so every point runs; remove trials or draw a dimension`);
  return problems;
}

/** Every point of the grid dimensions (one empty point when there are none). */
function gridPoints(space: readonly (readonly [string, SearchDimension])[]): TrialValues[] {
  return space.reduce<TrialValues[]>(
    (points, [path, dimension]) =>
      dimension.kind === 'grid'
        ? points.flatMap((point) => dimension.values.map((value) => [...point, [path, value] as const]))
        : points,
    [[]],
  );
}

function draw(dimension: SearchDimension, rng: ReturnType<typeof createRng>): SearchValue {
  switch (dimension.kind) {
    case 'grid':
    case 'choice':
      return dimension.values[rng.int(dimension.values.length)]!;
    case 'uniform':
      return threeDigits(rng.uniform(dimension.min, dimension.max));
    case 'logUniform':
      return threeDigits(Math.exp(rng.uniform(Math.log(dimension.min), Math.log(dimension.max))));
  }
}

/**
 * The trials of a search, in a fixed order: each grid point, with `trials` draws of the other
 * dimensions for each (values in the space's order). Same search ⇒ same trials.
 *
 * @example searchTrials({ space: { 'train.batchSize': grid([32, 64]) }, seed: 1 }) // [[['train.batchSize', 32]], [['train.batchSize', 64]]]
 */
export function searchTrials(search: SearchSpec): TrialValues[] {
  const space = Object.entries(search.space);
  const points = gridPoints(space);
  if (!space.some(([, dimension]) => isDrawn(dimension))) return points;
  const rng = createRng(deriveSeed(search.seed, 'search'));
  const seen = new Set<string>();
  const trials: TrialValues[] = [];
  for (const point of points) {
    for (let index = 0; index < (search.trials ?? 1); index++) {
      const fixed = new Map(point);
      const values: TrialValues = space.map(([path, dimension]) => [path, fixed.get(path) ?? draw(dimension, rng)]);
      const key = JSON.stringify(values);
      if (!seen.has(key)) trials.push(values);
      seen.add(key);
    }
  }
  return trials;
}

/** A finished trial: its name and its record. */
export interface TrialResult {
  readonly name: string;
  readonly record: RunRecord;
}

/** What a selection decided: the chosen trial and each trial's metric. */
export interface Selection {
  readonly chosen: string;
  readonly scores: readonly { readonly name: string; readonly value: number }[];
}

/**
 * The best trial by `select.metric` of its evaluation on `select.split`. It reads only each
 * record's `evaluation` and refuses one made on another split, so a test split can never choose.
 * Throws, naming the trial, when the metric is missing.
 */
export function selectTrial(select: SearchSelect, trials: readonly TrialResult[]): Selection {
  const scores = trials.map(({ name, record }) => {
    if (record.evaluation.split !== select.split)
      throw new Error(
        `trial ${name}: evaluated on ${record.evaluation.split}, a search selects on ${select.split} only`,
      );
    const value = record.evaluation.metrics[select.metric];
    if (value === undefined)
      throw new Error(
        `trial ${name}: no metric "${select.metric}" in its evaluation (it has ${Object.keys(record.evaluation.metrics).join(', ')})`,
      );
    return { name, value };
  });
  const better = (a: number, b: number) => (select.direction === 'max' ? a > b : a < b);
  const best = scores.reduce<(typeof scores)[number] | undefined>(
    (current, score) => (current === undefined || better(score.value, current.value) ? score : current),
    undefined,
  );
  if (best === undefined) throw new Error('a search needs at least one finished trial');
  return { chosen: best.name, scores };
}

/** A `--set` value that is a grid (`path=v1,v2` on the command line) rather than one value. */
export const isGridValue = (value: unknown): value is SearchDimension & { kind: 'grid' } =>
  SearchDimension.is(value) && value.kind === 'grid';
