import * as t from 'io-ts';
import { PositiveInt } from './codec.js';

/**
 * What a run record's `definition` (the variant's resolved definition, as canonical JSON) is read
 * for after the run: the planned epochs, the loss and its reduction, the evaluation kind and a detection's threshold. A view,
 * not the definition's own codec: every other key is kept as it was written, and each part here is
 * optional, so records of any version load; a part that is present must have its type
 * (io-ts `partial` is not exact: the keys it does not name pass through untouched).
 *
 * @example RecordedDefinition.decode({ name: 'blink', train: { epochs: 3 } }) // Right, `train.epochs` typed as a number
 */
export const RecordedDefinition = t.partial(
  {
    /** The loss as declared: compared as JSON, so its shape is the definition codec's business. */
    loss: t.unknown,
    train: t.partial({ epochs: PositiveInt, reduction: t.string }),
    /** `target`: the label block a classification evaluates (its training counts group the classes). */
    evaluation: t.partial({ kind: t.string, target: t.string, threshold: t.number }),
  },
  'a recorded definition',
);
export type RecordedDefinition = t.TypeOf<typeof RecordedDefinition>;
