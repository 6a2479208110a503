import {
  SEED_SOURCES,
  type ExperimentDefinition,
  type RunSpec,
  type SeedSource,
  type SeedsSpec,
  type Seeding,
} from '@losslab/schema';
import { TRIAL_SEPARATOR } from './search.js';

/**
 * Seed designs and variance studies (issue 27 item 4). A run seed feeds three sources of variance
 * (`init`, `order`, `data`, see `@losslab/schema` seed-sources.ts); a definition may declare that
 * only some follow the seed (`seeds: { count, vary }`), and a variance study runs each source
 * alone while the others stay at a base seed. Both become a `seeding` in the run settings, so such
 * runs have their own settings hash; a list of seeds (or a design that varies everything) adds
 * nothing, so every earlier run keeps its hash and its numbers.
 */

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/** The sources in their canonical order (so `vary: ['order', 'init']` and `['init', 'order']` hash alike). */
const inOrder = (sources: readonly SeedSource[]): SeedSource[] => SEED_SOURCES.filter((s) => sources.includes(s));

/** The seeds a `seeds` value runs: the list itself, the design's `list`, or 0 … count − 1. */
export function seedList(seeds: SeedsSpec): number[] {
  if (Array.isArray(seeds)) return [...seeds];
  if (seeds.list !== undefined) return [...seeds.list];
  return Array.from({ length: seeds.count ?? 0 }, (_, i) => i);
}

/** Problems of a `seeds` design, by path (a list has its own checks in resolve.ts). */
export function seedDesignProblems(seeds: SeedsSpec): string[] {
  if (Array.isArray(seeds)) return [];
  if ((seeds.count === undefined) === (seeds.list === undefined))
    return [
      'seeds: expected exactly one of count (seeds 0 … count − 1) or list (the seeds), got ' + JSON.stringify(seeds),
    ];
  return [];
}

/** The seeding a design gives every run: none when every source varies (the runs of a plain list). */
export function designSeeding(seeds: SeedsSpec): Seeding | undefined {
  if (Array.isArray(seeds) || seeds.vary === undefined) return undefined;
  const vary = inOrder(seeds.vary);
  return vary.length === SEED_SOURCES.length ? undefined : { vary, base: seeds.base ?? 0 };
}

/**
 * `--seeds=a,b` on a definition whose `seeds` is a design: the listed seeds under the same design
 * (its `vary` and `base` kept), so a child process given one seed resolves the same settings.
 */
export function seedsOverride(raw: unknown, path: string, value: unknown): unknown {
  if (path !== 'seeds' || !Array.isArray(value) || !isPlainObject(raw) || !isPlainObject(raw.seeds)) return value;
  const { count: _count, ...design } = raw.seeds;
  return { ...design, list: value };
}

/** The name of a variance-study variant: `<variant>~vary=<source>` (a trial-like name, owned by `variant`). */
export const studyVariantName = (variant: string, source: SeedSource): string =>
  `${variant}${TRIAL_SEPARATOR}vary=${source}`;

/** One variance-study variant before its hash: its name, settings and seeds. */
export interface StudyVariant {
  readonly name: string;
  readonly spec: RunSpec;
  readonly seeds: readonly number[];
}

/**
 * The variance study's variants of one studied variant: per source, its settings with only that
 * source following the seed (the others at `base`), on the first `seeds` seeds other than `base`
 * (base 0: 1, 2, 3, …), so no study run repeats the base computation (every source at `base`).
 *
 * @example studyVariants({ seeds: 3, sources: ['order'] }, 'sgd', spec)[0].name // 'sgd~vary=order'
 */
export function studyVariants(
  study: NonNullable<ExperimentDefinition['variance']>,
  variant: string,
  spec: RunSpec,
): StudyVariant[] {
  const base = study.base ?? 0;
  const seeds = Array.from({ length: study.seeds }, (_, i) => (i < base ? i : i + 1));
  return inOrder(study.sources ?? SEED_SOURCES).map((source) => ({
    name: studyVariantName(variant, source),
    spec: { ...spec, seeding: { vary: [source], base, studyOf: variant } },
    seeds,
  }));
}
