import { createHash } from 'node:crypto';
import type { ArrayDataset, LabelledRows } from '@losslab/data';
import { classCounts } from '@losslab/losses';
import { labelBlock, type LabelLayout } from '@losslab/runtime';
import type { RunSpec, Split } from '@losslab/schema';
import { blockClasses } from './kinds/evaluations.js';
import type { Registry, RowsBySplit } from './kinds/table.js';

/**
 * What a run's transforms drew: which rows, and how many of each class. Seeded transforms draw
 * from the run seed unless they fix their own, so two seeds may train on different rows; these
 * say which, in the record.
 */

const bytesOf = (values: Float32Array | Int32Array): Uint8Array =>
  new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

/**
 * `<split>.drawn` → sha256 of the rows a split holds after the transforms: its shape, class ids,
 * features and extra columns (by name). Runs that drew the same rows in the same order get the
 * same hash, whatever seed or settings drew them; any other draw gets another.
 *
 * @example drawnFingerprint({ train: rows }) // { 'train.drawn': '3f0c…' }
 */
export function drawnFingerprint(splits: RowsBySplit): Record<string, string> {
  const entries = (Object.entries(splits) as [Split, LabelledRows | undefined][])
    .filter((entry): entry is [Split, LabelledRows] => entry[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([split, rows]) => {
      const hash = createHash('sha256');
      hash.update(JSON.stringify({ size: rows.size, featureShape: rows.featureShape }));
      hash.update(bytesOf(rows.classIds));
      hash.update(bytesOf(rows.features));
      for (const name of Object.keys(rows.columns).sort()) {
        hash.update(JSON.stringify(name));
        hash.update(bytesOf(rows.columns[name]!));
      }
      return [`${split}.drawn`, hash.digest('hex')] as const;
    });
  return Object.fromEntries(entries);
}

/** Train rows per class of `block` (a one-column block counts classes 0 and 1). */
export const blockCounts = (train: ArrayDataset, layout: LabelLayout, block: string): number[] =>
  classCounts(blockClasses(train, layout, block), Math.max(labelBlock(layout, block).width, 2));

/**
 * Train rows per class of every classification block (a block whose label kind names its
 * classes, such as `oneHot`), after the transforms; `{}` without a train split.
 *
 * @example trainingClassCounts(spec, registry, layout, train) // { digit: [5421, 3250, …, 54] }
 */
export function trainingClassCounts(
  spec: RunSpec,
  registry: Registry,
  layout: LabelLayout,
  train: ArrayDataset | undefined,
): Record<string, number[]> {
  if (train === undefined) return {};
  return Object.fromEntries(
    Object.entries(spec.labels)
      .filter(([, block]) => registry.labels.get(block.kind).classNames !== undefined)
      .map(([name]) => [name, blockCounts(train, layout, name)]),
  );
}
