import {
  adam,
  categoricalCrossentropy,
  defineExperiment,
  flag,
  oneHot,
  classification,
  masked,
  mlp,
  mnist,
  threshold,
} from '@losslab/experiment';

/**
 * mnist-odd: the label carries a mask column. Label = one-hot digit (10) + is-odd flag (1); the
 * loss is categorical cross-entropy on the digit block times the flag, so even digits contribute
 * no loss and no gradient and are never learned.
 */
export default defineExperiment({
  name: 'mnist-odd',
  description:
    'Real MNIST (60,000 training images, pixels scaled to [0, 1]); label [batch, 11] = one-hot digit + is-odd flag; ' +
    'MLP 784→64 relu→10 softmax; loss = categorical cross-entropy on columns 0–9 × column 10; Adam, batch 128, 3 epochs, ' +
    'remainder dropped (468 steps per epoch). Evaluated on the training images split by parity.',
  data: mnist(),
  labels: { digit: oneHot(10), isOdd: flag([1, 3, 5, 7, 9]) },
  model: mlp({ hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
  optimizer: adam(),
  train: { epochs: 3, batchSize: 128, shuffle: true, remainder: 'drop' },
  evaluation: classification({
    split: 'train',
    target: 'digit',
    groups: [
      { name: 'even', block: 'isOdd', equals: 0 },
      { name: 'odd', block: 'isOdd', equals: 1 },
    ],
  }),
  seeds: [0],
  variants: { masked: {} },
  report: { primary: [{ metric: 'odd.accuracy' }, { metric: 'even.accuracy' }] },
  claims: [
    threshold('accuracy', '<=', 0.01, { group: 'even', description: 'even digits are never learned (reference: 0.0)' }),
    threshold('accuracy', '>=', 0.97, { group: 'odd', description: 'odd digits are learned (reference: 0.979)' }),
  ],
  reference: {
    source: 'Keras',
    groups: [
      {
        name: 'even',
        accuracy: 0.0,
        trueCounts: [5923, 0, 5958, 0, 5842, 0, 5918, 0, 5851, 0],
        note: 'every even image is predicted as an odd class',
      },
      { name: 'odd', accuracy: 0.979, trueCounts: [0, 6742, 0, 6131, 0, 5421, 0, 6265, 0, 5949] },
    ],
    notes: [
      'Keras run: full 60,000-image MNIST train set, MLP 784→64 relu→10 softmax, Adam, batch 128, 3 epochs; every even image is predicted as an odd class',
    ],
  },
});
