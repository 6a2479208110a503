import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { sha256Hex } from '@losslab/runtime';
import { writeFileAtomic } from '@losslab/schema/files';

/**
 * A trained model in the TF.js Layers format, in a run folder: `model.json` (topology and weights
 * manifest) and `weights.bin`, loadable with `tf.loadLayersModel`. Written with a small IO
 * handler, since tfjs-node's `file://` scheme is absent on the wasm and cpu backends.
 */

export const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** A saved file, relative to the run folder, with the sha256 of its bytes. */
export interface SavedFile {
  readonly path: string;
  readonly sha256: string;
}

/** Saves `model` into `folder` (each file atomically); returns the files written. */
export async function saveModel(model: tfl.LayersModel, folder: string): Promise<SavedFile[]> {
  let files: SavedFile[] = [];
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData;
      if (weightData === undefined || Array.isArray(weightData))
        throw new Error('saveModel: expected the weights as one buffer');
      const weights = new Uint8Array(weightData);
      const modelJson = `${JSON.stringify({
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      })}\n`;
      await writeFileAtomic(join(folder, WEIGHTS_FILE), weights);
      await writeFileAtomic(join(folder, MODEL_FILE), modelJson);
      files = [
        { path: MODEL_FILE, sha256: sha256Hex(modelJson) },
        { path: WEIGHTS_FILE, sha256: sha256Hex(weights) },
      ];
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files;
}

/**
 * Loads a model saved by {@link saveModel} (custom losslab layers need `@losslab/models`, which
 * this package imports).
 *
 * @example const model = await loadModel('runs/mnist-odd/<run-id>');
 */
export async function loadModel(folder: string): Promise<tfl.LayersModel> {
  const manifest = JSON.parse(await readFile(join(folder, MODEL_FILE), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weights = await readFile(join(folder, WEIGHTS_FILE));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: manifest.modelTopology,
      weightSpecs: manifest.weightsManifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
}
