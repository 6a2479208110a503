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
  sgd,
  threshold,
} from '@losslab/experiment';

/**
 * A definition written only against losslab's public builders, outside experiments/: the
 * mnist-odd setup on the first 512 training images, 2 epochs, two optimisers, seeds 0 and 1.
 *
 *   npx nx run experiment:run --definition=examples/tiny-mnist-odd.ts
 */
export default defineExperiment({
  name: 'tiny-mnist-odd',
  description: 'mnist-odd in miniature: 512 real MNIST images, 2 epochs; Adam against plain SGD.',
  data: mnist({ limit: 512 }),
  labels: { digit: oneHot(10), isOdd: flag([1, 3, 5, 7, 9]) },
  model: mlp({ hidden: [{ units: 32, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
  optimizer: adam(),
  train: { epochs: 2, batchSize: 64 },
  evaluation: classification({
    split: 'train',
    target: 'digit',
    groups: [
      { name: 'even', block: 'isOdd', equals: 0 },
      { name: 'odd', block: 'isOdd', equals: 1 },
    ],
  }),
  seeds: [0, 1],
  variants: { adam: {}, sgd: { optimizer: sgd(0.1) } },
  claims: [threshold('accuracy', '<=', 0.05, { group: 'even', description: 'even digits are not learned' })],
});
