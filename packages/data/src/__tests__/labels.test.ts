import { describe, expect, it } from 'vitest';
import { isLosslabError, labelLayout } from '@losslab/runtime';
import { combineLabels, oneHot } from '../index.js';

describe('combineLabels', () => {
  const layout = labelLayout({ digit: 3, isOdd: 1 });

  it('places each block in its columns, row by row', () => {
    const digits = [1, 2];
    const labels = combineLabels(
      layout,
      { digit: oneHot(digits, 3), isOdd: Float32Array.from(digits, (d) => d % 2) },
      2,
    );
    expect(Array.from(labels)).toEqual([0, 1, 0, 1, /* row 2 */ 0, 0, 1, 0]);
  });

  it('keeps layout order even when blocks are given in another order', () => {
    const labels = combineLabels(
      labelLayout({ a: 1, b: 2 }),
      { b: Float32Array.of(2, 3, 5, 6), a: Float32Array.of(1, 4) },
      2,
    );
    expect(Array.from(labels)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names the block and both lengths when a block has the wrong length', () => {
    let error: unknown;
    try {
      combineLabels(layout, { digit: new Float32Array(6), isOdd: new Float32Array(3) }, 2);
    } catch (e) {
      error = e;
    }
    expect(isLosslabError(error, 'SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toBe('label block "isOdd": expected 2 × 1 = 2 values, got 3');
  });

  it('rejects a missing block and an extra block by name', () => {
    expect(() => combineLabels(layout, { digit: new Float32Array(6) }, 2)).toThrow(
      'blocks: missing label block "isOdd" (width 1); expected 2 × 1 = 2 values',
    );
    expect(() =>
      combineLabels(layout, { digit: new Float32Array(6), isOdd: new Float32Array(2), mask: new Float32Array(2) }, 2),
    ).toThrow('blocks: "mask" not in the label layout (blocks: digit:3, isOdd:1)');
  });
});
