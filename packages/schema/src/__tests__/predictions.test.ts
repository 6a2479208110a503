import { describe, expect, it } from 'vitest';
import { decodePredictions, encodePredictions, type RecordedPredictions } from '../index.js';

const recorded = (size: number, classes: number): RecordedPredictions => ({
  format: 'losslab.predictions/1',
  path: 'predictions.bin',
  sha256: '',
  split: 'test',
  size,
  classes,
});

describe('predictions file', () => {
  const predictions = {
    index: Uint32Array.from([0, 1, 2]),
    truth: Int32Array.from([1, 0, 1]),
    probabilities: Float32Array.from([0.25, 0.75, 0.5, 0.5, 0.125, 0.875]),
    classes: 2,
  };

  it('lays out indices, true classes and probabilities little-endian, and decodes them back', () => {
    const bytes = encodePredictions(predictions);
    expect(bytes.byteLength).toBe(3 * 4 + 3 * 4 + 6 * 4);
    // index 1 at byte 4, true class 1 of example 0 at byte 12, first probability 0.25 at byte 24
    expect([...bytes.subarray(4, 8)]).toEqual([1, 0, 0, 0]);
    expect([...bytes.subarray(12, 16)]).toEqual([1, 0, 0, 0]);
    expect(new DataView(bytes.buffer).getFloat32(24, true)).toBe(0.25);
    const decoded = decodePredictions(bytes, recorded(3, 2), 'p.bin');
    expect([...decoded.index]).toEqual([0, 1, 2]);
    expect([...decoded.truth]).toEqual([1, 0, 1]);
    expect([...decoded.probabilities]).toEqual([0.25, 0.75, 0.5, 0.5, 0.125, 0.875]);
  });

  it('refuses a file whose length, true classes or probabilities do not fit the record', () => {
    const bytes = encodePredictions(predictions);
    expect(() => decodePredictions(bytes, recorded(3, 3), 'p.bin')).toThrow(
      'p.bin: expected 60 bytes (3 examples × 3 classes), got 48',
    );
    const badClass = bytes.slice();
    new DataView(badClass.buffer).setInt32(12, 2, true);
    expect(() => decodePredictions(badClass, recorded(3, 2), 'p.bin')).toThrow(
      'example 0: true class 2 is not below 2',
    );
    const notFinite = bytes.slice();
    new DataView(notFinite.buffer).setFloat32(28, Number.NaN, true);
    expect(() => decodePredictions(notFinite, recorded(3, 2), 'p.bin')).toThrow('example 0: probability NaN');
  });
});
