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

/**
 * Warnings for every accuracy within 1 percentage point of the majority-class baseline
 * (`majorityAccuracy`): the final test accuracy (mean over seeds) and the last epoch's validation
 * accuracy. Such a model may just predict the majority class.
 *
 * @example majorityWarnings(aggregates) // ['unweighted: test accuracy 0.951 is within 1 percentage point of ...']
 */
export function majorityWarnings(aggregates: readonly GroupAggregate[]): string[] {
  const warnings: string[] = [];
  const check = (label: string, what: string, accuracy: number | undefined, majority: number | undefined): void => {
    if (accuracy === undefined || majority === undefined) return;
    if (Math.abs(accuracy - majority) <= MAJORITY_MARGIN) {
      warnings.push(
        `${label}: ${what} ${formatValue(accuracy)} is within 1 percentage point of the majority-class baseline ${formatValue(majority)}; the model may only be predicting the majority class.`,
      );
    }
  };
  for (const aggregate of aggregates) {
    check(
      aggregate.label,
      'final accuracy (mean over seeds)',
      aggregate.final.accuracy?.mean,
      aggregate.final.majorityAccuracy?.mean,
    );
    const accuracyCurve = aggregate.curves['validation.accuracy'];
    const majorityCurve = aggregate.curves[MAJORITY_CURVE];
    const last = accuracyCurve?.[accuracyCurve.length - 1];
    const lastMajority = majorityCurve?.find((point) => point.epoch === last?.epoch);
    if (last !== undefined)
      check(
        aggregate.label,
        `validation accuracy at epoch ${last.epoch}`,
        last.summary.mean,
        lastMajority?.summary.mean,
      );
  }
  return warnings;
}

/** True when `accuracy` is within {@link MAJORITY_MARGIN} of `majority`. */
export function nearMajority(accuracy: number, majority: number | undefined): boolean {
  return majority !== undefined && Math.abs(accuracy - majority) <= MAJORITY_MARGIN;
}

/** The settings whose values must agree between compared variants, each read from one run. */
const LIKE_FIELDS: readonly { readonly name: string; readonly read: (record: RunRecord) => string }[] = [
  {
    name: 'data fingerprint',
    read: (record) =>
      Object.entries(record.dataFingerprint)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, hash]) => `${name}: ${hash.replace(/^sha256:/, '').slice(0, 12)}`)
        .join(', '),
  },
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
 * Checks that the variants of one experiment are compared like with like: every run of every
 * group has the same data fingerprint, epochs (`train.epochs`), code fingerprint, backend and
 * definition file (sha256), so the variants differ only in their own overrides. (A run records
 * its resolved definition, not which parts its variant overrode; the same definition file is
 * what guarantees that the differences between them are the overrides.) Returns one warning per
 * experiment naming each field that differs and its values per variant; empty when all agree.
 *
 * @example likeWithLike(groups) // ['Not like with like (mnist-odd): epochs differ (adam: 2; sgd: 1); …']
 */
export function likeWithLike(groups: readonly RunGroup[]): string[] {
  if (groups.length < 2) return [];
  const experiment = groups[0]?.experiment ?? '';
  const differing = LIKE_FIELDS.flatMap(({ name, read }) => {
    const perGroup = groups.map((group) => [...new Set(group.records.map(read))]);
    const all = new Set(perGroup.flat());
    if (all.size <= 1) return [];
    const values = groups.map((group, index) => `${group.label}: ${(perGroup[index] ?? []).join(' / ')}`);
    return [`${name} differs (${values.join('; ')})`];
  });
  if (differing.length === 0) return [];
  return [
    `Not like with like (${experiment}): ${differing.join('; ')}. The differences between these variants may come from these settings rather than from their own overrides; rerun them with the same settings and code (or compare them with --runs on purpose).`,
  ];
}
