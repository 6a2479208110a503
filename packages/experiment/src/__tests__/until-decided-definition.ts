// The tiny definition of the --until-decided tests (until-decided.test.ts, and through the queue in
// queue.test.ts): two learning rates whose difference is decided too small to matter after a few looks.
/** Two learning rates of a tiny MLP on 128 MNIST images, 3 declared seeds, one primary metric. */
export const UNTIL_DECIDED_DEFINITION = `import { adam, categoricalCrossentropy, classification, defineExperiment, mlp, mnist, oneHot } from '@losslab/experiment';

export default defineExperiment({
  name: 'until-decided',
  description: 'two learning rates of a tiny MLP on 128 MNIST images',
  data: mnist({ limit: 128 }),
  labels: { digit: oneHot(10) },
  model: mlp({ hidden: [{ units: 8, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam({ learningRate: 0.01 }),
  train: { epochs: 1, batchSize: 64 },
  evaluation: classification({ split: 'train', target: 'digit' }),
  seeds: [0, 1, 2],
  variants: { base: {}, slower: { optimizer: adam({ learningRate: 0.009 }) } },
  report: { primary: [{ metric: 'accuracy', direction: 'higher' }] },
});
`;
