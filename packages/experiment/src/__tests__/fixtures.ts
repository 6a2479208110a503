import {
  adam,
  categoricalCrossentropy,
  defineExperiment,
  groupedClassification,
  masked,
  mlp,
  mnist,
  type ExperimentDefinition,
} from '../index';

/** A tiny mnist-odd: 256 images, 1 epoch. Small enough for tests, real data all the same. */
export const tinyMnistOdd = (overrides: Partial<ExperimentDefinition> = {}): ExperimentDefinition =>
  defineExperiment({
    name: 'tiny-mnist-odd',
    description: 'test fixture',
    data: mnist({ limit: 256 }),
    labels: { digit: 10, isOdd: 1 },
    model: mlp({ hidden: [{ units: 8, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
    loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
    optimizer: adam(),
    train: { epochs: 1, batchSize: 64 },
    evaluation: groupedClassification({
      split: 'train',
      target: 'digit',
      groups: [
        { name: 'even', block: 'isOdd', equals: 0 },
        { name: 'odd', block: 'isOdd', equals: 1 },
      ],
    }),
    seeds: [0],
    variants: { masked: {} },
    ...overrides,
  });
