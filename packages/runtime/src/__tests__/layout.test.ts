import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoTensorLeak, labelBlock, labelLayout, selectBackend, sliceBlock, type BackendName } from '../index.js';

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
    expect(() => labelLayout({ digit: 0 })).toThrow(
      'label layout block "digit" width: expected an integer >= 1, got 0',
    );
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
    expect(() => sliceBlock(narrow, layout, 'a')).toThrow(
      'labels: expected shape [batch, 3] for layout {a: 2, b: 1}, got [1, 2]',
    );
    tf.dispose([labels, narrow]);
  });
});

// Five blocks of different widths; label value = 100 · row + column, so every column is distinct
// and an off-by-one in any block's start or width selects (or shapes) the wrong values.
const wide = labelLayout({ first: 3, flag: 1, middle: 4, pair: 2, last: 5 });
const wideLabels = Array.from({ length: 3 }, (_, row) => Array.from({ length: 15 }, (_, column) => 100 * row + column));
/** The expected columns, written out rather than derived from the layout under test. */
const columnsOf: Record<string, number[]> = {
  first: [0, 1, 2],
  flag: [3],
  middle: [4, 5, 6, 7],
  pair: [8, 9],
  last: [10, 11, 12, 13, 14],
};

describe.each(['cpu', 'wasm'] satisfies BackendName[])('sliceBlock on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend({ requested: backend });
  });

  it.each(['first', 'middle', 'last', 'flag', 'pair'])('selects exactly the columns of block "%s"', async (name) => {
    const columns = columnsOf[name]!;
    expect(labelBlock(wide, name)).toEqual({ name, start: columns[0], width: columns.length });
    const sliced = await expectNoTensorLeak(`sliceBlock ${name}`, () =>
      tf.tidy(() => sliceBlock(tf.tensor2d(wideLabels), wide, name).arraySync()),
    );
    expect(sliced).toEqual(wideLabels.map((row) => columns.map((c) => row[c])));
  });
});
