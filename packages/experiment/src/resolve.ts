import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type * as t from 'io-ts';
import {
  experimentCodec,
  formatErrors,
  RUN_FIELDS,
  declaredRunSpecCodec,
  SEED_SOURCES,
  type ExperimentDefinition,
  type RunPartCodecs,
  type RunSpec,
  type SearchSelect,
  type SearchSpec,
  type TrainSpec,
} from '@losslab/schema';
import { DEFAULT_REDUCTION } from '@losslab/losses';
import { canonicalJson, hashOf } from './canonical.js';
import { checkRunSpec } from './checks.js';
import { overridePathProblem } from './override-path.js';
import { registry as defaultRegistry } from './kinds/index.js';
import type { Registry } from './kinds/table.js';
import { isGridValue, searchProblems, searchTrials, TRIAL_SEPARATOR, trialName, type TrialValues } from './search.js';
import {
  designSeeding,
  seedDesignProblems,
  seedList,
  seedsOverride,
  studyVariantName,
  studyVariants,
} from './seed-design.js';

/** A definition that failed validation: one line per problem, each naming its path. */
export interface DefinitionProblem {
  readonly tag: 'InvalidDefinition';
  readonly source: string;
  readonly problems: readonly string[];
}

/** The training settings a run applies when its definition leaves them out. */
export type TrainDefaults = Required<
  Pick<TrainSpec, 'shuffle' | 'remainder' | 'reduction' | 'checkpointEvery' | 'keepCheckpoints'>
>;

/** The training settings a run applies when its definition leaves them out: decided here, once. */
export const TRAIN_DEFAULTS: TrainDefaults = {
  shuffle: true,
  remainder: 'drop',
  reduction: DEFAULT_REDUCTION,
  checkpointEvery: 1,
  keepCheckpoints: false,
};

/** `train`'s settings with {@link TRAIN_DEFAULTS} filled in (the declared settings stay as they are: the settings hash is of them). */
export const trainDefaults = (train: TrainSpec): TrainDefaults => ({
  shuffle: train.shuffle ?? TRAIN_DEFAULTS.shuffle,
  remainder: train.remainder ?? TRAIN_DEFAULTS.remainder,
  reduction: train.reduction ?? TRAIN_DEFAULTS.reduction,
  checkpointEvery: train.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery,
  keepCheckpoints: train.keepCheckpoints ?? TRAIN_DEFAULTS.keepCheckpoints,
});

/** The hash that identifies what a run computes: its declared settings, nothing cosmetic. */
export const settingsHash = (spec: RunSpec): string => hashOf(spec);

/**
 * One variant of an experiment, resolved once: its declared settings (`spec`, unchanged, so runs
 * made before stay reusable), the defaults filled in beside them, and its settings hash. Every
 * later step reads these rather than working them out again.
 */
export interface ResolvedVariant {
  readonly name: string;
  readonly spec: RunSpec;
  readonly train: TrainDefaults;
  /** `settingsHash(spec)`: the run's `definitionHash`, the first part of its reuse key. */
  readonly hash: string;
  /** A variance-study variant's own seeds (seed-design.ts); absent: the definition's seeds. */
  readonly seeds?: readonly number[];
}

/** A variant resolved from its declared settings (see {@link ResolvedVariant}). */
const resolvedVariant = (name: string, spec: RunSpec): ResolvedVariant => ({
  name,
  spec,
  train: trainDefaults(spec.train),
  hash: settingsHash(spec),
});

/** One trial of a tuning search: the values it sets and the variant it resolves to (named by them). */
export interface ResolvedTrial {
  readonly values: TrialValues;
  readonly variant: ResolvedVariant;
}

/**
 * A variant tuned by a search (search.ts): its trials train on `seed` and are evaluated on
 * `select.split`; the chosen trial's values then run on the declared seeds under `variant`.
 */
export interface VariantSearch {
  readonly variant: string;
  readonly select: SearchSelect;
  readonly seed: number;
  readonly trials: readonly ResolvedTrial[];
}

/**
 * A validated definition and its (selected) variants, each resolved to complete run settings.
 * A variant listed in `searches` holds its declared settings until its search has chosen; a sweep's
 * trials (a search without `select`) are variants of their own.
 */
export interface ResolvedExperiment {
  /** The definition, its `seeds` as the list of seeds to run (a seed design's `vary` is in each variant's `spec.seeding`). */
  readonly definition: Omit<ExperimentDefinition, 'seeds'> & { readonly seeds: number[] };
  readonly variants: readonly ResolvedVariant[];
  readonly searches: readonly VariantSearch[];
}

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * Deep merge of an override onto a base: objects merge key by key; arrays and scalars replace;
 * an object whose `kind` differs from the base's replaces it whole (a different loss or model
 * shares no fields with the old one).
 */
export function mergeOverride(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  if ('kind' in override && override.kind !== base.kind) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeOverride(base[key], value);
  return merged;
}

/**
 * Sets `value` at a dotted `path` of a JSON value, creating objects on the way, without
 * mutating the input. Throws on a malformed path (see {@link overridePathProblem}).
 *
 * @example
 * setPath({ train: { epochs: 3 } }, 'train.epochs', 5); // { train: { epochs: 5 } }
 */
export function setPath(target: unknown, path: string, value: unknown): unknown {
  const problem = overridePathProblem(path);
  if (problem !== undefined) throw new Error(`path: ${problem}`);
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const object = isPlainObject(target) ? target : {};
  return { ...object, [head]: rest.length === 0 ? value : setPath(object[head], rest.join('.'), value) };
}

/** Dotted path → value pairs, applied in order (`--set train.epochs=5`). */
export type Overrides = readonly (readonly [string, unknown])[];

/** Applies `--set`-style overrides to a raw definition, in order. */
export const applyOverrides = (raw: unknown, overrides: Overrides): unknown =>
  overrides.reduce<unknown>((acc, [path, value]) => setPath(acc, path, value), raw);

/** What {@link resolveExperiment} resolves besides the definition itself. */
export interface ResolveOptions {
  /** Only these variants (default: all). */
  readonly variants?: readonly string[];
  /** Command-line overrides; they win over the definition and every variant. */
  readonly overrides?: Overrides;
  /** The kinds a definition may use (default: built-ins plus every kind registered in this process). */
  readonly registry?: Registry;
}

/** Each run part's codec: the union over its table of kinds. */
export const partCodecs = (registry: Registry): RunPartCodecs => ({
  data: registry.data.codec,
  transform: registry.transforms.codec,
  label: registry.labels.codec,
  model: registry.models.codec,
  loss: registry.losses.codec,
  optimizer: registry.optimizers.codec,
  evaluation: registry.evaluations.codec,
});

const invalid = (source: string, problems: readonly string[]): DefinitionProblem => ({
  tag: 'InvalidDefinition',
  source,
  problems,
});

const decodeWith = <A>(
  codec: t.Type<A, A>,
  value: unknown,
  source: string,
  root = '',
): E.Either<DefinitionProblem, A> =>
  pipe(
    codec.decode(value),
    E.mapLeft((errors) => invalid(source, formatErrors(errors, root))),
  );

/**
 * One problem per variant whose resolved settings equal an earlier variant's: both would be the
 * same runs (same settings hash, same run folders), so a report would count one run as two
 * variants. Naming both lets the user drop one or make them differ.
 */
function identicalVariants(variants: readonly ResolvedVariant[]): string[] {
  const firstWith = new Map<string, string>();
  const problems: string[] = [];
  for (const { name, spec } of variants) {
    const settings = canonicalJson(spec);
    const earlier = firstWith.get(settings);
    if (earlier === undefined) firstWith.set(settings, name);
    else
      problems.push(
        `variants.${name}: its resolved settings are identical to those of variant "${earlier}", so both would be the same runs; make them differ or remove one`,
      );
  }
  return problems;
}

/**
 * A variant's search with the command line's grid dimensions (`--set path=v1,v2`) added; a search
 * whose drawn dimensions the grid replaced runs every grid point, so its `trials` no longer apply.
 * Without a declared search the grid is a sweep (search.ts).
 */
function withCommandLineGrid(declared: SearchSpec | undefined, cliSpace: SearchSpec['space']): SearchSpec | undefined {
  if (Object.keys(cliSpace).length === 0) return declared;
  const { trials, ...rest } = declared ?? { seed: 0, space: {} };
  const space = { ...rest.space, ...cliSpace };
  const drawn = Object.values(space).some((dimension) => dimension.kind !== 'grid');
  return { ...rest, space, ...(drawn && trials !== undefined ? { trials } : {}) };
}

/**
 * Validates a raw definition and resolves each (selected) variant into complete run settings,
 * checking that the pieces fit together (label blocks exist, widths agree) and that no two
 * selected variants resolve to identical settings. Every problem is listed by path; nothing runs
 * unless there are none.
 */
export function resolveExperiment(
  raw: unknown,
  source: string,
  options: ResolveOptions = {},
): E.Either<DefinitionProblem, ResolvedExperiment> {
  const overrides = options.overrides ?? [];
  const registry = options.registry ?? defaultRegistry;
  const parts = partCodecs(registry);
  // Overrides of run fields are applied again after each variant's own override: the command
  // line is the user's latest word, so it wins over the definition and over every variant.
  const badPaths = overrides.flatMap(([path]) => {
    const problem = overridePathProblem(path);
    return problem === undefined ? [] : [`--set ${path}: ${problem}`];
  });
  if (badPaths.length > 0) return E.left(invalid(source, badPaths));
  // `--set path=v1,v2` (a grid) adds a dimension to every variant's search; the rest set values.
  const gridOverrides = overrides.flatMap(([path, value]) => (isGridValue(value) ? [[path, value] as const] : []));
  // `--seeds` on a seed design keeps its `vary` and `base` (seed-design.ts).
  const valueOverrides = overrides
    .filter(([, value]) => !isGridValue(value))
    .map(([path, value]) => [path, seedsOverride(raw, path, value)] as const);
  const cliSpace = Object.fromEntries(gridOverrides);
  const runOverrides = valueOverrides.filter(([path]) =>
    (RUN_FIELDS as readonly string[]).includes(path.split('.')[0] ?? ''),
  );
  return pipe(
    decodeWith(experimentCodec(parts), applyOverrides(raw, valueOverrides), source),
    E.chain((declaredDefinition) => {
      const seeds = seedList(declaredDefinition.seeds);
      const seeding = designSeeding(declaredDefinition.seeds);
      const definition = { ...declaredDefinition, seeds };
      const names = Object.keys(definition.variants);
      const problems: string[] = [...seedDesignProblems(declaredDefinition.seeds)];
      if (names.length === 0) problems.push('variants: expected at least one variant (use { base: {} } for none)');
      if (definition.seeds.length === 0) problems.push('seeds: expected at least one seed');
      if (new Set(definition.seeds).size !== definition.seeds.length)
        problems.push(`seeds: expected distinct seeds, got ${JSON.stringify(definition.seeds)}`);
      if (seeding !== undefined && definition.variance !== undefined)
        problems.push(
          'variance: a variance study varies each source alone against runs that vary all of them; remove seeds.vary or the study',
        );
      const selected = options.variants ?? names;
      // A selected trial (`run-one` of a child or worker) resolves its variant's search.
      const ownerOf = (name: string) => name.split(TRIAL_SEPARATOR)[0] ?? name;
      const base = Object.fromEntries(RUN_FIELDS.map((field) => [field, definition[field]]));
      const variants: ResolvedVariant[] = [];
      const searches: VariantSearch[] = [];
      const selectedTrials: ResolvedVariant[] = [];
      const found = new Set<string>();
      for (const name of names.filter((n) => selected.some((s) => ownerOf(s) === n))) {
        const { search: ownSearch, ...override } = definition.variants[name] ?? {};
        const declared = mergeOverride(base, override);
        const decoded = decodeWith(
          declaredRunSpecCodec(parts),
          applyOverrides(declared, runOverrides),
          source,
          `variants.${name}`,
        );
        if (E.isLeft(decoded)) {
          problems.push(...decoded.left.problems);
          continue;
        }
        const root = names.length > 1 || Object.keys(override).length > 0 ? `variants.${name}` : '';
        problems.push(...checkRunSpec(decoded.right, registry).map((p) => (root ? `${root} → ${p}` : p)));
        const declaredSearch: SearchSpec | undefined = ownSearch ?? definition.search;
        const search = withCommandLineGrid(declaredSearch, cliSpace);
        if (search === undefined) {
          found.add(name);
          variants.push(resolvedVariant(name, decoded.right));
          continue;
        }
        const searchRoot = ownSearch === undefined ? 'search' : `variants.${name}.search`;
        const ownProblems = searchProblems(search, searchRoot);
        problems.push(...ownProblems);
        found.add(name);
        if (ownProblems.length > 0) continue;
        const trials: ResolvedTrial[] = [];
        for (const values of searchTrials(search)) {
          const trialRaw = applyOverrides(applyOverrides(declared, runOverrides), [
            ...values,
            // A tuning trial is evaluated on the selection split, so its record never holds test metrics.
            ...(search.select === undefined ? [] : [['evaluation.split', search.select.split] as const]),
          ]);
          const trialSpec = decodeWith(
            declaredRunSpecCodec(parts),
            trialRaw,
            source,
            `${searchRoot} (trial ${trialName(name, values)})`,
          );
          if (E.isLeft(trialSpec)) {
            problems.push(...trialSpec.left.problems);
            continue;
          }
          problems.push(...checkRunSpec(trialSpec.right, registry).map((p) => `${trialName(name, values)} → ${p}`));
          trials.push({ values, variant: resolvedVariant(trialName(name, values), trialSpec.right) });
        }
        for (const trial of trials) found.add(trial.variant.name);
        if (search.select === undefined) {
          // A sweep: every trial is a variant of its own.
          variants.push(
            ...trials
              .filter((trial) => selected.includes(trial.variant.name) || selected.includes(name))
              .map((trial) => trial.variant),
          );
          if (selected.includes(name)) found.add(name);
          continue;
        }
        found.add(name);
        if (selected.includes(name)) {
          variants.push(resolvedVariant(name, decoded.right));
          searches.push({ variant: name, select: search.select, seed: search.seed, trials });
        }
        selectedTrials.push(
          ...trials.filter((trial) => selected.includes(trial.variant.name)).map((trial) => trial.variant),
        );
      }
      // A variance study: per studied variant and source, a variant of its own (seed-design.ts),
      // resolved with the whole experiment or when named itself (`--variant=V` is V's own runs alone,
      // so a `run-one` child or a queue job given one name resolves exactly one variant).
      const study = definition.variance;
      const searched = (name: string): boolean =>
        (definition.variants[name]?.search ?? definition.search) !== undefined;
      const studied = study === undefined ? [] : (study.variants ?? names.filter((name) => !searched(name)));
      for (const [index, name] of studied.entries()) {
        if (!names.includes(name) || searched(name)) {
          problems.push(
            `variance.variants.${index}: expected a variant without a search (variants: ${names.join(', ')}), got ${JSON.stringify(name)}`,
          );
          continue;
        }
        for (const source of study?.sources ?? SEED_SOURCES) found.add(studyVariantName(name, source));
        const owner = variants.find((variant) => variant.name === name);
        if (study === undefined || owner === undefined) continue;
        for (const variant of studyVariants(study, name, owner.spec)) {
          if (selected.includes(variant.name) || options.variants === undefined)
            variants.push({ ...resolvedVariant(variant.name, variant.spec), seeds: variant.seeds });
        }
      }
      for (const name of selected) {
        if (!names.includes(name) && !found.has(name))
          problems.push(`variant: "${name}" is not defined (variants: ${names.join(', ')})`);
      }
      variants.push(...selectedTrials);
      // A study variant named alone (`run-one` of a child) resolves without its owner.
      const kept = variants.filter(
        (variant) => selected.includes(variant.name) || selected.includes(ownerOf(variant.name)),
      );
      problems.push(...identicalVariants(kept));
      // A seed design that fixes some sources: in every run's settings (seed-design.ts).
      const seeded = (variant: ResolvedVariant): ResolvedVariant =>
        seeding === undefined ? variant : resolvedVariant(variant.name, { ...variant.spec, seeding });
      return problems.length > 0
        ? E.left(invalid(source, [...new Set(problems)]))
        : E.right({
            definition,
            variants: kept.map(seeded),
            searches: searches.map((search) => ({
              ...search,
              trials: search.trials.map((trial) => ({ ...trial, variant: seeded(trial.variant) })),
            })),
          });
    }),
  );
}
