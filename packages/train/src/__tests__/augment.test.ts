import { beforeAll, describe, expect, it } from 'vitest';
import { arrayDataset, batchAugmenter, oneHot, type BatchAugment } from '@losslab/data';
import { categoricalCrossentropy } from '@losslab/losses';
import { createMlp } from '@losslab/models';
import { createRng, liveTensorCount } from '@losslab/runtime';
import { useBackend } from '@losslab/test-utils';
import { createOptimizer, fit } from '../index.js';

/** 24 images 4×4 whose class is whether the left half is brighter than the right. */
function images() {
  const rng = createRng(3);
  const features = Float32Array.from({ length: 24 * 16 }, () => rng.next());
  const classes = Array.from({ length: 24 }, (_, i) => {
    let left = 0;
    for (let p = 0; p < 16; p++) left += (p % 4 < 2 ? 1 : -1) * features[i * 16 + p]!;
    return left > 0 ? 1 : 0;
  });
  return arrayDataset({ features, featureShape: [4, 4], labels: oneHot(classes, 2), labelWidth: 2 });
}

async function train(augment: BatchAugment | undefined, seen: number[][] = []) {
  const model = createMlp({ inputShape: [4, 4], hidden: [], output: { units: 2, activation: 'softmax' } }, 1);
  const optimizer = createOptimizer({ kind: 'adam', learningRate: 0.05 });
  try {
    const counting: BatchAugment | undefined =
      augment && ((features, epoch, batch) => (seen.push([epoch, batch]), augment(features, epoch, batch)));
    const { history } = await fit({
      model,
      loss: categoricalCrossentropy(),
      optimizer,
      data: images(),
      plan: { batchSize: 8, shuffle: true, remainder: 'drop', seed: 5 },
      epochs: 3,
      validate: () => ({ one: 1 }),
      ...(counting ? { augment: counting } : {}),
    });
    return history.map((h) => h.loss);
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

describe('fit with augmentation', () => {
  beforeAll(() => useBackend('cpu'));

  it('augments every training batch of every epoch, reproducibly, and changes what is learnt', async () => {
    const augment = batchAugmenter([{ kind: 'horizontalFlip' }, { kind: 'gaussianNoise', stddev: 0.2 }], 9, [4, 4]);
    const seen: number[][] = [];
    const before = liveTensorCount();
    const augmented = await train(augment, seen);
    expect(liveTensorCount()).toBe(before);
    // 3 batches in each of epochs 1..3, indices from 0 (validation is never augmented)
    expect(seen).toEqual([1, 2, 3].flatMap((epoch) => [0, 1, 2].map((batch) => [epoch, batch])));
    expect(await train(augment)).toEqual(augmented);
    expect(await train(undefined)).not.toEqual(augmented);
  });
});
