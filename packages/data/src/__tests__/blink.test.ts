import { describe, expect, it } from 'vitest';
import { generateBlinkStream, resolveBlinkStreamConfig, type BlinkStream } from '../index.js';

const positiveRate = (stream: BlinkStream): number => stream.label.reduce((n, v) => n + v, 0) / stream.label.length;

describe('generateBlinkStream statistics follow the configuration (SYNTHETIC data)', () => {
  // 30-minute streams: 54,000 frames, a few hundred blinks each.
  it.each([
    [0.02, 1],
    [0.05, 2],
    [0.05, 3],
    [0.1, 4],
  ])('positive rate %s is hit within ±1 percentage point (seed %s)', (rate, seed) => {
    const stream = generateBlinkStream({ durationSeconds: 1800, positiveRate: rate }, seed);
    expect(stream.ear.length).toBe(54_000);
    expect(Math.abs(positiveRate(stream) - rate)).toBeLessThan(0.01);
  });

  it('blinks last 3–12 frames, reach their depth in 0.05–0.15, and are exactly the labelled frames', () => {
    const stream = generateBlinkStream({ durationSeconds: 600 }, 5);
    expect(stream.blinks.length).toBeGreaterThan(50);
    const expectedLabel = new Uint8Array(stream.ear.length);
    for (const blink of stream.blinks) {
      expect(blink.length).toBeGreaterThanOrEqual(3);
      expect(blink.length).toBeLessThanOrEqual(12);
      expect(blink.depth).toBeGreaterThanOrEqual(0.05);
      expect(blink.depth).toBeLessThanOrEqual(0.15);
      const inside = stream.ear.subarray(blink.start, blink.start + blink.length);
      expect(Math.min(...inside)).toBeCloseTo(blink.depth, 6);
      // On average a blink sits well below the subject's lowest open-eye level (baseline − drift).
      const open = stream.subject.synthetic!.baselineEar - stream.subject.synthetic!.driftAmplitude;
      const mean = inside.reduce((a, b) => a + b, 0) / inside.length;
      expect(mean).toBeLessThan(open - 0.02);
      expectedLabel.fill(1, blink.start, blink.start + blink.length);
    }
    expect(stream.label).toEqual(expectedLabel);
  });

  it('blink rate per minute stays in the configured range and follows a fixed rate', () => {
    for (const seed of [6, 7]) {
      const stream = generateBlinkStream({ durationSeconds: 600 }, seed);
      const perMinute = stream.blinks.length / 10;
      expect(perMinute).toBeGreaterThan(9);
      expect(perMinute).toBeLessThan(21);
      expect(stream.subject.synthetic!.blinksPerMinute).toBeGreaterThanOrEqual(10);
      expect(stream.subject.synthetic!.blinksPerMinute).toBeLessThanOrEqual(20);
    }
    // 12 blinks/min at 5 % of 1800 frames/min ⇒ mean length 7.5 frames.
    const fixed = generateBlinkStream({ durationSeconds: 600, blinksPerMinute: [12, 12] }, 8);
    expect(fixed.subject.synthetic!.meanBlinkFrames).toBeCloseTo(7.5, 10);
    expect(fixed.blinks.length / 10).toBeCloseTo(12, 0);
    const meanLength = fixed.blinks.reduce((n, b) => n + b.length, 0) / fixed.blinks.length;
    expect(Math.abs(meanLength - 7.5)).toBeLessThan(0.3);
  });

  it('the open-eye baseline lies in 0.25–0.35 across subjects', () => {
    for (const seed of [10, 11, 12, 13]) {
      const stream = generateBlinkStream({ durationSeconds: 60 }, seed);
      const sorted = Float32Array.from(stream.ear).sort();
      const median = sorted[Math.floor(sorted.length / 2)]!;
      expect(median).toBeGreaterThan(0.22);
      expect(median).toBeLessThan(0.38);
      expect(Math.abs(median - stream.subject.synthetic!.baselineEar)).toBeLessThan(0.03);
    }
  });

  it('hard negatives are labelled 0, never touch a blink, and have their shapes', () => {
    const stream = generateBlinkStream({ durationSeconds: 600 }, 9);
    const kinds = new Set(stream.hardNegatives.map((h) => h.kind));
    expect(kinds).toEqual(new Set(['squint', 'partialClosure', 'glitch']));
    for (const event of stream.hardNegatives) {
      const labels = stream.label.subarray(Math.max(0, event.start - 1), event.start + event.length + 1);
      expect(labels.every((v) => v === 0)).toBe(true);
      const values = Array.from(stream.ear.subarray(event.start, event.start + event.length));
      if (event.kind === 'glitch') {
        expect(event.length).toBe(1);
        expect(values[0]).toBeCloseTo(event.depth, 6);
        expect(event.depth < 0.12 || event.depth > 0.4).toBe(true);
      } else if (event.kind === 'squint') {
        expect(event.length).toBeGreaterThanOrEqual(15);
        expect(event.depth).toBeGreaterThanOrEqual(0.18);
        expect(event.depth).toBeLessThanOrEqual(0.22);
        // The held middle of a squint sits at its depth, up to noise.
        const middle = values.slice(6, -6);
        const mean = middle.reduce((a, b) => a + b, 0) / middle.length;
        expect(Math.abs(mean - event.depth)).toBeLessThan(0.02);
      } else {
        expect(event.depth).toBeGreaterThanOrEqual(0.16);
        expect(Math.min(...values)).toBeGreaterThan(0.16 - 0.06);
      }
    }
  });

  it('same seed ⇒ identical stream; another seed ⇒ another stream', () => {
    const a = generateBlinkStream({ durationSeconds: 30 }, 21);
    const b = generateBlinkStream({ durationSeconds: 30 }, 21);
    const c = generateBlinkStream({ durationSeconds: 30 }, 22);
    expect(b).toEqual(a);
    expect(c.ear).not.toEqual(a.ear);
    expect(c.subject.synthetic!.baselineEar).not.toBe(a.subject.synthetic!.baselineEar);
  });

  it('turning off glitches leaves blinks and noise unchanged (independent random streams)', () => {
    const a = generateBlinkStream({ durationSeconds: 60 }, 3);
    const b = generateBlinkStream({ durationSeconds: 60, glitchesPerMinute: 0 }, 3);
    expect(b.blinks).toEqual(a.blinks);
    expect(b.hardNegatives.some((h) => h.kind === 'glitch')).toBe(false);
  });
});

describe('blink config validation', () => {
  it('names unknown fields, bad ranges and unreachable rates', () => {
    expect(() => resolveBlinkStreamConfig({ blinkRate: 3 } as never)).toThrow(
      /blink config: unknown field "blinkRate"/,
    );
    expect(() => resolveBlinkStreamConfig({ blinkFrames: [12, 3] })).toThrow(
      'blink config blinkFrames: expected [min, max] with integers 1 <= min <= max, got [12,3]',
    );
    expect(() => resolveBlinkStreamConfig({ positiveRate: 0 })).toThrow(
      'blink config positiveRate: expected a number in (0, 0.5], got 0',
    );
    expect(() => resolveBlinkStreamConfig({ durationSeconds: -1 })).toThrow(
      'blink config durationSeconds: expected a positive number, got -1',
    );
    expect(() => resolveBlinkStreamConfig({ durationSeconds: 0.01 })).toThrow(
      'blink config durationSeconds: expected at least one frame at the given fps, got 0.01',
    );
    expect(() => resolveBlinkStreamConfig({ positiveRate: 0.3 })).toThrow(
      'blink config positiveRate: 0.3 needs 540 blink frames per minute, but blinksPerMinute [10, 20] × blinkFrames [3, 12] allows 30–240',
    );
    expect(() => generateBlinkStream({}, -1)).toThrow('seed: expected an integer >= 0, got -1');
  });
});
