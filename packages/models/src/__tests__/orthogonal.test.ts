import { describe, expect, it } from 'vitest';
import { orthogonalMatrix } from '../index.js';

/** Gram matrix of the rows (rows ≤ cols) or of the columns (rows > cols), in float64. */
function gram(m: Float32Array, rows: number, cols: number): number[][] {
  const byRows = rows <= cols;
  const n = byRows ? rows : cols;
  const len = byRows ? cols : rows;
  const at = (vector: number, k: number): number => (byRows ? m[vector * cols + k]! : m[k * cols + vector]!);
  return Array.from({ length: n }, (_, a) =>
    Array.from({ length: n }, (_, b) => {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += at(a, k) * at(b, k);
      return dot;
    }),
  );
}

describe('orthogonalMatrix', () => {
  it.each([
    [3, 12],
    [12, 3],
    [5, 5],
    [1, 4],
  ])('[%i, %i] has orthonormal rows or columns', (rows, cols) => {
    const m = orthogonalMatrix(rows, cols, 17);
    expect(m.length).toBe(rows * cols);
    gram(m, rows, cols).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 6)));
  });

  it('scales by gain', () => {
    const plain = orthogonalMatrix(4, 4, 3);
    const scaled = orthogonalMatrix(4, 4, 3, 2);
    scaled.forEach((v, i) => expect(v).toBeCloseTo(2 * plain[i]!, 6));
  });

  it('is a pure function of the seed', () => {
    expect(orthogonalMatrix(6, 24, 99)).toEqual(orthogonalMatrix(6, 24, 99));
    expect(orthogonalMatrix(6, 24, 99)).not.toEqual(orthogonalMatrix(6, 24, 100));
  });

  it('a 1×1 orthogonal matrix is +1 (positive diagonal of R)', () => {
    expect(Array.from(orthogonalMatrix(1, 1, 5))).toEqual([1]);
  });

  it('rejects bad sizes by name', () => {
    expect(() => orthogonalMatrix(0, 3, 1)).toThrow('rows: expected an integer >= 1, got 0');
    expect(() => orthogonalMatrix(2, 1.5, 1)).toThrow('cols: expected an integer >= 1, got 1.5');
  });
});
