import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { subset, type ArrayDataset } from '@losslab/data';
import { classCounts, classWeights } from '@losslab/losses';
import { fit } from '@losslab/train';
import type { LabelLayout } from '@losslab/runtime';
import { useBackend } from '@losslab/test-utils';
import { buildLoss, buildModel, buildOptimizer, loadData, registry, resolveExperiment } from '../index.js';
import type { ResolvedVariant } from '../index.js';
import { loadDefinitionFile } from '../load-definition.js';

/**
 * The blink study's control: unweighted SGD at learning rate × (w0 + w1) must train exactly like
 * column-weighted SGD. With two softmax outputs and one-hot labels |p0 − y0| = |p1 − y1|, so the
 * per-column weighted L1, Σ_j w_j |p_j − y_j|, is (w0 + w1) × the unweighted per-sample L1
 * (the mean over the two columns); its gradient is (w0 + w1) × the unweighted gradient, and an SGD
 * step with learning rate η on it is the step with η · (w0 + w1) on the unweighted loss.
 */

const BLINK = fileURLToPath(new URL('../../../../experiments/blink.ts', import.meta.url));

async function blinkVariants(): Promise<Map<string, ResolvedVariant>> {
  const resolved = resolveExperiment(await loadDefinitionFile(BLINK), BLINK);
  if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('\n'));
  return new Map(resolved.right.variants.map((variant) => [variant.name, variant]));
}

function variant(variants: Map<string, ResolvedVariant>, name: string): ResolvedVariant {
  const found = variants.get(name);
  if (found === undefined) throw new Error(`experiments/blink.ts has no variant ${name}`);
  return found;
}

function sgdRate(resolved: ResolvedVariant): number {
  const optimizer = resolved.spec.optimizer as { kind: string; learningRate?: number };
  if (optimizer.kind !== 'sgd' || optimizer.learningRate === undefined)
    throw new Error(`variant ${resolved.name}: expected an sgd optimizer with a learning rate`);
  return optimizer.learningRate;
}

/** w0 + w1 of the inverse class weights n / n_j of the `class` block of `train`. */
function weightSum(train: ArrayDataset, layout: LabelLayout): number {
  const labels = tf.tensor2d(train.labels, [train.size, train.labelWidth]);
  try {
    const counts = classCounts(labels, { layout, target: 'class' });
    return classWeights(counts, { kind: 'inverse' }).reduce((sum, weight) => sum + weight, 0);
  } finally {
    labels.dispose();
  }
}

describe('blink control: unweighted SGD at learning rate × (w0 + w1)', () => {
  beforeAll(() => useBackend('cpu'));

  it("the definition's control learning rate is the SGD rate × (w0 + w1) of the train split", async () => {
    const variants = await blinkVariants();
    const weighted = variant(variants, 'sgd-class-weighted');
    const control = variant(variants, 'sgd-control');
    // The control differs from column-weighted SGD only in the loss and the learning rate.
    expect({ ...control.spec, loss: null, optimizer: null }).toEqual({ ...weighted.spec, loss: null, optimizer: null });
    expect(weighted.spec.loss).toMatchObject({ kind: 'weighted', per: 'column', classWeights: { kind: 'inverse' } });
    expect(control.spec.loss).toMatchObject({ kind: 'sliced', loss: { kind: 'meanAbsoluteError' } });
    const loaded = await loadData(weighted.spec, registry, { seed: 0 });
    const train = loaded.splits.train!;
    const sum = weightSum(train, loaded.layout);
    // 10,758 train windows, 527 of them blinks: w = [1.0515…, 20.4137…].
    expect(sum).toBeCloseTo(21.465172355402352, 12);
    expect(sgdRate(control)).toBeCloseTo(sgdRate(weighted) * sum, 12);
  });

  it('trains identically to column-weighted SGD on a small problem (cpu): loss × (w0 + w1), same predictions', async () => {
    const variants = await blinkVariants();
    const weighted = variant(variants, 'sgd-class-weighted');
    const loaded = await loadData(weighted.spec, registry, { seed: 0 });
    // The first 256 training windows (2 batches of 128, blinks among them), 3 epochs: 6 SGD steps.
    const train = subset(
      loaded.splits.train!,
      Array.from({ length: 256 }, (_, index) => index),
    );
    const sum = weightSum(train, loaded.layout);
    expect(sum).toBeGreaterThan(2.5); // the subset is imbalanced too, so the factor is far from 1
    const rate = 0.05;
    const probe = subset(
      loaded.splits.validation!,
      Array.from({ length: 256 }, (_, index) => index),
    );

    async function trainWith(name: string, learningRate: number): Promise<{ losses: number[]; scores: Float32Array }> {
      const spec = { ...variant(variants, name).spec, optimizer: { kind: 'sgd' as const, learningRate } };
      const model = buildModel(spec, registry, train.featureShape, 3);
      const optimizer = buildOptimizer(spec, registry);
      try {
        const { history } = await fit({
          model,
          loss: buildLoss(spec.loss, loaded.layout, train, registry),
          optimizer,
          data: train,
          plan: { batchSize: 128, shuffle: true, remainder: 'drop', seed: 3 },
          epochs: 3,
        });
        const scores = tf.tidy(() =>
          model.predict(tf.tensor(probe.features, [probe.size, ...probe.featureShape])),
        ) as tf.Tensor;
        const values = scores.dataSync() as Float32Array;
        scores.dispose();
        return { losses: history.map((entry) => entry.loss), scores: values };
      } finally {
        model.dispose();
        optimizer.dispose();
      }
    }

    const columnWeighted = await trainWith('sgd-class-weighted', rate);
    const control = await trainWith('sgd-control', rate * sum);
    const plain = await trainWith('sgd-unweighted', rate);

    // Tolerances. Both runs compute the same function in float32 (ε ≈ 1.2e-7) by different
    // operation orders: the weighted loss scales the gradient inside the backward pass, the control
    // scales it in the update, and softmax's p0 + p1 is 1 only to within a few ε, so
    // |p0 − y0| = |p1 − y1| only to that precision. L1's subgradient sign(p − y) never flips on
    // these rounding differences (softmax outputs lie strictly inside (0, 1) and labels are 0 or 1),
    // so the differences stay at rounding level (measured: 3e-8 relative on the loss, 1.2e-7 on the
    // scores, i.e. one float32 step near 1). 1e-4 leaves three orders of margin for other
    // machines and is still ~1000× smaller than what the factor does (the plain run below: 0.3).
    columnWeighted.losses.forEach((loss, epoch) => {
      expect(Math.abs(loss / sum - control.losses[epoch]!) / control.losses[epoch]!).toBeLessThan(1e-4);
    });
    const maxDifference = (a: Float32Array, b: Float32Array): number =>
      a.reduce((max, value, index) => Math.max(max, Math.abs(value - b[index]!)), 0);
    expect(maxDifference(columnWeighted.scores, control.scores)).toBeLessThan(1e-4);
    // The same argmax for every probe window.
    const argmax = (scores: Float32Array) =>
      Array.from({ length: scores.length / 2 }, (_, row) => (scores[2 * row + 1]! > scores[2 * row]! ? 1 : 0));
    expect(argmax(columnWeighted.scores)).toEqual(argmax(control.scores));
    // The test can tell: without the factor, SGD takes visibly different steps.
    expect(maxDifference(plain.scores, control.scores)).toBeGreaterThan(1e-2);
  });
});
