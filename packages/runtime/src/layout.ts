import * as tf from '@tensorflow/tfjs-core';
import { LosslabError, requireInteger } from './errors.js';

/** One named block of label columns: columns `start .. start + width - 1`. */
export interface LabelBlock {
  readonly name: string;
  readonly start: number;
  readonly width: number;
}

/** Named column blocks of a label matrix, in column order; `width` is their total. */
export interface LabelLayout {
  readonly blocks: readonly LabelBlock[];
  readonly width: number;
}

/**
 * Declares a label layout from block widths, in column order.
 *
 * @example
 * const layout = labelLayout({ digit: 10, isOdd: 1 }); // width 11; isOdd is column 10
 */
export function labelLayout(widths: Readonly<Record<string, number>>): LabelLayout {
  const blocks: LabelBlock[] = [];
  let start = 0;
  for (const [name, width] of Object.entries(widths)) {
    if (name.length === 0) throw new LosslabError('INVALID_ARGUMENT', 'label layout: block names must be non-empty');
    requireInteger(`label layout block "${name}" width`, width, 1);
    blocks.push({ name, start, width });
    start += width;
  }
  if (blocks.length === 0) throw new LosslabError('INVALID_ARGUMENT', 'label layout: expected at least one block');
  return { blocks, width: start };
}

/** The block called `name`; the error lists the blocks the layout does have. */
export function labelBlock(layout: LabelLayout, name: string): LabelBlock {
  const found = layout.blocks.find((b) => b.name === name);
  if (found === undefined) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `label block "${name}" is not in the layout (blocks: ${layout.blocks.map((b) => `${b.name}:${b.width}`).join(', ')})`,
    );
  }
  return found;
}

/** Throws `SHAPE_MISMATCH` unless `labels` is `[batch, layout.width]`, naming both widths. */
export function checkLabelWidth(layout: LabelLayout, labels: tf.Tensor, what = 'labels'): void {
  const width = labels.rank === 2 ? labels.shape[1] : undefined;
  if (width !== layout.width) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `${what}: expected shape [batch, ${layout.width}] for layout {${layout.blocks
        .map((b) => `${b.name}: ${b.width}`)
        .join(', ')}}, got [${labels.shape.join(', ')}]`,
    );
  }
}

/**
 * The columns of block `name` of `labels` (`[batch, layout.width]` → `[batch, block.width]`).
 *
 * @example
 * const isOdd = sliceBlock(labels, layout, 'isOdd'); // [batch, 1]
 */
export function sliceBlock(labels: tf.Tensor2D, layout: LabelLayout, name: string): tf.Tensor2D {
  checkLabelWidth(layout, labels);
  const b = labelBlock(layout, name);
  return tf.slice(labels, [0, b.start], [-1, b.width]);
}
