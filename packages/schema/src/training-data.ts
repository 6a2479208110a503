import * as t from 'io-ts';
import { closed, FiniteNumber, NonEmptyString, NonNegativeInt, PositiveInt } from './codec.js';

/**
 * Class weights a loss computed from the training counts: the label block they weight, the
 * strategy (as canonical JSON of its settings) and one weight per class of the block.
 *
 * @example { block: 'digit', strategy: '{"kind":"balanced"}', weights: [0.25, 2.5] }
 */
export const ComputedClassWeights = closed('computed class weights', {
  block: NonEmptyString,
  strategy: NonEmptyString,
  weights: t.array(FiniteNumber),
});
export type ComputedClassWeights = t.TypeOf<typeof ComputedClassWeights>;

/**
 * What a run trained on, after its transforms: rows per class of each classification label block
 * of the train split (a one-column block counts classes 0 and 1), and the class weights its loss
 * computed from them. Optional in a record: records written before it existed have none.
 *
 * @example { classCounts: { digit: [5421, 54] }, classWeights: [{ block: 'digit', strategy: '{"kind":"inverse"}', weights: [1.01, 100.4] }] }
 */
export const TrainingData = closed(
  'training data',
  { classCounts: t.record(t.string, t.array(NonNegativeInt)) },
  { classWeights: t.array(ComputedClassWeights) },
);
export type TrainingData = t.TypeOf<typeof TrainingData>;

const ClassGroupBounds = closed('class groups', { headAbove: NonNegativeInt, tailBelow: PositiveInt });
type ClassGroupBounds = t.TypeOf<typeof ClassGroupBounds>;

/**
 * How a report splits classes into head, medium and tail by their training counts n_c: head
 * holds the classes with n_c > `headAbove`, tail those with n_c < `tailBelow`, medium the rest
 * (`tailBelow` ≤ `headAbove`, so no class is in two groups). Without it a long-tailed report
 * uses terciles: the most frequent third of the classes is head, the least frequent third tail.
 *
 * @example { headAbove: 100, tailBelow: 20 } // many-shot (> 100) / few-shot (< 20), Liu et al. 2019
 */
export const ClassGroups = new t.Type<ClassGroupBounds, ClassGroupBounds, unknown>(
  'class groups',
  (value): value is ClassGroupBounds => ClassGroupBounds.is(value) && value.tailBelow <= value.headAbove,
  (value, context) => {
    const decoded = ClassGroupBounds.validate(value, context);
    if (decoded._tag === 'Left' || decoded.right.tailBelow <= decoded.right.headAbove) return decoded;
    const bounds = decoded.right;
    return t.failure(
      bounds.tailBelow,
      [...context, { key: 'tailBelow', type: PositiveInt, actual: bounds.tailBelow }],
      `expected at most headAbove (${bounds.headAbove}), so no class is both head and tail`,
    );
  },
  t.identity,
);
export type ClassGroups = t.TypeOf<typeof ClassGroups>;
