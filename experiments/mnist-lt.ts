import {
  adam,
  beats,
  categoricalCrossentropy,
  classification,
  defineExperiment,
  focal,
  longTail,
  mlp,
  mnist,
  oneHot,
  sliced,
  threshold,
  weighted,
} from '@losslab/experiment';

/** Class-balanced weights by the effective number of samples (Cui et al. 2019), β = 0.999. */
const classBalanced = { kind: 'effectiveNumber', beta: 0.999 } as const;

/**
 * mnist-lt: long-tailed MNIST. The training set keeps n_i = n_max · 100^(−i/9) images of digit i
 * (Cui et al. 2019's profile, imbalance ratio 100: 5,421 zeros down to 54 nines); the model is
 * evaluated on the balanced 10,000 test images. Four losses: plain and class-balanced
 * cross-entropy, focal (γ = 2) and class-balanced focal.
 */
export default defineExperiment({
  name: 'mnist-lt',
  description:
    'Long-tailed MNIST: the 60,000 training images subsampled (seeded) to the profile n_i = n_max · 100^(−i/9) of ' +
    'Cui et al. 2019 with n_max = 5,421 (the smallest class count), i.e. 5,421 zeros … 54 nines (13,454 images); ' +
    'evaluated on the balanced 10,000 test images. MLP 784→128 relu→10 softmax, Adam 0.001, batch 128, 15 epochs. ' +
    'Class-balanced weights: effective number of samples, β = 0.999, normalised to sum to 10; for focal loss they ' +
    'are its per-class α.',
  data: mnist(),
  transforms: [longTail({ ratio: 100 })],
  labels: { digit: oneHot(10) },
  model: mlp({ hidden: [{ units: 128, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam(),
  train: { epochs: 15, batchSize: 128, shuffle: true, remainder: 'keep' },
  evaluation: classification({ split: 'test', target: 'digit' }),
  seeds: [0, 1, 2],
  variants: {
    ce: {},
    'cb-ce': {
      loss: weighted(categoricalCrossentropy(), { per: 'sample', target: 'digit', classWeights: classBalanced }),
    },
    focal: { loss: focal({ gamma: 2, alpha: 1 }) },
    'cb-focal': { loss: sliced(focal({ gamma: 2, alpha: { classWeights: classBalanced } }), { target: 'digit' }) },
  },
  report: {
    primary: [
      { metric: 'macroF1', direction: 'higher' },
      { metric: 'accuracy', direction: 'higher' },
    ],
  },
  claims: [
    beats('cb-ce', 'ce', 'macroF1', {
      alpha: 0.05,
      description: 'class-balanced cross-entropy beats plain cross-entropy on macro F1 (Holm-adjusted, paired by seed)',
    }),
    threshold('macroF1', '<=', 0.895, { variant: 'ce', description: 'plain cross-entropy: macro F1 below 0.895' }),
    threshold('macroF1', '>=', 0.9, {
      variant: 'cb-ce',
      description: 'class-balanced cross-entropy lifts macro F1 to at least 0.90',
    }),
    threshold('recall', '<=', 0.66, {
      class: '9',
      variant: 'ce',
      description: 'plain cross-entropy misses more than a third of the rarest digit (54 training images)',
    }),
    threshold('recall', '>=', 0.7, {
      class: '9',
      variant: 'cb-ce',
      description: 'class-balanced cross-entropy finds at least 70% of the rarest digit',
    }),
    threshold('recall', '<=', 0.72, {
      class: '8',
      variant: 'ce',
      description: 'plain cross-entropy finds at most 72% of the second-rarest digit (90 training images)',
    }),
    threshold('recall', '>=', 0.72, {
      class: '8',
      variant: 'cb-ce',
      description: 'class-balanced cross-entropy finds more than 72% of the second-rarest digit',
    }),
    threshold('recall', '>=', 0.7, {
      class: '9',
      variant: 'cb-focal',
      description: 'class-balanced focal finds at least 70% of the rarest digit',
    }),
    threshold('recall', '<=', 0.68, {
      class: '9',
      variant: 'focal',
      description: 'focal loss alone (no class weights) barely helps the rarest digit',
    }),
  ],
});
