import type { GroupAggregate } from './aggregate.js';
import { formatValue } from './format.js';
import type { RunGroup } from './groups.js';
import { MAJORITY_CURVE } from './metrics.js';
import type { RunRecord } from '@losslab/schema';

/** One path whose value differs between groups' definitions; `values[i]` belongs to group i. */
export interface DefinitionDifference {
  readonly path: string;
  /** JSON of the value in each group's definition, or null where the path is absent. */
  readonly values: readonly (string | null)[];
}

/**
 * Flattens JSON data to `path → JSON of the leaf`: `{a: {b: [1, 2]}}` → `a.b[0] = 1`, `a.b[1] = 2`.
 * Empty objects and arrays are leaves.
 */
export function flattenDefinition(value: unknown, prefix = ''): Map<string, string> {
  const leaves = new Map<string, string>();
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node) && node.length > 0) {
      node.forEach((item, index) => visit(item, `${path}[${index}]`));
    } else if (node !== null && typeof node === 'object' && Object.keys(node).length > 0) {
      for (const [key, item] of Object.entries(node)) visit(item, path === '' ? key : `${path}.${key}`);
    } else {
      // JSON data: only an absent value (undefined) has no JSON text (JSON.stringify would return undefined)
      leaves.set(path === '' ? '(root)' : path, node === undefined ? 'undefined' : JSON.stringify(node));
    }
  };
  visit(value, prefix);
  return leaves;
}

/**
 * The paths whose values differ between the definitions (one per group, the first run's), in
 * path order: what a reader needs to see to know what the variants changed.
 *
 * @example
 * diffDefinitions([{ loss: { kind: 'l1' } }, { loss: { kind: 'weighted', inner: { kind: 'l1' } } }])
 * // [{ path: 'loss.inner.kind', values: [null, '"l1"'] }, { path: 'loss.kind', values: ['"l1"', '"weighted"'] }]
 */
export function diffDefinitions(definitions: readonly unknown[]): DefinitionDifference[] {
  const flat = definitions.map((definition) => flattenDefinition(definition));
  const paths = [...new Set(flat.flatMap((leaves) => [...leaves.keys()]))].sort();
  return paths.flatMap((path) => {
    const values = flat.map((leaves) => leaves.get(path) ?? null);
    return new Set(values).size > 1 ? [{ path, values }] : [];
  });
}

/** Distinct values in first-seen order, joined for display. */
function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(', ');
}

/** What a group's runs were: hashes, code state, environment and speed, as display strings. */
export interface GroupContext {
  readonly label: string;
  readonly runs: number;
  readonly seeds: readonly number[];
  readonly definitionHashes: readonly string[];
  readonly commits: string;
  readonly backend: string;
  readonly node: string;
  readonly platform: string;
  readonly packages: string;
  readonly dataFingerprint: string;
  readonly secondsPerEpoch: number | null;
  readonly samplesPerSecond: number | null;
  readonly epochs: string;
  /** Each distinct model summary of the group's runs (`input → layer [shape] (parameters) → …`); empty for older records. */
  readonly models: readonly string[];
}

/** A model summary in one line: the input shape, then each layer with its output shape and parameters. */
const modelLine = ({ inputShape, layers, parameters }: NonNullable<RunRecord['modelSummary']>): string =>
  [
    `[${inputShape.join(', ')}]`,
    ...layers.map((layer) => `${layer.kind} [${layer.outputShape.join(', ')}] (${layer.parameters})`),
  ].join(' → ') + `: ${parameters} parameters`;

/** Summarizes the environment and code state of a group's runs for the context block. */
export function groupContext(group: RunGroup, aggregate: GroupAggregate): GroupContext {
  const records = group.records;
  const commit = (record: RunRecord): string => {
    const { commit: sha, dirty } = record.environment.git;
    const dirtyText = dirty === null ? 'dirty: unknown' : dirty ? 'dirty' : 'clean';
    return `${sha ?? 'unknown commit'} (${dirtyText})`;
  };
  return {
    label: group.label,
    runs: records.length,
    seeds: records.map((record) => record.seed),
    definitionHashes: [...new Set(records.map((record) => record.definitionHash))],
    commits: distinct(records.map(commit)),
    backend: distinct(records.map((record) => `${record.environment.backend} ${record.environment.backendVersion}`)),
    node: distinct(records.map((record) => record.environment.node)),
    platform: distinct(records.map((record) => record.environment.platform)),
    packages: distinct(
      records.map((record) =>
        Object.entries(record.environment.packages)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, version]) => `${name} ${version}`)
          .join(', '),
      ),
    ),
    dataFingerprint: distinct(
      records.map((record) =>
        Object.entries(record.dataFingerprint)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, hash]) => `${name}: ${hash.slice(0, 12)}`)
          .join(', '),
      ),
    ),
    secondsPerEpoch: aggregate.timing.secondsPerEpoch?.mean ?? null,
    samplesPerSecond: aggregate.timing.samplesPerSecond?.mean ?? null,
    epochs: distinct(records.map((record) => String(record.history.length))),
    models: [...new Set(records.flatMap((record) => (record.modelSummary ? [modelLine(record.modelSummary)] : [])))],
  };
}

/** How close (in fraction units) an accuracy may come to the majority baseline before a warning. */
export const MAJORITY_MARGIN = 0.01;

/** One accuracy within {@link MAJORITY_MARGIN} of the majority-class baseline. */
export interface MajorityFinding {
  readonly experiment: string;
  readonly label: string;
  /** `test`: the final accuracy (mean over seeds); `validation`: the last epoch's validation accuracy. */
  readonly split: 'test' | 'validation';
  readonly accuracy: number;
  readonly majority: number;
  /** The epoch of a validation accuracy; null for the final one. */
  readonly epoch: number | null;
  /** The finding as a plain-language warning (see {@link majorityWarnings}). */
  readonly warning: string;
}

/**
 * Every accuracy within 1 percentage point of the majority-class baseline (`majorityAccuracy`):
 * the final test accuracy (mean over seeds) and the last epoch's validation accuracy, per group.
 */
export function majorityFindings(aggregates: readonly GroupAggregate[]): MajorityFinding[] {
  const findings: MajorityFinding[] = [];
  const check = (
    aggregate: GroupAggregate,
    split: MajorityFinding['split'],
    epoch: number | null,
    accuracy: number | undefined,
    majority: number | undefined,
  ): void => {
    if (accuracy === undefined || majority === undefined) return;
    if (Math.abs(accuracy - majority) <= MAJORITY_MARGIN) {
      const what = epoch === null ? 'final accuracy (mean over seeds)' : `validation accuracy at epoch ${epoch}`;
      findings.push({
        experiment: aggregate.experiment,
        label: aggregate.label,
        split,
        accuracy,
        majority,
        epoch,
        warning: `${aggregate.label}: ${what} ${formatValue(accuracy)} is within 1 percentage point of the majority-class baseline ${formatValue(majority)}; the model may only be predicting the majority class.`,
      });
    }
  };
  for (const aggregate of aggregates) {
    check(aggregate, 'test', null, aggregate.final.accuracy?.mean, aggregate.final.majorityAccuracy?.mean);
    const accuracyCurve = aggregate.curves['validation.accuracy'];
    const majorityCurve = aggregate.curves[MAJORITY_CURVE];
    const last = accuracyCurve?.[accuracyCurve.length - 1];
    const lastMajority = majorityCurve?.find((point) => point.epoch === last?.epoch);
    if (last !== undefined) check(aggregate, 'validation', last.epoch, last.summary.mean, lastMajority?.summary.mean);
  }
  return findings;
}

/**
 * Warnings for every accuracy within 1 percentage point of the majority-class baseline
 * (`majorityAccuracy`): the final test accuracy (mean over seeds) and the last epoch's validation
 * accuracy. Such a model may just predict the majority class.
 *
 * @example majorityWarnings(aggregates) // ['unweighted: test accuracy 0.951 is within 1 percentage point of ...']
 */
export function majorityWarnings(aggregates: readonly GroupAggregate[]): string[] {
  return majorityFindings(aggregates).map((finding) => finding.warning);
}

/** True when `accuracy` is within {@link MAJORITY_MARGIN} of `majority`. */
export function nearMajority(accuracy: number, majority: number | undefined): boolean {
  return majority !== undefined && Math.abs(accuracy - majority) <= MAJORITY_MARGIN;
}

/** The settings whose values must agree between all runs of compared variants, each read from one run. */
const LIKE_FIELDS: readonly { readonly name: string; readonly read: (record: RunRecord) => string }[] = [
  {
    name: 'epochs',
    read: (record) => String(record.definition.train?.epochs ?? record.history.length),
  },
  { name: 'code fingerprint', read: (record) => (record.codeFingerprint ?? 'unknown').slice(0, 12) },
  { name: 'backend', read: (record) => record.environment.backend },
  {
    name: 'definition file',
    read: (record) => (record.environment.definitionFile?.sha256 ?? 'unknown').slice(0, 12),
  },
];

/**
 * Reads a run's data fingerprint as `name: hash` pairs, only the names whose hashes are not the
 * same in all of `records` (all of them when none differ), so a warning shows what differs.
 */
function fingerprintReader(records: readonly RunRecord[]): (record: RunRecord) => string {
  const names = [...new Set(records.flatMap((record) => Object.keys(record.dataFingerprint)))].sort();
  const differing = names.filter(
    (name) => new Set(records.map((record) => record.dataFingerprint[name] ?? '(absent)')).size > 1,
  );
  const shown = differing.length > 0 ? differing : names;
  return (record) =>
    shown
      .map((name) => `${name}: ${(record.dataFingerprint[name] ?? '(absent)').replace(/^sha256:/, '').slice(0, 12)}`)
      .join(', ');
}

/** `a: x; b: y`, each group's distinct values of a field among the runs `keep` picks; null when they are all one. */
function differentValues(
  groups: readonly RunGroup[],
  read: (record: RunRecord) => string,
  keep: (record: RunRecord) => boolean,
): string | null {
  const perGroup = groups.map((group) => [...new Set(group.records.filter(keep).map(read))]);
  if (new Set(perGroup.flat()).size <= 1) return null;
  return groups
    .flatMap((group, index) => {
      const values = perGroup[index] ?? [];
      return values.length === 0 ? [] : [`${group.label}: ${values.join(' / ')}`];
    })
    .join('; ');
}

/**
 * Compares the data fingerprints among the runs of each seed: a transform draws its rows from the
 * run seed, so seeds may differ in data, but the same seed must have drawn the same rows in every
 * variant (what keeps a paired comparison paired). `data fingerprint differs (…)` when every seed
 * differs the same way, else `… differs for seed 0 (…); for seeds 1, 2 (…)`; null when each seed agrees.
 */
function dataFingerprintDifference(groups: readonly RunGroup[]): string | null {
  const name = 'data fingerprint';
  const seeds = [...new Set(groups.flatMap((group) => group.records.map((record) => record.seed)))].sort(
    (a, b) => a - b,
  );
  const bySeedDifference = new Map<string, number[]>();
  for (const seed of seeds) {
    const ofSeed = (record: RunRecord): boolean => record.seed === seed;
    const read = fingerprintReader(groups.flatMap((group) => group.records.filter(ofSeed)));
    const difference = differentValues(groups, read, ofSeed);
    if (difference !== null) bySeedDifference.set(difference, [...(bySeedDifference.get(difference) ?? []), seed]);
  }
  const entries = [...bySeedDifference];
  if (entries.length === 0) return null;
  if (entries.length === 1 && entries[0]![1].length === seeds.length) return `${name} differs (${entries[0]![0]})`;
  const parts = entries.map(
    ([difference, list]) => `for seed${list.length === 1 ? '' : 's'} ${list.join(', ')} (${difference})`,
  );
  return `${name} differs ${parts.join('; ')}`;
}

/**
 * Per variant of one experiment, its own values of the settings {@link likeWithLike} finds
 * differing (`epochs: 2`), and `data fingerprint` when the runs of a seed drew different data;
 * empty when all agree. What the warnings table shows in a variant's row.
 */
export function likeWithLikeByVariant(groups: readonly RunGroup[]): { label: string; differing: string[] }[] {
  if (groups.length < 2) return [];
  const data = dataFingerprintDifference(groups) === null ? [] : ['data fingerprint'];
  const fields = LIKE_FIELDS.filter(({ read }) => differentValues(groups, read, () => true) !== null);
  if (data.length === 0 && fields.length === 0) return [];
  return groups.map((group) => ({
    label: group.label,
    differing: [
      ...data,
      ...fields.map(({ name, read }) => `${name}: ${[...new Set(group.records.map(read))].join(' / ')}`),
    ],
  }));
}

/**
 * Checks that the variants of one experiment are compared like with like: every run of every
 * group has the same epochs (`train.epochs`), code fingerprint, backend and definition file
 * (sha256), and the runs of each seed the same data fingerprint (one seed's draw of the data is
 * the same rows in every variant; another seed may draw others), so the variants differ only in
 * their own overrides. (A run records its resolved definition, not which parts its variant
 * overrode; the same definition file is what guarantees that the differences between them are
 * the overrides.) Returns one warning per experiment naming each field that differs and its
 * values per variant; empty when all agree.
 *
 * @example likeWithLike(groups) // ['Not like with like (mnist-odd): epochs differ (adam: 2; sgd: 1); …']
 */
export function likeWithLike(groups: readonly RunGroup[]): string[] {
  if (groups.length < 2) return [];
  const experiment = groups[0]?.experiment ?? '';
  const data = dataFingerprintDifference(groups);
  const differing = [
    ...(data === null ? [] : [data]),
    ...LIKE_FIELDS.flatMap(({ name, read }) => {
      const values = differentValues(groups, read, () => true);
      return values === null ? [] : [`${name} differs (${values})`];
    }),
  ];
  if (differing.length === 0) return [];
  return [
    `Not like with like (${experiment}): ${differing.join('; ')}. The differences between these variants may come from these settings rather than from their own overrides; rerun them with the same settings and code (or compare them with --runs on purpose).`,
  ];
}
