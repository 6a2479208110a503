import { classFlagBlock, columnBlock, oneHotBlock } from '@losslab/data';
import { ColumnLabel, FlagLabel, OneHotLabel, type LabelSpec } from '@losslab/schema';
import type * as t from 'io-ts';
import { builderOf } from './define.js';
import type { LabelKind } from './table.js';

/**
 * The label family: blocks derived from each row's class id, or copied from a data column; each
 * entry beside its builder.
 */

type OneHotLabel = t.TypeOf<typeof OneHotLabel>;
const oneHotClassNames = (spec: OneHotLabel): string[] =>
  typeof spec.classes === 'number' ? Array.from({ length: spec.classes }, (_, i) => String(i)) : [...spec.classes];

const oneHotLabel: LabelKind<OneHotLabel> = {
  kind: 'oneHot',
  codec: OneHotLabel,
  width: (spec) => oneHotClassNames(spec).length,
  classNames: oneHotClassNames,
  derive: (spec, rows) => oneHotBlock(rows, oneHotClassNames(spec).length),
};
/** One column per class; `classes` is a count or the class names (which the report shows). */
export const oneHot = (classes: number | string[]): LabelSpec => builderOf(oneHotLabel)({ classes });

const flagLabel: LabelKind<t.TypeOf<typeof FlagLabel>> = {
  kind: 'flag',
  codec: FlagLabel,
  width: () => 1,
  derive: (spec, rows) => classFlagBlock(rows, spec.classes),
};
/** One column: 1 when the row's class is one of `classes` (is-odd: `flag([1, 3, 5, 7, 9])`). */
export const flag = (classes: number[]): LabelSpec => builderOf(flagLabel)({ classes });

const columnLabel: LabelKind<t.TypeOf<typeof ColumnLabel>> = {
  kind: 'column',
  codec: ColumnLabel,
  width: () => 1,
  problems: (spec, provided) =>
    provided.columns.includes(spec.column)
      ? []
      : [
          `column: the data has no extra column "${spec.column}" (it has ${provided.columns.length > 0 ? provided.columns.join(', ') : 'none; list CSV columns in data.columns'})`,
        ],
  derive: (spec, rows) => columnBlock(rows, spec.column),
};
/** One column copied from an extra data column (a CSV column listed in `columns`). */
export const column = (name: string): LabelSpec => builderOf(columnLabel)({ column: name });

/** Every built-in label entry. */
export const labelKinds: readonly LabelKind[] = [oneHotLabel, flagLabel, columnLabel];
