import { LosslabError, requireInteger, type LabelLayout } from '@losslab/runtime';

/**
 * Assembles a combined label matrix [size × layout.width] from one flat Float32Array per named
 * block: row r, columns block.start … block.start + block.width − 1 come from
 * `blocks[block.name][r × block.width …]`. Every layout block must be given, with exactly
 * size × block.width values; a block not in the layout is an error.
 *
 * @example
 * const layout = labelLayout({ digit: 10, isOdd: 1 });
 * const labels = combineLabels(layout, { digit: oneHot(ids, 10), isOdd: Float32Array.from(ids, (d) => d % 2) }, ids.length);
 * // row r = [one-hot digit (10 columns), is-odd flag]
 */
export function combineLabels(
  layout: LabelLayout,
  blocks: Readonly<Record<string, Float32Array>>,
  size: number,
): Float32Array {
  requireInteger('size', size, 0);
  const known = new Set(layout.blocks.map((b) => b.name));
  const extra = Object.keys(blocks).filter((name) => !known.has(name));
  if (extra.length > 0) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `blocks: ${extra.map((n) => `"${n}"`).join(', ')} not in the label layout (blocks: ${layout.blocks.map((b) => `${b.name}:${b.width}`).join(', ')})`,
    );
  }
  const out = new Float32Array(size * layout.width);
  for (const block of layout.blocks) {
    const values = Object.hasOwn(blocks, block.name) ? blocks[block.name] : undefined;
    if (values === undefined) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `blocks: missing label block "${block.name}" (width ${block.width}); expected ${size} × ${block.width} = ${size * block.width} values`,
      );
    }
    if (values.length !== size * block.width) {
      throw new LosslabError(
        'SHAPE_MISMATCH',
        `label block "${block.name}": expected ${size} × ${block.width} = ${size * block.width} values, got ${values.length}`,
      );
    }
    for (let row = 0; row < size; row++) {
      out.set(values.subarray(row * block.width, (row + 1) * block.width), row * layout.width + block.start);
    }
  }
  return out;
}
