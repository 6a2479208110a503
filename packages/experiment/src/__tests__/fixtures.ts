import {
  adam,
  binaryDetection,
  blinkStream,
  categoricalCrossentropy,
  lstm,
  meanAbsoluteError,
  sliced,
  weighted,
  defineExperiment,
  flag,
  oneHot,
  classification,
  masked,
  mlp,
  mnist,
  type ExperimentDefinition,
} from '../index.js';

/** A tiny mnist-odd: 256 images, 1 epoch. Small enough for tests, real data all the same. */
export const tinyMnistOdd = (overrides: Partial<ExperimentDefinition> = {}): ExperimentDefinition =>
  defineExperiment({
    name: 'tiny-mnist-odd',
    description: 'test fixture',
    data: mnist({ limit: 256 }),
    labels: { digit: oneHot(10), isOdd: flag([1, 3, 5, 7, 9]) },
    model: mlp({ hidden: [{ units: 8, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }),
    loss: masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' }),
    optimizer: adam(),
    train: { epochs: 1, batchSize: 64 },
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
    ...overrides,
  });

/** A tiny blink: one short synthetic subject per split, a 4-unit LSTM, 2 epochs. */
export const tinyBlink = (): ExperimentDefinition =>
  defineExperiment({
    name: 'tiny-blink',
    description: 'test fixture',
    data: blinkStream({
      windowLength: 9,
      stride: 3,
      durationSeconds: 40,
      subjects: { train: 1, validation: 1, test: 1 },
      dataSeed: 1,
    }),
    labels: { class: oneHot(['other', 'blink']) },
    model: lstm({ layers: [{ units: 4 }], output: { units: 2, activation: 'softmax' } }),
    loss: sliced(meanAbsoluteError(), { target: 'class' }),
    optimizer: adam({ learningRate: 0.01 }),
    train: { epochs: 2, batchSize: 32 },
    evaluation: binaryDetection({
      split: 'test',
      validationSplit: 'validation',
      target: 'class',
      positiveClass: 1,
      positiveName: 'blink',
    }),
    seeds: [0],
    variants: {
      'sample-weighted': {
        loss: weighted(meanAbsoluteError(), { per: 'sample', target: 'class', classWeights: { kind: 'inverse' } }),
      },
    },
  });

/**
 * The start of a plain Node ESM script with no losslab inside: it loads the saved model of the run
 * folder given as its first argument with TF.js alone (cpu) into `model`; its second argument is
 * a JSON data file (`dataFile`) that the rest of the script reads.
 */
export const TFJS_ONLY_MODEL_LOADER = `
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
const [folder, dataFile] = process.argv.slice(1);
await tf.setBackend('cpu');
const manifest = JSON.parse(readFileSync(folder + '/model.json', 'utf8'));
const weights = readFileSync(folder + '/weights.bin');
const model = await tfl.loadLayersModel(tf.io.fromMemory({
  modelTopology: manifest.modelTopology,
  weightSpecs: manifest.weightsManifest.flatMap((group) => group.weights),
  weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
}));
`;
