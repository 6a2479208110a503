import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { labelBlock, labelLayout, selectBackend, sliceBlock } from '../index';

beforeAll(async () => {
  await selectBackend({ requested: 'cpu' });
});

describe('labelLayout', () => {
  it('places blocks in declaration order', () => {
    const layout = labelLayout({ digit: 10, isOdd: 1 });
    expect(layout.width).toBe(11);
    expect(labelBlock(layout, 'digit')).toEqual({ name: 'digit', start: 0, width: 10 });
    expect(labelBlock(layout, 'isOdd')).toEqual({ name: 'isOdd', start: 10, width: 1 });
  });

  it('rejects bad widths and unknown blocks by name', () => {
    expect(() => labelLayout({ digit: 0 })).toThrow('label layout block "digit" width: expected an integer >= 1, got 0');
    expect(() => labelLayout({})).toThrow(/at least one block/);
    expect(() => labelBlock(labelLayout({ digit: 10, isOdd: 1 }), 'parity')).toThrow(
      'label block "parity" is not in the layout (blocks: digit:10, isOdd:1)',
    );
  });

  it('slices a block and names both widths on a mismatch', () => {
    const layout = labelLayout({ a: 2, b: 1 });
    const labels = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(sliceBlock(labels, layout, 'b').arraySync()).toEqual([[3], [6]]);
    expect(sliceBlock(labels, layout, 'a').arraySync()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    const narrow = tf.tensor2d([[1, 2]]);
    expect(() => sliceBlock(narrow, layout, 'a')).toThrow('labels: expected shape [batch, 3] for layout {a: 2, b: 1}, got [1, 2]');
    tf.dispose([labels, narrow]);
  });
});
