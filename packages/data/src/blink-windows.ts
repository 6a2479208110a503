import { LosslabError, canonicalJson, deriveSeed, requireInteger, sha256Hex } from '@losslab/runtime';
import type { BlinkStreamData } from '@losslab/schema';
import {
  type BlinkStream,
  type BlinkStreamConfig,
  type BlinkSubject,
  checkBlinkSettings,
  defaultBlinkStreamConfig,
  generateBlinkStream,
  resolveBlinkStreamConfig,
} from './blink.js';
import { type ArrayDataset, concatDatasets } from './dataset.js';

/**
 * The features of each frame in a blink window, in column order: the EAR itself and its
 * frame-to-frame change `ear[t] − ear[t−1]` (0 on a stream's first row). The change makes the
 * fast fall and rise of a blink explicit, which tells blinks from slow squints and drift.
 */
export const BLINK_FEATURES = ['ear', 'earDelta'] as const;

/** How to cut a stream into windows. */
export interface BlinkWindowOptions {
  /** Frames per window; the label is that of the centre row `start + ⌊windowLength / 2⌋`. */
  readonly windowLength: number;
  /** Rows between consecutive window starts (default 1). */
  readonly stride?: number;
}

/**
 * Cuts a stream (synthetic or from {@link readBlinkCsv}) into overlapping windows:
 * window k covers rows s … s + windowLength − 1 with s = k × stride, features
 * [windowLength, 2] = ({@link BLINK_FEATURES}) per row, and label = the centre row's label as a
 * two-column one-hot [not blink, blink] (so a two-output L1 loss with class weights applies).
 * Windows never reach past the stream's ends; a stream shorter than one window is an error.
 *
 * @example
 * const ds = blinkWindows(generateBlinkStream({}, 1), { windowLength: 15 });
 * ds.featureShape; // [15, 2]; ds.labelWidth === 2; ds.size === 3600 - 15 + 1
 */
export function blinkWindows(stream: BlinkStream, options: BlinkWindowOptions): ArrayDataset {
  const windowLength = requireInteger('windowLength', options.windowLength, 1);
  const stride = requireInteger('stride', options.stride ?? 1, 1);
  const rows = stream.ear.length;
  if (stream.label.length !== rows) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `blink stream "${stream.subject.id}": ear has ${rows} rows but label has ${stream.label.length}`,
    );
  }
  if (rows < windowLength) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `windowLength: ${windowLength} is longer than blink stream "${stream.subject.id}" (${rows} rows)`,
    );
  }
  const featuresPerFrame = BLINK_FEATURES.length;
  const size = Math.floor((rows - windowLength) / stride) + 1;
  const centre = Math.floor(windowLength / 2);
  const perFrame = new Float32Array(rows * featuresPerFrame);
  for (let t = 0; t < rows; t++) {
    const ear = stream.ear[t]!;
    perFrame[t * featuresPerFrame] = ear;
    perFrame[t * featuresPerFrame + 1] = t === 0 ? 0 : ear - stream.ear[t - 1]!;
  }
  const windowValues = windowLength * featuresPerFrame;
  const features = new Float32Array(size * windowValues);
  const labels = new Float32Array(size * 2);
  for (let k = 0; k < size; k++) {
    const start = k * stride;
    features.set(
      perFrame.subarray(start * featuresPerFrame, (start + windowLength) * featuresPerFrame),
      k * windowValues,
    );
    const blink = stream.label[start + centre] === 1 ? 1 : 0;
    labels[2 * k] = 1 - blink;
    labels[2 * k + 1] = blink;
  }
  return { features, featureShape: [windowLength, featuresPerFrame], labels, labelWidth: 2, size };
}

/** Simulated subjects per split: the schema's `BlinkStreamData` `subjects`, every split given. */
export type BlinkSubjectCounts = Readonly<Required<NonNullable<BlinkStreamData['subjects']>>>;

/** {@link BlinkStreamConfig} plus how streams become datasets (see {@link defaultBlinkSplitConfig}). */
export interface BlinkSplitConfig extends BlinkStreamConfig {
  readonly windowLength: number;
  readonly stride: number;
  readonly subjects: BlinkSubjectCounts;
}

/** Defaults: the stream defaults, 15-frame windows (0.5 s, longer than the longest blink), stride 1, 6/2/2 subjects. */
export const defaultBlinkSplitConfig: BlinkSplitConfig = Object.freeze({
  ...defaultBlinkStreamConfig,
  windowLength: 15,
  stride: 1,
  subjects: Object.freeze({ train: 6, validation: 2, test: 2 }),
});

/** Bumped whenever the generator's output for a given config and seed changes. */
export const BLINK_GENERATOR_VERSION = 'losslab-synthetic-blink/1';

/**
 * Merges `overrides` onto {@link defaultBlinkSplitConfig} and validates it (errors name the field):
 * windowLength, stride and subjects by the schema's `BlinkStreamData` codec, the rest as
 * {@link resolveBlinkStreamConfig} does.
 */
export function resolveBlinkSplitConfig(overrides: Partial<BlinkSplitConfig> = {}): BlinkSplitConfig {
  for (const key of Object.keys(overrides)) {
    if (!Object.hasOwn(defaultBlinkSplitConfig, key)) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `blink config: unknown field "${key}" (known: ${Object.keys(defaultBlinkSplitConfig).join(', ')})`,
      );
    }
  }
  const { windowLength, stride, subjects, ...streamOverrides } = overrides;
  const stream = resolveBlinkStreamConfig(streamOverrides);
  const config: BlinkSplitConfig = {
    ...stream,
    windowLength: windowLength ?? defaultBlinkSplitConfig.windowLength,
    stride: stride ?? defaultBlinkSplitConfig.stride,
    subjects: { ...defaultBlinkSplitConfig.subjects, ...subjects },
  };
  checkBlinkSettings({ windowLength: config.windowLength, stride: config.stride, subjects: config.subjects });
  return config;
}

/**
 * Fingerprint of the SYNTHETIC blink data: `sha256:` + hex sha256 of the canonical JSON of
 * { generator: BLINK_GENERATOR_VERSION, config (resolved, with defaults), seed }. Equal
 * fingerprints ⇒ identical data; it can be computed without generating anything.
 *
 * @example
 * blinkFingerprint({}, 1) === blinkFingerprint({ fps: 30 }, 1); // true: defaults are resolved first
 */
export function blinkFingerprint(overrides: Partial<BlinkSplitConfig>, seed: number): string {
  requireInteger('seed', seed, 0);
  const config = resolveBlinkSplitConfig(overrides);
  return `sha256:${sha256Hex(canonicalJson({ generator: BLINK_GENERATOR_VERSION, config, seed }))}`;
}

/** The three SYNTHETIC blink datasets, the subjects behind each, and a fingerprint of how they were made. */
export interface BlinkSplits {
  readonly train: ArrayDataset;
  readonly validation: ArrayDataset;
  readonly test: ArrayDataset;
  readonly subjects: {
    readonly train: BlinkSubject[];
    readonly validation: BlinkSubject[];
    readonly test: BlinkSubject[];
  };
  readonly config: BlinkSplitConfig;
  readonly fingerprint: string;
}

/**
 * Generates SYNTHETIC train / validation / test blink datasets from DIFFERENT simulated subjects:
 * subject i of split s uses seed `deriveSeed(seed, 'blink-subject', s, i)`; each subject's
 * stream is cut with {@link blinkWindows} (windows never span two subjects) and the split's
 * windows are concatenated in subject order.
 *
 * @example
 * const { train, validation, test, fingerprint } = blinkSplits({ durationSeconds: 60 }, 42);
 * train.featureShape; // [15, 2]; train.labelWidth === 2
 */
export function blinkSplits(overrides: Partial<BlinkSplitConfig>, seed: number): BlinkSplits {
  requireInteger('seed', seed, 0);
  const config = resolveBlinkSplitConfig(overrides);
  const { windowLength, stride, subjects: counts, ...streamConfig } = config;
  const build = (split: keyof BlinkSubjectCounts): { dataset: ArrayDataset; subjects: BlinkSubject[] } => {
    const subjects: BlinkSubject[] = [];
    const parts: ArrayDataset[] = [];
    for (let i = 0; i < counts[split]; i++) {
      const stream = generateBlinkStream(streamConfig, deriveSeed(seed, 'blink-subject', split, i));
      const subject = { ...stream.subject, id: `${split}-${i}` };
      subjects.push(subject);
      parts.push(blinkWindows({ ...stream, subject }, { windowLength, stride }));
    }
    return { dataset: concatDatasets(parts), subjects };
  };
  const train = build('train');
  const validation = build('validation');
  const test = build('test');
  return {
    train: train.dataset,
    validation: validation.dataset,
    test: test.dataset,
    subjects: { train: train.subjects, validation: validation.subjects, test: test.subjects },
    config,
    fingerprint: blinkFingerprint(config, seed),
  };
}
