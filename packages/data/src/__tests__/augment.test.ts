import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '@losslab/test-utils';
import { arrayDataset, batchAugmenter, batches, channelStats, standardizeRows, type LabelledRows } from '../index.js';

/** 2 images 3×4 with 2 channels: value = 100·image + 10·(y·4 + x) + channel. */
const image = (n: number) =>
  Float32Array.from({ length: 3 * 4 * 2 }, (_, i) => 100 * n + 10 * Math.floor(i / 2) + (i % 2));
const twoImages = Float32Array.from([...image(0), ...image(1)]);
const shape = [3, 4, 2];
const pixel = (values: Float32Array, n: number, y: number, x: number, c: number) =>
  values[n * 24 + (y * 4 + x) * 2 + c]!;

describe('batchAugmenter', () => {
  beforeAll(() => useBackend('cpu'));

  it('is a function of (seed, epoch, batch): the same triple gives the same values, another epoch or seed others', () => {
    const steps = [
      { kind: 'horizontalFlip' as const },
      { kind: 'randomCrop' as const, padding: 1 },
      { kind: 'gaussianNoise' as const, stddev: 0.1 },
    ];
    const augment = batchAugmenter(steps, 7, shape);
    const again = batchAugmenter(steps, 7, shape);
    expect(again(twoImages, 3, 0)).toEqual(augment(twoImages, 3, 0));
    expect(augment(twoImages, 4, 0)).not.toEqual(augment(twoImages, 3, 0));
    expect(augment(twoImages, 3, 1)).not.toEqual(augment(twoImages, 3, 0));
    expect(batchAugmenter(steps, 8, shape)(twoImages, 3, 0)).not.toEqual(augment(twoImages, 3, 0));
    // the input is never changed in place
    expect(twoImages).toEqual(Float32Array.from([...image(0), ...image(1)]));
  });

  it('horizontalFlip mirrors the width axis of every channel (probability 1), and leaves it (probability 0)', () => {
    const flipped = batchAugmenter([{ kind: 'horizontalFlip', probability: 1 }], 0, shape)(twoImages, 1, 0);
    for (const n of [0, 1])
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 4; x++)
          for (const c of [0, 1]) expect(pixel(flipped, n, y, x, c)).toBe(pixel(twoImages, n, y, 3 - x, c));
    expect(batchAugmenter([{ kind: 'horizontalFlip', probability: 0 }], 0, shape)(twoImages, 1, 0)).toEqual(twoImages);
  });

  it('randomCrop is a shift by at most ±padding with zeros where the padding shows, and draws several shifts', () => {
    const shifts = new Set<string>();
    for (let epoch = 1; epoch <= 20; epoch++) {
      const out = batchAugmenter([{ kind: 'randomCrop', padding: 1 }], 3, shape)(twoImages, epoch, 0);
      for (const n of [0, 1]) {
        // recover the shift from a pixel that stays inside for every shift: (1, 1), channel 0
        const source = (pixel(out, n, 1, 1, 0) - 100 * n) / 10;
        const dy = Math.floor(source / 4) - 1;
        const dx = (source % 4) - 1;
        expect(Math.abs(dy) <= 1 && Math.abs(dx) <= 1).toBe(true);
        shifts.add(`${dy},${dx}`);
        for (let y = 0; y < 3; y++)
          for (let x = 0; x < 4; x++) {
            const [sy, sx] = [y + dy, x + dx];
            const inside = sy >= 0 && sy < 3 && sx >= 0 && sx < 4;
            for (const c of [0, 1]) expect(pixel(out, n, y, x, c)).toBe(inside ? pixel(twoImages, n, sy, sx, c) : 0);
          }
      }
    }
    expect(shifts.size).toBeGreaterThan(4);
  });

  it('gaussianNoise adds noise of the declared spread to any feature shape', () => {
    const zeros = new Float32Array(20_000);
    const noisy = batchAugmenter([{ kind: 'gaussianNoise', stddev: 0.5 }], 1, [100])(zeros, 1, 0);
    const mean = noisy.reduce((a, b) => a + b, 0) / noisy.length;
    const std = Math.sqrt(noisy.reduce((a, b) => a + (b - mean) ** 2, 0) / noisy.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeCloseTo(0.5, 1);
  });

  it('refuses image steps on features that are not images, naming the step', () => {
    expect(() => batchAugmenter([{ kind: 'gaussianNoise', stddev: 1 }, { kind: 'horizontalFlip' }], 0, [5])).toThrow(
      'train.augment[1] (horizontalFlip): needs image features shaped [height, width] or [height, width, channels], got [5]',
    );
  });

  it('batches() applies it to the features only, and leaks no tensor', () => {
    const data = arrayDataset({
      features: twoImages,
      featureShape: shape,
      labels: Float32Array.of(0, 1),
      labelWidth: 1,
    });
    const plan = { batchSize: 2, shuffle: false, remainder: 'keep' as const, seed: 0 };
    const augment = batchAugmenter([{ kind: 'horizontalFlip', probability: 1 }], 0, shape);
    const before = tf.memory().numTensors;
    for (const batch of batches(data, plan, 1, augment)) {
      expect(Array.from(batch.x.dataSync())).toEqual(Array.from(augment(twoImages, 1, 0)));
      expect(Array.from(batch.y.dataSync())).toEqual([0, 1]);
      tf.dispose([batch.x, batch.y]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('channelStats and standardizeRows', () => {
  // 2 rows of 2 positions × 2 channels: channel 0 holds 1, 3, 5, 7; channel 1 holds 10 four times.
  const rows: LabelledRows = {
    features: Float32Array.of(1, 10, 3, 10, 5, 10, 7, 10),
    featureShape: [2, 2],
    classIds: Int32Array.of(0, 1),
    columns: {},
    size: 2,
  };

  it('measures the mean and population standard deviation of each channel (the last axis)', () => {
    // channel 0: mean 4, variance ((9 + 1 + 1 + 9) / 4) = 5; channel 1: constant
    expect(channelStats(rows)).toEqual({ mean: [4, 10], std: [Math.sqrt(5), 0] });
  });

  it('applies given statistics; a constant channel is only centred', () => {
    const out = standardizeRows(rows, { mean: [4, 10], std: [2, 0] });
    expect(Array.from(out.features)).toEqual([-1.5, 0, -0.5, 0, 0.5, 0, 1.5, 0]);
    expect(out.classIds).toBe(rows.classIds);
    expect(() => standardizeRows(rows, { mean: [0], std: [1] })).toThrow(
      'stats: 1 channel means for rows with 2 channels',
    );
  });
});
