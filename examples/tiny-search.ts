import {
  adam,
  carveValidation,
  categoricalCrossentropy,
  choice,
  classification,
  defineExperiment,
  grid,
  logUniform,
  mlp,
  mnist,
  oneHot,
  search,
  sgd,
} from '@losslab/experiment';

/**
 * Searches as data, in miniature: 512 real MNIST images, 1 epoch. Each optimiser gets its own
 * search on a validation split carved from train — SGD 4 random trials (log-uniform learning rate
 * × batch size), Adam a grid of 3 learning rates — and the tuned variants are compared on test.
 *
 *   npx nx run experiment:run --definition=examples/tiny-search.ts
 */
export default defineExperiment({
  name: 'tiny-search',
  description: 'tuned SGD against tuned Adam on 512 MNIST images; each tuned on a carved validation split.',
  data: mnist({ limit: 512 }),
  transforms: [carveValidation({ fraction: 0.25, seed: 1 })],
  labels: { digit: oneHot(10) },
  model: mlp({ hidden: [{ units: 16, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 64 },
  evaluation: classification({ split: 'test', target: 'digit' }),
  seeds: [0, 1],
  // For every variant that declares no search of its own.
  search: search({
    space: { 'optimizer.learningRate': grid([0.0003, 0.001, 0.003]) },
    seed: 100,
    select: { metric: 'accuracy', direction: 'max', split: 'validation' },
  }),
  variants: {
    adam: {},
    sgd: {
      optimizer: sgd(0.1),
      search: search({
        space: { 'optimizer.learningRate': logUniform(1e-3, 1), 'train.batchSize': choice([32, 64]) },
        trials: 4,
        seed: 100,
        select: { metric: 'accuracy', direction: 'max', split: 'validation' },
      }),
    },
  },
});
