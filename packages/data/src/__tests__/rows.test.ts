import { describe, expect, it } from 'vitest';
import { isLosslabError } from '@losslab/runtime';
import { thrownBy } from '@losslab/test-utils';
import { checkRows, classCountsOf, selectRows, type LabelledRows } from '../index.js';

// 3 rows of 2 features: row r holds [2r, 2r + 1]; column w holds 10r.
const rows: LabelledRows = {
  features: Float32Array.of(0, 1, 2, 3, 4, 5),
  featureShape: [2],
  classIds: Int32Array.of(2, 0, 2),
  columns: { w: Float32Array.of(0, 10, 20) },
  size: 3,
};

describe('selectRows', () => {
  it('keeps the given rows in the given order, columns too, repeats allowed', () => {
    const picked = selectRows(rows, [2, 0, 2]);
    expect(picked.size).toBe(3);
    expect(picked.featureShape).toEqual([2]);
    expect(Array.from(picked.features)).toEqual([4, 5, 0, 1, 4, 5]);
    expect(Array.from(picked.classIds)).toEqual([2, 2, 2]);
    expect(Object.keys(picked.columns)).toEqual(['w']);
    expect(Array.from(picked.columns.w!)).toEqual([20, 0, 20]);
  });

  it('copies: changing the selection leaves the source alone', () => {
    const picked = selectRows(rows, [0]);
    picked.features[0] = 99;
    picked.columns.w![0] = 99;
    expect(rows.features[0]).toBe(0);
    expect(rows.columns.w![0]).toBe(0);
  });

  it('an empty selection gives 0 rows with the same shape and columns', () => {
    const none = selectRows(rows, []);
    expect([none.size, none.features.length, none.classIds.length, none.columns.w!.length]).toEqual([0, 0, 0, 0]);
    expect(none.featureShape).toEqual([2]);
  });

  it('names the position of an index out of range', () => {
    expect(() => selectRows(rows, [0, 3])).toThrow('indices[1]: expected an integer row in [0, 3), got 3');
    expect(() => selectRows(rows, [0.5])).toThrow('indices[0]: expected an integer row in [0, 3), got 0.5');
  });
});

describe('classCountsOf', () => {
  it('counts rows per class id, up to the largest id or to numClasses', () => {
    expect(classCountsOf(rows)).toEqual([1, 0, 2]);
    expect(classCountsOf(rows, 4)).toEqual([1, 0, 2, 0]);
    expect(classCountsOf(selectRows(rows, []))).toEqual([]);
  });

  it('the counts sum to size', () => {
    const many = selectRows(rows, [0, 1, 2, 1, 1, 0, 2]);
    const counts = classCountsOf(many, 5);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(many.size);
  });

  it('a class id >= numClasses names the row and the value', () => {
    const error = thrownBy(() => classCountsOf(rows, 2));
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(error.message).toBe('classIds[0]: expected a class id in [0, 2) for numClasses 2, got 2');
  });
});

describe('checkRows', () => {
  it('accepts consistent rows', () => {
    expect(() => checkRows(rows)).not.toThrow();
  });

  it.each<[string, LabelledRows, string]>([
    [
      'features',
      { ...rows, features: new Float32Array(5) },
      'train.features: expected 3 × 2 = 6 values for size 3 and featureShape [2], got 5',
    ],
    ['classIds', { ...rows, classIds: new Int32Array(2) }, 'train.classIds: expected 3 values (one per row), got 2'],
    [
      'a column',
      { ...rows, columns: { w: new Float32Array(4) } },
      'train.columns["w"]: expected 3 values (one per row), got 4',
    ],
  ])('a %s length that disagrees with size is a SHAPE_MISMATCH naming it', (_, bad, message) => {
    const error = thrownBy(() => checkRows(bad, 'train'));
    expect(isLosslabError(error, 'SHAPE_MISMATCH')).toBe(true);
    expect(error.message).toBe(message);
  });

  it('a negative class id names the row', () => {
    expect(() => checkRows({ ...rows, classIds: Int32Array.of(0, -1, 0) })).toThrow(
      'rows.classIds[1]: expected a class id >= 0, got -1',
    );
  });
});
