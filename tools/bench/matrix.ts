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
} from '@losslab/experiment';

/**
 * bench-matrix: the 2×2 matrix (2 variants × 2 seeds) that `npx nx run bench:compare` runs serially
 * and with `--jobs=2` to measure run throughput. mnist-odd on the first 20,000 images, 1 epoch.
 */
export default defineExperiment({
  name: 'bench-matrix',
  description: 'mnist-odd on 20,000 images, 1 epoch; 2 variants × 2 seeds, for run throughput only',
  data: mnist({ limit: 20000 }),
  labels: { digit: oneHot(10), isOdd: flag([1, 3, 5, 7, 9]) },
  model: mlp({ hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
  optimizer: adam(),
  train: { epochs: 1, batchSize: 128, shuffle: true, remainder: 'drop' },
  evaluation: classification({
    split: 'train',
    target: 'digit',
    groups: [
      { name: 'even', block: 'isOdd', equals: 0 },
      { name: 'odd', block: 'isOdd', equals: 1 },
    ],
  }),
  seeds: [0, 1],
  variants: { a: {}, b: { optimizer: { learningRate: 0.002 } } },
});
