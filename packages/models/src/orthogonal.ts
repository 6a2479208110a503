import { createRng, LosslabError, requireInteger } from '@losslab/runtime';

/**
 * A seeded random orthogonal matrix, row-major `[rows, cols]`, the way Keras' `Orthogonal`
 * initialiser makes one: draw a Gaussian `[max(rows, cols), min(rows, cols)]` matrix, take its QR
 * decomposition with a positive diagonal in R, keep Q (transposed when rows < cols) times `gain`.
 * The result has orthonormal rows (rows ≤ cols) or orthonormal columns (rows ≥ cols).
 *
 * Computed in plain float64 JavaScript (Gram–Schmidt, applied twice for stability) from
 * `createRng(seed)`, so it is bit-identical on every backend. tfjs-layers' own `orthogonal`
 * initialiser cannot be used here: it calls chained tensor methods (`rMat.flatten()`), which this
 * setup does not register, and its QR runs on the backend.
 *
 * @example
 * const recurrent = orthogonalMatrix(8, 32, seed); // Float32Array of 8·32; R·Rᵀ = I₈
 */
export function orthogonalMatrix(rows: number, cols: number, seed: number, gain = 1): Float32Array {
  requireInteger('rows', rows);
  requireInteger('cols', cols);
  if (!Number.isFinite(gain)) throw new LosslabError('INVALID_ARGUMENT', `gain: expected a finite number, got ${gain}`);
  const rng = createRng(seed);
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // columns[j] is column j of the tall Gaussian matrix, in float64
  const columns: Float64Array[] = [];
  for (let j = 0; j < narrow; j++) columns.push(new Float64Array(tall));
  for (let i = 0; i < tall; i++) for (let j = 0; j < narrow; j++) columns[j]![i] = rng.normal();

  for (let j = 0; j < narrow; j++) {
    const v = columns[j]!;
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = columns[k]!;
        let dot = 0;
        for (let i = 0; i < tall; i++) dot += q[i]! * v[i]!;
        for (let i = 0; i < tall; i++) v[i] = v[i]! - dot * q[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < tall; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    // A Gaussian matrix is full rank with probability 1; guard anyway rather than divide by 0.
    if (!(norm > 1e-12))
      throw new LosslabError('INVALID_ARGUMENT', `orthogonalMatrix: degenerate draw for seed ${seed}`);
    for (let i = 0; i < tall; i++) v[i] = v[i]! / norm;
  }

  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Q is [tall, narrow]; when rows < cols the output is Qᵀ.
      const value = rows >= cols ? columns[c]![r]! : columns[r]![c]!;
      out[r * cols + c] = gain * value;
    }
  }
  return out;
}
