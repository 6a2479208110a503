import { describe, expect, it } from 'vitest';
import { isLosslabError, labelLayout } from '@losslab/runtime';
import { thrownBy } from '@losslab/test-utils';
import { arrayDataset, classFlagBlock, columnBlock, combineLabels, oneHotBlock, type LabelledRows } from '../index.js';

const rows: LabelledRows = {
  features: Float32Array.of(0.1, 0.2, 0.3),
  featureShape: [1],
  classIds: Int32Array.of(7, 2, 1),
  columns: { mask: Float32Array.of(1, 0, 1), condition: Float32Array.of(0.5, 0.25, 2) },
  size: 3,
};

describe('oneHotBlock', () => {
  it('sets column classIds[r] of row r', () => {
    expect(Array.from(oneHotBlock(rows, 8))).toEqual(
      [
        [0, 0, 0, 0, 0, 0, 0, 1],
        [0, 0, 1, 0, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0, 0],
      ].flat(),
    );
  });

  it('every row sums to 1 and its argmax is the class id', () => {
    const block = oneHotBlock(rows, 10);
    for (let r = 0; r < rows.size; r++) {
      const row = Array.from(block.subarray(10 * r, 10 * r + 10));
      expect(row.reduce((a, b) => a + b, 0)).toBe(1);
      expect(row.indexOf(1)).toBe(rows.classIds[r]);
    }
  });

  it('a class id >= numClasses names the row and the value', () => {
    const error = thrownBy(() => oneHotBlock(rows, 5));
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error.message).toBe('classIds[0]: expected an integer class id in [0, 5), got 7');
  });
});

describe('classFlagBlock', () => {
  it('is 1 for rows whose class is in the set (is-odd)', () => {
    expect(Array.from(classFlagBlock(rows, [1, 3, 5, 7, 9]))).toEqual([1, 0, 1]);
    expect(Array.from(classFlagBlock(rows, [2]))).toEqual([0, 1, 0]);
  });

  it('a set and its complement flag every row exactly once', () => {
    const odd = classFlagBlock(rows, [1, 3, 5, 7, 9]);
    const even = classFlagBlock(rows, [0, 2, 4, 6, 8]);
    expect(Array.from(odd, (v, r) => v + even[r]!)).toEqual([1, 1, 1]);
  });

  it('rejects an empty, repeated or negative class list by position', () => {
    expect(() => classFlagBlock(rows, [])).toThrow('classes: expected an array of at least 1 class id, got []');
    expect(() => classFlagBlock(rows, [1, 1])).toThrow('classes[1]: class 1 is listed twice (also at classes[0])');
    expect(() => classFlagBlock(rows, [-3])).toThrow('classes[0]: expected an integer >= 0, got -3');
  });
});

describe('columnBlock', () => {
  it('copies an extra column', () => {
    const block = columnBlock(rows, 'condition');
    expect(Array.from(block)).toEqual([0.5, 0.25, 2]);
    block[0] = 9;
    expect(rows.columns.condition![0]).toBe(0.5);
  });

  it('an unknown column lists the available ones', () => {
    expect(() => columnBlock(rows, 'weight')).toThrow(
      'column: "weight" is not a column of the rows (columns: "mask", "condition")',
    );
    expect(() => columnBlock({ ...rows, columns: {} }, 'mask')).toThrow(
      'column: "mask" is not a column of the rows (the rows have no extra columns)',
    );
  });
});

describe('blocks into a dataset', () => {
  it('combineLabels + arrayDataset give [digit | isOdd | mask] rows', () => {
    const layout = labelLayout({ digit: 8, isOdd: 1, mask: 1 });
    const labels = combineLabels(
      layout,
      { digit: oneHotBlock(rows, 8), isOdd: classFlagBlock(rows, [1, 3, 5, 7]), mask: columnBlock(rows, 'mask') },
      rows.size,
    );
    const dataset = arrayDataset({
      features: rows.features,
      featureShape: rows.featureShape,
      labels,
      labelWidth: layout.width,
    });
    expect(dataset.size).toBe(3);
    expect(Array.from(dataset.labels.subarray(0, 10))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(dataset.labels.subarray(10, 20))).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  });
});
