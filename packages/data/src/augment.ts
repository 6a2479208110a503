import { LosslabError, createRng, deriveSeed, requireInteger, type Rng } from '@losslab/runtime';
import { featureSize } from './dataset.js';

/**
 * Augmentation of training batches: random changes of each sample's features, drawn afresh for
 * every epoch from the run seed, so that the same (seed, epoch) always gives the same augmented
 * batches (a resumed run sees exactly the batches an uninterrupted one saw).
 */

/** One augmentation step, applied per sample in the order declared. */
export type AugmentStep =
  /** Mirrors an image left–right with `probability` (default 0.5). */
  | { readonly kind: 'horizontalFlip'; readonly probability?: number | undefined }
  /**
   * Pads an image with `padding` zeros on every side and crops its own size back at a random
   * position: a shift by up to ±padding pixels each way, uncovered pixels 0 (torchvision's
   * `RandomCrop(size, padding)`).
   */
  | { readonly kind: 'randomCrop'; readonly padding: number }
  /** Adds independent N(0, stddev²) noise to every feature value. */
  | { readonly kind: 'gaussianNoise'; readonly stddev: number };

/** Augments the features of batch `batch` of epoch `epoch` (rows × featureSize values); returns new values. */
export type BatchAugment = (features: Float32Array, epoch: number, batch: number) => Float32Array;

const needsImage = (step: AugmentStep): boolean => step.kind !== 'gaussianNoise';

/** [height, width, channels] of a feature shape [h, w] or [h, w, c]. */
function imageShape(featureShape: readonly number[]): [number, number, number] | undefined {
  const [height, width, channels = 1] = featureShape;
  return featureShape.length === 2 || featureShape.length === 3 ? [height!, width!, channels] : undefined;
}

function augmentSample(
  sample: Float32Array,
  steps: readonly AugmentStep[],
  image: [number, number, number] | undefined,
  rng: Rng,
): void {
  for (const step of steps) {
    if (step.kind === 'gaussianNoise') {
      for (let i = 0; i < sample.length; i++) sample[i] = sample[i]! + step.stddev * rng.normal();
      continue;
    }
    const [height, width, channels] = image!;
    const source = sample.slice();
    let dy = 0;
    let dx = 0;
    let flip = false;
    if (step.kind === 'horizontalFlip') {
      flip = rng.next() < (step.probability ?? 0.5);
      if (!flip) continue;
    } else {
      dy = rng.int(2 * step.padding + 1) - step.padding;
      dx = rng.int(2 * step.padding + 1) - step.padding;
    }
    // Output pixel (y, x) reads source pixel (y + dy, x + dx), mirrored when flipping.
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sy = y + dy;
        const sx = flip ? width - 1 - x : x + dx;
        const inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
        for (let c = 0; c < channels; c++)
          sample[(y * width + x) * channels + c] = inside ? source[(sy * width + sx) * channels + c]! : 0;
      }
    }
  }
}

/**
 * The augmentation of a run's training batches: batch `b` of epoch `e` draws from
 * `createRng(deriveSeed(seed, 'augment', e, b))`, sample by sample and step by step in order.
 * Image steps (flip, crop) need features shaped [h, w] or [h, w, c]; the check names the step.
 *
 * @example
 * const augment = batchAugmenter([{ kind: 'horizontalFlip' }, { kind: 'randomCrop', padding: 2 }], deriveSeed(seed, 'augment'), [12, 12, 1]);
 * const changed = augment(batchFeatures, epoch, batchIndex);
 */
export function batchAugmenter(
  steps: readonly AugmentStep[],
  seed: number,
  featureShape: readonly number[],
): BatchAugment {
  requireInteger('seed', seed, 0);
  const image = imageShape(featureShape);
  steps.forEach((step, i) => {
    if (needsImage(step) && image === undefined)
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `train.augment[${i}] (${step.kind}): needs image features shaped [height, width] or [height, width, channels], got [${featureShape.join(', ')}]`,
      );
    if (step.kind === 'randomCrop') requireInteger(`train.augment[${i}].padding`, step.padding, 1);
  });
  const perSample = featureSize(featureShape);
  return (features, epoch, batch) => {
    const rng = createRng(deriveSeed(seed, 'augment', epoch, batch));
    const out = features.slice();
    for (let at = 0; at < out.length; at += perSample)
      augmentSample(out.subarray(at, at + perSample), steps, image, rng);
    return out;
  };
}
