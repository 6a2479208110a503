import { describe, expect, it } from 'vitest';
import {
  BLINK_FEATURES,
  blinkFingerprint,
  blinkSplits,
  blinkWindows,
  defaultBlinkSplitConfig,
  generateBlinkStream,
  type BlinkStream,
} from '../index.js';

/** A hand-made 6-row stream with one 2-frame blink at rows 2–3. */
const tinyStream = (): BlinkStream => ({
  fps: 30,
  frame: Int32Array.of(0, 1, 2, 3, 4, 5),
  ear: Float32Array.of(0.3, 0.25, 0.1, 0.15, 0.28, 0.3),
  label: Uint8Array.of(0, 0, 1, 1, 0, 0),
  blinks: [{ start: 2, length: 2, depth: 0.1 }],
  hardNegatives: [],
  subject: { id: 'tiny' },
});

const f = Math.fround;

describe('blinkWindows', () => {
  it('labels each window by its centre row and stores [ear, earDelta] per row', () => {
    expect(BLINK_FEATURES).toEqual(['ear', 'earDelta']);
    const ds = blinkWindows(tinyStream(), { windowLength: 3 });
    expect(ds.size).toBe(4);
    expect(ds.featureShape).toEqual([3, 2]);
    expect(ds.labelWidth).toBe(2);
    // Centres are rows 1, 2, 3, 4 with labels 0, 1, 1, 0.
    expect(Array.from(ds.labels)).toEqual([1, 0, 0, 1, 0, 1, 1, 0]);
    // Window 0 = rows 0..2; deltas use the previous row (0 for the stream's first row).
    expect(Array.from(ds.features.subarray(0, 6))).toEqual([
      f(0.3),
      0,
      f(0.25),
      f(f(0.25) - f(0.3)),
      f(0.1),
      f(f(0.1) - f(0.25)),
    ]);
    // Window 3 = rows 3..5.
    expect(Array.from(ds.features.subarray(18, 24))).toEqual([
      f(0.15),
      f(f(0.15) - f(0.1)),
      f(0.28),
      f(f(0.28) - f(0.15)),
      f(0.3),
      f(f(0.3) - f(0.28)),
    ]);
  });

  it('uses ⌊windowLength / 2⌋ as the centre of an even window, and honours stride', () => {
    const even = blinkWindows(tinyStream(), { windowLength: 2 });
    // Centres are rows 1..5: labels 0, 1, 1, 0, 0.
    expect(Array.from(even.labels).filter((_, i) => i % 2 === 1)).toEqual([0, 1, 1, 0, 0]);
    const strided = blinkWindows(tinyStream(), { windowLength: 3, stride: 2 });
    // Starts 0 and 2: centres rows 1 and 3.
    expect(strided.size).toBe(2);
    expect(Array.from(strided.labels)).toEqual([1, 0, 0, 1]);
    expect(strided.features[6]).toBe(f(0.1));
  });

  it('rejects a stream shorter than a window, naming it', () => {
    expect(() => blinkWindows(tinyStream(), { windowLength: 7 })).toThrow(
      'windowLength: 7 is longer than blink stream "tiny" (6 rows)',
    );
    expect(() => blinkWindows(tinyStream(), { windowLength: 3, stride: 0 })).toThrow(
      'stride: expected an integer >= 1, got 0',
    );
  });

  it('window labels of a synthetic stream match its frame labels', () => {
    const stream = generateBlinkStream({ durationSeconds: 60 }, 4);
    const ds = blinkWindows(stream, { windowLength: 15 });
    expect(ds.size).toBe(1800 - 14);
    for (let k = 0; k < ds.size; k++) {
      expect(ds.labels[2 * k + 1]).toBe(stream.label[k + 7]);
      expect(ds.labels[2 * k]! + ds.labels[2 * k + 1]!).toBe(1);
    }
  });
});

describe('blinkSplits (SYNTHETIC)', () => {
  const config = { durationSeconds: 20, subjects: { train: 3, validation: 2, test: 2 } } as const;

  it('builds each split from its own subjects with the configured windows', () => {
    const splits = blinkSplits(config, 42);
    const windowsPerSubject = 600 - defaultBlinkSplitConfig.windowLength + 1;
    expect(splits.train.size).toBe(3 * windowsPerSubject);
    expect(splits.validation.size).toBe(2 * windowsPerSubject);
    expect(splits.test.size).toBe(2 * windowsPerSubject);
    expect(splits.train.featureShape).toEqual([15, 2]);
    const all = [...splits.subjects.train, ...splits.subjects.validation, ...splits.subjects.test];
    expect(all.map((s) => s.id)).toEqual([
      'train-0',
      'train-1',
      'train-2',
      'validation-0',
      'validation-1',
      'test-0',
      'test-1',
    ]);
    // Different simulated subjects: distinct seeds and baselines.
    expect(new Set(all.map((s) => s.synthetic!.seed)).size).toBe(7);
    expect(new Set(all.map((s) => s.synthetic!.baselineEar)).size).toBe(7);
  });

  it('is reproducible and fingerprinted by config and seed', () => {
    const a = blinkSplits(config, 42);
    const b = blinkSplits(config, 42);
    expect(b.train.features).toEqual(a.train.features);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(a.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(blinkFingerprint(config, 42)).toBe(a.fingerprint);
    // Spelling out a default does not change the data, so it does not change the fingerprint.
    expect(blinkFingerprint({ ...config, fps: 30, stride: 1 }, 42)).toBe(a.fingerprint);
    expect(blinkFingerprint(config, 43)).not.toBe(a.fingerprint);
    expect(blinkFingerprint({ ...config, positiveRate: 0.06 }, 42)).not.toBe(a.fingerprint);
    const c = blinkSplits(config, 43);
    expect(c.train.features).not.toEqual(a.train.features);
  });

  it('rejects bad split settings by name', () => {
    expect(() => blinkSplits({ ...config, subjects: { train: 0, validation: 1, test: 1 } }, 1)).toThrow(
      'blink config subjects.train: expected a positive integer, got 0',
    );
    expect(() => blinkSplits({ ...config, windowLength: 0, stride: 1.5 }, 1)).toThrow(
      'blink config windowLength: expected a positive integer, got 0; blink config stride: expected a positive integer, got 1.5',
    );
    expect(() =>
      blinkSplits({ ...config, subjects: { train: 1, validation: 1, test: 1, holdout: 1 } } as never, 1),
    ).toThrow('blink config subjects.holdout: unknown key (expected one of: train, validation, test)');
    expect(() => blinkSplits({ ...config, window: 15 } as never, 1)).toThrow(
      /blink config: unknown field "window" \(known: .*windowLength, stride, subjects\)/,
    );
  });
});
