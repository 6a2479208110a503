import { LosslabError, requireInteger } from '@losslab/runtime';

/**
 * `values[i] / divideBy` as float32: the quotient is computed in double precision and rounded
 * once when stored, so `scaleToFloat32(bytes, 255)` is bit-identical to `scalePixels(bytes)`.
 */
export function scaleToFloat32(values: ArrayLike<number>, divideBy: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! / divideBy;
  return out;
}

/**
 * Scales 8-bit pixels to floats in [0, 1]: `x / 255`, computed in double and stored as float32
 * (the same values as `readIdxSplit` with `scale: { divideBy: 255 }`).
 *
 * @example
 * scalePixels(Uint8Array.of(0, 51, 255)); // Float32Array [0, 0.2, 1]
 */
export function scalePixels(images: ArrayLike<number>): Float32Array {
  return scaleToFloat32(images, 255);
}

/**
 * One-hot rows: `out[i × numClasses + classIds[i]] = 1`, shape [classIds.length × numClasses].
 * A class id that is not an integer in [0, numClasses) is an error naming its index.
 *
 * @example
 * oneHot(Uint8Array.of(2, 0), 3); // Float32Array [0, 0, 1,  1, 0, 0]
 */
export function oneHot(classIds: ArrayLike<number>, numClasses: number): Float32Array {
  requireInteger('numClasses', numClasses, 1);
  const out = new Float32Array(classIds.length * numClasses);
  for (let i = 0; i < classIds.length; i++) {
    const id = classIds[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= numClasses) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `classIds[${i}]: expected an integer class id in [0, ${numClasses}), got ${id}`,
      );
    }
    out[i * numClasses + id] = 1;
  }
  return out;
}
