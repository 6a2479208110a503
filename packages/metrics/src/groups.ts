import { LosslabError, labelBlock, requireInteger, type LabelLayout } from '@losslab/runtime';
import { argMax } from './argmax.js';
import { bincount, confusionMatrix } from './classification.js';
import { requireClassIds, requireSameLength } from './guards.js';

/**
 * Evaluation of one group of samples; the same fields as `GroupEvaluation` in the run record
 * (`@losslab/report`), so a result drops straight into a record.
 */
export interface GroupEvaluation {
  readonly name: string;
  /** Number of samples in the group. */
  readonly size: number;
  /** Accuracy within the group; 0 for an empty group (check `size`). */
  readonly accuracy: number;
  /** confusion[trueClass][predictedClass] within the group. */
  readonly confusion: number[][];
  /** Samples of the group per true class. */
  readonly trueCounts: number[];
  /** Samples of the group per predicted class. */
  readonly predictedCounts: number[];
}

/** A named group given by a membership test on sample indices; groups may overlap. */
export interface GroupDefinition {
  readonly name: string;
  readonly member: (index: number) => boolean;
}

/**
 * Disjoint groups given by one group index per sample: sample i belongs to `names[ids[i]]`, or to
 * no group when `ids[i]` is -1.
 */
export interface GroupAssignment {
  readonly names: readonly string[];
  readonly ids: ArrayLike<number>;
}

function requireUniqueNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (name.length === 0) throw new LosslabError('INVALID_ARGUMENT', 'groups: group names must be non-empty');
    if (seen.has(name)) throw new LosslabError('INVALID_ARGUMENT', `groups: duplicate group name "${name}"`);
    seen.add(name);
  }
}

/** Converts either form of groups to membership tests. */
function toDefinitions(groups: readonly GroupDefinition[] | GroupAssignment, samples: number): GroupDefinition[] {
  if (Array.isArray(groups)) return [...(groups as readonly GroupDefinition[])];
  const { names, ids } = groups as GroupAssignment;
  requireSameLength('trueClasses', { length: samples }, 'groups.ids', ids);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < -1 || id >= names.length) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `groups.ids[${i}]: expected -1 or an integer in [0, ${names.length}), got ${String(id)}`,
      );
    }
  }
  return names.map((name, g) => ({ name, member: (i: number) => ids[i] === g }));
}

/**
 * Accuracy, confusion matrix and true/predicted class counts within each group, in the order the
 * groups are given. Groups are either membership tests (`[{ name, member: (i) => boolean }]`,
 * may overlap) or one group id per sample (`{ names, ids }`, disjoint, -1 = no group).
 *
 * @example
 * // mnist-odd: evaluate even and odd digits separately
 * const groups = groupByClass(trueDigits, { even: (d) => d % 2 === 0, odd: (d) => d % 2 === 1 });
 * const [even, odd] = evaluateGroups(trueDigits, predictedDigits, groups, 10);
 * even.accuracy; // 0 when every even image is predicted as an odd digit
 */
export function evaluateGroups(
  trueClasses: ArrayLike<number>,
  predictedClasses: ArrayLike<number>,
  groups: readonly GroupDefinition[] | GroupAssignment,
  numClasses: number,
): GroupEvaluation[] {
  requireInteger('numClasses', numClasses);
  requireSameLength('trueClasses', trueClasses, 'predictedClasses', predictedClasses);
  requireClassIds('trueClasses', trueClasses, numClasses);
  requireClassIds('predictedClasses', predictedClasses, numClasses);
  const definitions = toDefinitions(groups, trueClasses.length);
  requireUniqueNames(definitions.map((d) => d.name));
  return definitions.map(({ name, member }) => {
    const groupTrue: number[] = [];
    const groupPredicted: number[] = [];
    for (let i = 0; i < trueClasses.length; i++) {
      if (member(i)) {
        groupTrue.push(trueClasses[i]!);
        groupPredicted.push(predictedClasses[i]!);
      }
    }
    const confusion = confusionMatrix(groupTrue, groupPredicted, numClasses);
    const correct = confusion.reduce((sum, row, c) => sum + row[c]!, 0);
    return {
      name,
      size: groupTrue.length,
      accuracy: groupTrue.length === 0 ? 0 : correct / groupTrue.length,
      confusion,
      trueCounts: bincount(groupTrue, numClasses),
      predictedCounts: bincount(groupPredicted, numClasses),
    };
  });
}

/**
 * Groups by a predicate on each sample's true class id (membership computed once).
 *
 * @example
 * groupByClass([3, 4, 7], { even: (c) => c % 2 === 0, odd: (c) => c % 2 === 1 });
 * // even = {1}, odd = {0, 2}
 */
export function groupByClass(
  trueClasses: ArrayLike<number>,
  predicates: Readonly<Record<string, (trueClass: number) => boolean>>,
): GroupDefinition[] {
  return Object.entries(predicates).map(([name, predicate]) => {
    const members = new Uint8Array(trueClasses.length);
    for (let i = 0; i < trueClasses.length; i++) members[i] = predicate(trueClasses[i]!) ? 1 : 0;
    return { name, member: (i: number) => members[i] === 1 };
  });
}

/**
 * A group predicate on a label block, declared as data (JSON-safe, so it can live in an
 * experiment definition):
 * - `{ argMaxIn: [1, 3, 5] }`: the block's argMax (e.g. the one-hot digit) is one of these;
 * - `{ equals: 1 }`: a width-1 block equals the value (e.g. the `isOdd` flag);
 * - `{ atLeast: 0.5 }`: a width-1 block is ≥ the value.
 */
export type BlockRule =
  { readonly argMaxIn: readonly number[] } | { readonly equals: number } | { readonly atLeast: number };

/** A predicate on one sample's block values, as a function or a declared {@link BlockRule}. */
export type BlockPredicate = BlockRule | ((blockValues: Float32Array) => boolean);

function compileRule(group: string, rule: BlockPredicate, blockWidth: number): (values: Float32Array) => boolean {
  if (typeof rule === 'function') return rule;
  if ('argMaxIn' in rule) {
    const classes = new Set(rule.argMaxIn);
    return (values) => classes.has(argMax(values));
  }
  if (blockWidth !== 1) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `groups.${group}: ${'equals' in rule ? 'equals' : 'atLeast'} needs a block of width 1, got width ${blockWidth}`,
    );
  }
  if ('equals' in rule) return (values) => values[0] === rule.equals;
  return (values) => values[0]! >= rule.atLeast;
}

/**
 * Groups by a predicate on one named block of the label matrix (`labels`: row-major
 * `[n, layout.width]`). Each predicate sees that sample's block values and is evaluated once per
 * sample.
 *
 * @example
 * const layout = labelLayout({ digit: 10, isOdd: 1 });
 * // by the parity flag…
 * groupByPredicate(labels, layout, 'isOdd', { even: { equals: 0 }, odd: { equals: 1 } });
 * // …or by the one-hot digit
 * groupByPredicate(labels, layout, 'digit', { even: { argMaxIn: [0, 2, 4, 6, 8] }, odd: { argMaxIn: [1, 3, 5, 7, 9] } });
 */
export function groupByPredicate(
  labels: ArrayLike<number>,
  layout: LabelLayout,
  block: string,
  predicates: Readonly<Record<string, BlockPredicate>>,
): GroupDefinition[] {
  if (labels.length % layout.width !== 0) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `labels: expected a multiple of the layout width ${layout.width} values, got ${labels.length}`,
    );
  }
  const { start, width } = labelBlock(layout, block);
  const samples = labels.length / layout.width;
  const blockValues = new Float32Array(width);
  return Object.entries(predicates).map(([name, rule]) => {
    const test = compileRule(name, rule, width);
    const members = new Uint8Array(samples);
    for (let i = 0; i < samples; i++) {
      for (let j = 0; j < width; j++) blockValues[j] = labels[i * layout.width + start + j]!;
      members[i] = test(blockValues) ? 1 : 0;
    }
    return { name, member: (i: number) => members[i] === 1 };
  });
}
