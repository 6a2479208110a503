import { defineExperiment, epochsToPlateau, fasterToTarget, sgd, threshold } from '@losslab/experiment';
import blink, { perColumn, perSample, SGD_LEARNING_RATE } from './blink.js';

/**
 * blink-long: the SGD cells of the blink study trained for 100 epochs instead of 20, to see where
 * plain SGD ends up (the reference trained 256 epochs): does the unweighted loss reach the plateau
 * the column-weighted one reached in a few epochs, and how far do per-sample weights get.
 */
export default defineExperiment({
  ...blink,
  // blink's variance study stays blink's own.
  variance: undefined,
  name: 'blink-long',
  description:
    'The SGD cells of experiments/blink.ts (same SYNTHETIC data, model, loss and evaluation; SGD learning rate ' +
    `${SGD_LEARNING_RATE}, batch 128) trained for 100 epochs, 3 seeds: unweighted, column-weighted (the reference) ` +
    'and sample-weighted (Keras class_weight). See blink for the Adam cells and the control.',
  optimizer: sgd(SGD_LEARNING_RATE),
  train: { ...blink.train, epochs: 100 },
  variants: {
    'sgd-unweighted': {},
    'sgd-class-weighted': { loss: perColumn },
    'sgd-sample-weighted': { loss: perSample },
  },
  claims: [
    epochsToPlateau('loss', 0.05, 'sgd-class-weighted', 'fewer', 'sgd-unweighted', {
      factor: 2,
      description:
        'reference, SGD: with class weights training converges much faster (training loss within 5% of its final value in at most half the epochs)',
    }),
    threshold('accuracy', '>=', 0.94, {
      variant: 'sgd-unweighted',
      description: 'reference, SGD: the unweighted model reaches ≈0.95 accuracy (≥ 0.94)',
    }),
    threshold('accuracy', '>=', 0.94, {
      variant: 'sgd-class-weighted',
      description: 'reference, SGD: the class-weighted model reaches ≈0.95 accuracy (≥ 0.94)',
    }),
    ...(['sgd-unweighted', 'sgd-class-weighted', 'sgd-sample-weighted'] as const).map((variant) =>
      threshold('f1', '>=', 0.5, { variant, description: `SGD, ${variant}: finds blinks (test F1 ≥ 0.5)` }),
    ),
    fasterToTarget(
      'f1',
      0.8,
      'sgd-sample-weighted',
      'sgd-unweighted',
      'SGD: per-sample class weights reach validation blink F1 ≥ 0.8 in fewer epochs than no weights',
    ),
  ],
});
