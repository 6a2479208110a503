import { LosslabError, createRng, deriveSeed, requireInteger, type Rng } from '@losslab/runtime';
import { BlinkStreamData, formatErrors } from '@losslab/schema';

/**
 * SYNTHETIC eye-aspect-ratio (EAR) streams for the blink experiment.
 *
 * The EAR (Soukupová & Čech 2016, "Real-Time Eye Blink Detection using Facial Landmarks") is the
 * ratio of the eye's vertical to horizontal landmark distances: ≈0.25–0.35 for an open eye, near
 * 0 when closed. The generator simulates one subject per seed from these published facts: an
 * open-eye baseline with landmark noise and slow drift; blinks of 100–400 ms (3–12 frames at 30
 * frames/s) dipping to 0.05–0.15 and recovering, 10–20 per minute; and hard negatives that are
 * not blinks: squints (long moderate dips), partial closures (blink-like but shallow) and
 * single-frame landmark glitches. None of this is recorded data.
 */

/** An inclusive numeric range `[min, max]`; a value is drawn uniformly from it. */
export type Range = readonly [min: number, max: number];

/** Parameters of the SYNTHETIC blink stream generator (see {@link defaultBlinkStreamConfig}). */
export interface BlinkStreamConfig {
  /** Frames per second. */
  readonly fps: number;
  /** Length of each simulated subject's recording, in seconds. */
  readonly durationSeconds: number;
  /**
   * Target fraction of frames labelled blink. Each subject draws a blink rate from
   * `blinksPerMinute` and a mean blink length so that rate × mean length = positiveRate × fps × 60.
   */
  readonly positiveRate: number;
  /** Blinks per minute; a subject's rate is drawn from the part of this range compatible with positiveRate. */
  readonly blinksPerMinute: Range;
  /** Blink length in frames (integers; 3–12 frames = 100–400 ms at 30 fps). */
  readonly blinkFrames: Range;
  /** EAR at the deepest frame of a blink. */
  readonly blinkMinEar: Range;
  /** A subject's open-eye EAR. */
  readonly baselineEar: Range;
  /** Standard deviation of the per-frame Gaussian landmark noise, drawn per subject. */
  readonly noiseStd: Range;
  /** Amplitude of the slow sinusoidal drift of the baseline (head pose, lighting), per subject. */
  readonly driftAmplitude: Range;
  /** Period of that drift, in seconds. */
  readonly driftPeriodSeconds: Range;
  /** Hard negative: squints per minute, each a long moderate dip. */
  readonly squintsPerMinute: number;
  readonly squintFrames: Range;
  readonly squintMinEar: Range;
  /** Hard negative: partial closures per minute, blink-shaped but shallower than any blink. */
  readonly partialClosuresPerMinute: number;
  readonly partialClosureFrames: Range;
  readonly partialClosureMinEar: Range;
  /** Hard negative: single-frame landmark glitches per minute, half drops and half spikes. */
  readonly glitchesPerMinute: number;
  readonly glitchDropEar: Range;
  readonly glitchSpikeEar: Range;
}

/**
 * Defaults for {@link BlinkStreamConfig}: 30 fps, 2-minute subjects, 5 % blink frames, 10–20
 * blinks/min of 3–12 frames reaching EAR 0.05–0.15, baseline 0.25–0.35, and a few hard negatives
 * per minute (squints to 0.18–0.22 over 15–45 frames, partial closures to 0.16–0.22, glitches).
 */
export const defaultBlinkStreamConfig: BlinkStreamConfig = Object.freeze({
  fps: 30,
  durationSeconds: 120,
  positiveRate: 0.05,
  blinksPerMinute: [10, 20],
  blinkFrames: [3, 12],
  blinkMinEar: [0.05, 0.15],
  baselineEar: [0.25, 0.35],
  noiseStd: [0.004, 0.012],
  driftAmplitude: [0.005, 0.02],
  driftPeriodSeconds: [20, 90],
  squintsPerMinute: 1.5,
  squintFrames: [15, 45],
  squintMinEar: [0.18, 0.22],
  partialClosuresPerMinute: 2,
  partialClosureFrames: [3, 8],
  partialClosureMinEar: [0.16, 0.22],
  glitchesPerMinute: 3,
  glitchDropEar: [0.02, 0.12],
  glitchSpikeEar: [0.4, 0.55],
} as const satisfies BlinkStreamConfig);

/** A blink: rows `start … start + length − 1` are labelled 1; `depth` is the EAR at its deepest frame. */
export interface BlinkEvent {
  readonly start: number;
  readonly length: number;
  readonly depth: number;
}

/** A labelled-0 event that looks somewhat like a blink. */
export interface HardNegativeEvent {
  readonly kind: 'squint' | 'partialClosure' | 'glitch';
  readonly start: number;
  readonly length: number;
  /** The EAR the event moves towards (a glitch's replacement value). */
  readonly depth: number;
}

/** The per-subject values a SYNTHETIC stream was drawn with. */
export interface SyntheticSubject {
  readonly seed: number;
  readonly baselineEar: number;
  readonly noiseStd: number;
  readonly driftAmplitude: number;
  readonly driftPeriodSeconds: number;
  readonly blinksPerMinute: number;
  readonly meanBlinkFrames: number;
}

/** Who a stream belongs to: an id, plus the drawn parameters when the stream is synthetic. */
export interface BlinkSubject {
  readonly id: string;
  readonly synthetic?: SyntheticSubject;
}

/**
 * A per-frame EAR recording of one subject: row i has frame number `frame[i]`, EAR `ear[i]` and
 * label `label[i]` (1 inside a blink, else 0). Event positions are row indices.
 */
export interface BlinkStream {
  readonly fps: number;
  readonly frame: Int32Array;
  readonly ear: Float32Array;
  readonly label: Uint8Array;
  readonly blinks: BlinkEvent[];
  readonly hardNegatives: HardNegativeEvent[];
  readonly subject: BlinkSubject;
}

const RANGE_KEYS = [
  'blinksPerMinute',
  'blinkFrames',
  'blinkMinEar',
  'baselineEar',
  'noiseStd',
  'driftAmplitude',
  'driftPeriodSeconds',
  'squintFrames',
  'squintMinEar',
  'partialClosureFrames',
  'partialClosureMinEar',
  'glitchDropEar',
  'glitchSpikeEar',
] as const satisfies readonly (keyof BlinkStreamConfig)[];
const INTEGER_RANGE_KEYS = new Set<string>(['blinkFrames', 'squintFrames', 'partialClosureFrames']);
const RATE_KEYS = ['squintsPerMinute', 'partialClosuresPerMinute', 'glitchesPerMinute'] as const;

const invalid = (field: string, expected: string, got: unknown): LosslabError =>
  new LosslabError('INVALID_ARGUMENT', `blink config ${field}: expected ${expected}, got ${JSON.stringify(got)}`);

/** Checks `value` is `[min, max]` with finite min ≤ max (positive integers for frame counts). */
function checkRange(field: string, value: unknown): void {
  const integer = INTEGER_RANGE_KEYS.has(field);
  const ok =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every(
      (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && (!integer || (Number.isInteger(v) && v >= 1)),
    ) &&
    (value[0] as number) <= (value[1] as number);
  if (!ok) invalidRange(field, integer, value);
}
function invalidRange(field: string, integer: boolean, value: unknown): never {
  throw invalid(field, `[min, max] with ${integer ? 'integers 1 <= min' : '0 <= min'} <= max`, value);
}

/** Blink rates compatible with the target: rate × mean length must equal the target frames per minute. */
function blinkRateBounds(config: BlinkStreamConfig): { low: number; high: number; targetFramesPerMinute: number } {
  const targetFramesPerMinute = config.positiveRate * config.fps * 60;
  const [minRate, maxRate] = config.blinksPerMinute;
  const [minFrames, maxFrames] = config.blinkFrames;
  return {
    low: Math.max(minRate, targetFramesPerMinute / maxFrames),
    high: Math.min(maxRate, targetFramesPerMinute / minFrames),
    targetFramesPerMinute,
  };
}

/**
 * Checks the settings a blink config shares with a definition's `blinkStream` data (positiveRate,
 * durationSeconds, windowLength, stride, subjects) with the schema's `BlinkStreamData` codec, so
 * each of their rules is written once; errors name every bad field
 * (`blink config positiveRate: expected a number in (0, 0.5], got 0.7`).
 */
export function checkBlinkSettings(settings: Omit<BlinkStreamData, 'kind'>): void {
  const result = BlinkStreamData.decode({ kind: 'blinkStream', ...settings });
  if (result._tag === 'Left') {
    const problems = formatErrors(result.left).map((line) => `blink config ${line}`);
    throw new LosslabError('INVALID_ARGUMENT', problems.join('; '));
  }
}

/**
 * Merges `overrides` onto {@link defaultBlinkStreamConfig} and validates every field
 * (positiveRate and durationSeconds by the schema's `BlinkStreamData` codec); an unknown key, a
 * bad range or a positiveRate that the rate and length ranges cannot reach is an
 * `INVALID_ARGUMENT` error naming the field.
 *
 * @example
 * const config = resolveBlinkStreamConfig({ positiveRate: 0.08, durationSeconds: 60 });
 */
export function resolveBlinkStreamConfig(overrides: Partial<BlinkStreamConfig> = {}): BlinkStreamConfig {
  for (const key of Object.keys(overrides)) {
    if (!Object.hasOwn(defaultBlinkStreamConfig, key)) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `blink config: unknown field "${key}" (known: ${Object.keys(defaultBlinkStreamConfig).join(', ')})`,
      );
    }
  }
  const config: BlinkStreamConfig = { ...defaultBlinkStreamConfig, ...overrides };
  checkBlinkSettings({ positiveRate: config.positiveRate, durationSeconds: config.durationSeconds });
  // The generator's own knobs (no definition sets them, so no codec knows them) and rules that
  // join several fields.
  requireInteger('blink config fps', config.fps, 1);
  if (Math.round(config.durationSeconds * config.fps) < 1) {
    throw invalid('durationSeconds', 'at least one frame at the given fps', config.durationSeconds);
  }
  for (const key of RANGE_KEYS) checkRange(key, config[key]);
  for (const key of RATE_KEYS) {
    const rate = config[key];
    if (!(typeof rate === 'number' && rate >= 0 && Number.isFinite(rate))) throw invalid(key, 'a rate >= 0', rate);
  }
  const { low, high, targetFramesPerMinute } = blinkRateBounds(config);
  if (low > high) {
    const [minRate, maxRate] = config.blinksPerMinute;
    const [minFrames, maxFrames] = config.blinkFrames;
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `blink config positiveRate: ${config.positiveRate} needs ${targetFramesPerMinute} blink frames per minute, but blinksPerMinute [${minRate}, ${maxRate}] × blinkFrames [${minFrames}, ${maxFrames}] allows ${minRate * minFrames}–${maxRate * maxFrames}`,
    );
  }
  return config;
}

/** Rounds to floor or ceil with probability given by the fraction, so the mean is preserved. */
const stochasticRound = (value: number, rng: Rng): number => {
  const floor = Math.floor(value);
  return floor + (rng.next() < value - floor ? 1 : 0);
};
const draw = (range: Range, rng: Rng): number => rng.uniform(range[0], range[1]);
const drawInt = (range: Range, rng: Rng): number => range[0] + rng.int(range[1] - range[0] + 1);

/**
 * Closure profile of a blink-shaped dip over `length` frames: 1 at the deepest frame (about 40 %
 * in, since eyes close faster than they reopen), rising smoothly (sin²) from the edges; every
 * frame is > 0 so every labelled frame dips.
 */
function blinkProfile(length: number): Float64Array {
  const deepest = Math.round((length - 1) * 0.4);
  const profile = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const phase = i <= deepest ? (i + 1) / (deepest + 1) : (length - i) / (length - deepest);
    profile[i] = Math.sin((Math.PI / 2) * phase) ** 2;
  }
  return profile;
}

/** A plateau with smooth sin² ramps of up to 5 frames at both ends (a squint holds its dip). */
function plateauProfile(length: number): Float64Array {
  const ramp = Math.max(1, Math.min(5, Math.floor(length / 3)));
  const profile = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const fromEdge = Math.min(i + 1, length - i);
    profile[i] = fromEdge > ramp ? 1 : Math.sin(((Math.PI / 2) * fromEdge) / (ramp + 1)) ** 2;
  }
  return profile;
}

/**
 * Generates one SYNTHETIC subject's EAR stream of round(durationSeconds × fps) frames.
 *
 * - Baseline: b + A·sin(2πt/(P·fps) + φ) with b, A, P drawn per subject, plus N(0, σ²) noise.
 * - Blinks: a rate r drawn from `blinksPerMinute` (restricted so that the mean length
 *   D = positiveRate·fps·60 / r lies in `blinkFrames`); lengths are D ± up to 2 frames (rounded
 *   without bias, within `blinkFrames`); gaps between blinks are (fps·60/r − D)·U(0.5, 1.5), so the
 *   expected fraction of blink frames is `positiveRate`. Inside a blink
 *   EAR = (1 − c)·(baseline + noise) + c·depth with the closure profile c (1 at the deepest
 *   frame), so noise fades as the lid closes and the deepest frame is exactly `depth`.
 * - Hard negatives (label 0), placed in the gaps without overlapping anything: squints and
 *   partial closures move the baseline towards their depth (noise continues); a glitch replaces
 *   one frame by a drop or spike value.
 *
 * Same config and seed ⇒ identical stream. Labels: 1 on every blink frame, else 0.
 *
 * @example
 * const stream = generateBlinkStream({ durationSeconds: 60 }, 7);
 * stream.ear.length;  // 1800
 * stream.blinks[0];   // e.g. { start: 41, length: 6, depth: 0.093 }
 */
export function generateBlinkStream(overrides: Partial<BlinkStreamConfig>, seed: number): BlinkStream {
  requireInteger('seed', seed, 0);
  const config = resolveBlinkStreamConfig(overrides);
  const { fps } = config;
  const frames = Math.round(config.durationSeconds * fps);
  const framesPerMinute = fps * 60;

  // Independent random streams per concern, so changing one (e.g. glitch rate) leaves the others.
  const subjectRng = createRng(deriveSeed(seed, 'blink', 'subject'));
  const blinkRng = createRng(deriveSeed(seed, 'blink', 'blinks'));
  const negativeRng = createRng(deriveSeed(seed, 'blink', 'hard-negatives'));
  const noiseRng = createRng(deriveSeed(seed, 'blink', 'noise'));

  const bounds = blinkRateBounds(config);
  const blinksPerMinute = subjectRng.uniform(bounds.low, bounds.high);
  const meanBlinkFrames = bounds.targetFramesPerMinute / blinksPerMinute;
  const subject: SyntheticSubject = {
    seed,
    baselineEar: draw(config.baselineEar, subjectRng),
    noiseStd: draw(config.noiseStd, subjectRng),
    driftAmplitude: draw(config.driftAmplitude, subjectRng),
    driftPeriodSeconds: draw(config.driftPeriodSeconds, subjectRng),
    blinksPerMinute,
    meanBlinkFrames,
  };
  const driftPhase = subjectRng.uniform(0, 2 * Math.PI);

  const baseline = new Float64Array(frames);
  const noise = new Float64Array(frames);
  for (let t = 0; t < frames; t++) {
    baseline[t] =
      subject.baselineEar +
      subject.driftAmplitude * Math.sin((2 * Math.PI * t) / (subject.driftPeriodSeconds * fps) + driftPhase);
    noise[t] = subject.noiseStd * noiseRng.normal();
  }
  const ear = new Float32Array(frames);
  for (let t = 0; t < frames; t++) ear[t] = Math.max(0, baseline[t]! + noise[t]!);
  const label = new Uint8Array(frames);
  // Frames taken by an event (or next to a blink), so hard negatives never touch a blink.
  const occupied = new Uint8Array(frames);
  const occupy = (start: number, length: number, margin: number): void => {
    occupied.fill(1, Math.max(0, start - margin), Math.min(frames, start + length + margin));
  };

  // Blinks, left to right.
  const meanInterval = framesPerMinute / blinksPerMinute;
  const meanGap = meanInterval - meanBlinkFrames;
  const [minFrames, maxFrames] = config.blinkFrames;
  const spread = Math.min(2, meanBlinkFrames - minFrames, maxFrames - meanBlinkFrames);
  const blinks: BlinkEvent[] = [];
  let start = stochasticRound(blinkRng.uniform(0, meanInterval), blinkRng);
  for (;;) {
    const length = stochasticRound(meanBlinkFrames + blinkRng.uniform(-spread, spread), blinkRng);
    const depth = draw(config.blinkMinEar, blinkRng);
    const gap = Math.max(1, stochasticRound(meanGap * blinkRng.uniform(0.5, 1.5), blinkRng));
    if (start + length > frames) break;
    const profile = blinkProfile(length);
    for (let i = 0; i < length; i++) {
      const t = start + i;
      const closure = profile[i]!;
      const open = (1 - closure) * (baseline[t]! + noise[t]!) + closure * depth;
      ear[t] = Math.max(depth, open);
      label[t] = 1;
    }
    blinks.push({ start, length, depth });
    occupy(start, length, 2);
    start += length + gap;
  }

  // Hard negatives, each placed at a random free position (skipped if none is found quickly).
  const minutes = frames / framesPerMinute;
  const hardNegatives: HardNegativeEvent[] = [];
  const place = (length: number, margin: number): number | undefined => {
    if (length > frames) return undefined;
    for (let attempt = 0; attempt < 30; attempt++) {
      const at = negativeRng.int(frames - length + 1);
      const from = Math.max(0, at - margin);
      const to = Math.min(frames, at + length + margin);
      if (occupied.subarray(from, to).every((v) => v === 0)) {
        occupy(at, length, margin);
        return at;
      }
    }
    return undefined;
  };
  const dips = [
    {
      kind: 'squint',
      rate: config.squintsPerMinute,
      frames: config.squintFrames,
      depth: config.squintMinEar,
      shape: plateauProfile,
    },
    {
      kind: 'partialClosure',
      rate: config.partialClosuresPerMinute,
      frames: config.partialClosureFrames,
      depth: config.partialClosureMinEar,
      shape: blinkProfile,
    },
  ] as const;
  for (const dip of dips) {
    const count = stochasticRound(dip.rate * minutes, negativeRng);
    for (let k = 0; k < count; k++) {
      const length = drawInt(dip.frames, negativeRng);
      const depth = draw(dip.depth, negativeRng);
      const at = place(length, 2);
      if (at === undefined) continue;
      const profile = dip.shape(length);
      for (let i = 0; i < length; i++) {
        const t = at + i;
        const closure = profile[i]!;
        ear[t] = Math.max(0, (1 - closure) * baseline[t]! + closure * depth + noise[t]!);
      }
      hardNegatives.push({ kind: dip.kind, start: at, length, depth });
    }
  }
  const glitches = stochasticRound(config.glitchesPerMinute * minutes, negativeRng);
  for (let k = 0; k < glitches; k++) {
    const value = draw(negativeRng.next() < 0.5 ? config.glitchDropEar : config.glitchSpikeEar, negativeRng);
    const at = place(1, 1);
    if (at === undefined) continue;
    ear[at] = value;
    hardNegatives.push({ kind: 'glitch', start: at, length: 1, depth: value });
  }
  hardNegatives.sort((a, b) => a.start - b.start);

  const frame = new Int32Array(frames);
  for (let t = 0; t < frames; t++) frame[t] = t;
  return {
    fps,
    frame,
    ear,
    label,
    blinks,
    hardNegatives,
    subject: { id: `synthetic-${seed}`, synthetic: subject },
  };
}
