import * as t from 'io-ts';
import { closed, NonNegativeInt, numberWhere } from './codec.js';

/**
 * The sources of seed-to-seed variance a run seed feeds, each a named purpose of `deriveSeed`:
 * - `init`: everything drawn inside the model, `deriveSeed(seed, 'model')` — its initial weights
 *   and its dropout masks (both are drawn by the model from one seed, so they vary together);
 * - `order`: the training batches, `deriveSeed(seed, 'shuffle')` (batch order) and
 *   `deriveSeed(seed, 'augment')` (augmentation);
 * - `data`: the data draw of transforms, `deriveSeed(seed, 'data', position)`.
 */
export const SEED_SOURCES = ['init', 'order', 'data'] as const;
export const SeedSource = t.keyof(
  { init: null, order: null, data: null },
  'a seed source: one of "init", "order", "data"',
);
export type SeedSource = t.TypeOf<typeof SeedSource>;

const distinctSources = (name: string) =>
  t.refinement(t.array(SeedSource), (sources) => sources.length > 0 && new Set(sources).size === sources.length, name);

const AtLeastTwo = numberWhere('an integer ≥ 2 (a variance needs two seeds)', (n) => Number.isInteger(n) && n >= 2);

/**
 * A declared seed design: `count` seeds (0 … count − 1) or the seeds in `list` (one of the two);
 * the sources in `vary` (default: all) follow the run seed, the others stay at `base` (default 0)
 * in every run.
 *
 * @example { count: 5, vary: ['init', 'order'] } // 5 seeds; the data draw is the same in all
 */
export const SeedDesign = closed(
  'a seed design',
  {},
  {
    count: numberWhere('a positive integer', (n) => Number.isInteger(n) && n > 0),
    list: t.array(NonNegativeInt, 'a list of non-negative integer seeds'),
    vary: distinctSources('a non-empty list of distinct seed sources'),
    base: NonNegativeInt,
  },
);
export type SeedDesign = t.TypeOf<typeof SeedDesign>;

const SeedList = t.array(NonNegativeInt, 'a list of non-negative integer seeds');
type SeedsValue = t.TypeOf<typeof SeedList> | SeedDesign;

/**
 * `seeds`: a list of seeds (every source varies: the original form), or a {@link SeedDesign}. Decided
 * by the value's shape, so an error names the path inside the form that was meant.
 */
export const SeedsSpec = new t.Type<SeedsValue, SeedsValue>(
  'a list of non-negative integer seeds, or a seed design { count | list, vary?, base? }',
  (u): u is SeedsValue => SeedList.is(u) || SeedDesign.is(u),
  (u, c) => (Array.isArray(u) ? SeedList.validate(u, c) : SeedDesign.validate(u, c)),
  t.identity,
);
export type SeedsSpec = t.TypeOf<typeof SeedsSpec>;

/**
 * A variance study: for each study variant (default: every variant) and each source (default:
 * all), `seeds` runs (the first `seeds` seeds other than `base`) in which only that source follows the seed and the
 * others stay at `base` (default 0). Its runs are variants of their own, `<variant>~vary=<source>`.
 *
 * @example { seeds: 3, sources: ['init', 'order'], variants: ['sgd-sample-weighted'] }
 */
export const VarianceStudy = closed(
  'a variance study',
  { seeds: AtLeastTwo },
  {
    sources: distinctSources('a non-empty list of distinct seed sources'),
    variants: t.array(t.string, 'a list of variant names'),
    base: NonNegativeInt,
  },
);
export type VarianceStudy = t.TypeOf<typeof VarianceStudy>;

/**
 * A run's seeding when not every source follows its seed (absent: all do, as always): the sources
 * that follow it, the seed of the others, and for a variance-study run the variant it studies.
 * Part of the run settings, so such runs have their own settings hash.
 */
export const Seeding = closed(
  'a seeding',
  { vary: t.array(SeedSource, 'a list of seed sources'), base: NonNegativeInt },
  { studyOf: t.string },
);
export type Seeding = t.TypeOf<typeof Seeding>;

/**
 * The seed each source draws from in a run with seed `seed`: the run seed for the sources that
 * vary, `seeding.base` for the others (no seeding: every source uses the run seed).
 *
 * @example sourceSeeds(4, { vary: ['order'], base: 0 }) // { init: 0, order: 4, data: 0 }
 */
export function sourceSeeds(seed: number, seeding: Seeding | undefined): Record<SeedSource, number> {
  const of = (source: SeedSource): number =>
    seeding === undefined || seeding.vary.includes(source) ? seed : seeding.base;
  return { init: of('init'), order: of('order'), data: of('data') };
}
