import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fusedLstmTopology, standardTopology, type CustomLayer } from '@losslab/models';
import { sha256Hex } from '@losslab/runtime';
import { writeFileAtomic } from '@losslab/schema/files';
import { readRunFile } from './run-files.js';

/**
 * A trained model in the TF.js Layers format, in a run folder: `model.json` (topology and weights
 * manifest) and `weights.bin`, loadable with `tf.loadLayersModel` in a process that imports only
 * TF.js: losslab's layers are written as tfjs' own (`standardTopology`: FusedLstm as `LSTM`,
 * SeededDropout as `Dropout`, same weights). A normed (cosine) output layer has no TF.js
 * equivalent: such a model loads after `import '@losslab/models'`, which model.json's
 * `userDefinedMetadata.losslab.customLayers` names. Written with a small IO handler, since tfjs-node's
 * `file://` scheme is absent on the wasm and cpu backends.
 */

export const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

/** What model.json's `userDefinedMetadata` (a TF.js field) holds for losslab's own loading. */
interface LosslabMetadata {
  readonly losslab?: {
    readonly fusedLstmLayers?: readonly string[];
    /** Layer classes plain TF.js lacks, with the module whose import registers each (NormedDense). */
    readonly customLayers?: readonly CustomLayer[];
  };
}

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
      const { topology, fusedLstmLayers, customLayers } = standardTopology(artifacts.modelTopology);
      // only when there is something to say, so a model without LSTMs saves the same bytes as before
      const metadata: LosslabMetadata | undefined =
        fusedLstmLayers.length > 0 || customLayers.length > 0
          ? {
              losslab: {
                ...(fusedLstmLayers.length > 0 ? { fusedLstmLayers } : {}),
                ...(customLayers.length > 0 ? { customLayers } : {}),
              },
            }
          : undefined;
      const modelJson = `${JSON.stringify({
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: topology,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
        ...(metadata === undefined ? {} : { userDefinedMetadata: metadata }),
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
 * The bytes of a saved model file, refused (naming it) when it is a symbolic link or, given the
 * record's files, when its sha256 is not the recorded one.
 */
async function readModelFile(folder: string, name: string, recorded?: readonly SavedFile[]): Promise<Buffer> {
  const path = join(folder, name);
  const bytes = await readRunFile(path);
  if (recorded === undefined) return bytes;
  const expected = recorded.find((file) => file.path === name)?.sha256;
  if (expected === undefined) throw new Error(`${path}: the run's record lists no sha256 for ${name}`);
  const found = sha256Hex(bytes);
  if (found !== expected)
    throw new Error(`${path}: sha256 expected ${expected} (the record's), found ${found}: not the file this run saved`);
  return bytes;
}

/** The two files of a saved model, read (and checked) but not yet loaded. */
export interface ModelFiles {
  readonly folder: string;
  readonly model: Buffer;
  readonly weights: Buffer;
}

/**
 * Reads `model.json` and `weights.bin` of `folder`, refusing a symbolic link and, given
 * `recorded` (the record's `model.files`), a file whose sha256 is not the recorded one, by name.
 */
export async function readModelFiles(folder: string, recorded?: readonly SavedFile[]): Promise<ModelFiles> {
  return {
    folder,
    model: await readModelFile(folder, MODEL_FILE, recorded),
    weights: await readModelFile(folder, WEIGHTS_FILE, recorded),
  };
}

/** The model in files read by {@link readModelFiles}; a failure names the files. */
export async function modelFromFiles(files: ModelFiles): Promise<tfl.LayersModel> {
  const { folder, weights } = files;
  try {
    const manifest = JSON.parse(files.model.toString('utf8')) as {
      modelTopology: object;
      weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
      userDefinedMetadata?: LosslabMetadata;
    };
    // the run's own layers again, so a re-evaluation computes exactly what the run computed
    const fusedLstmLayers = manifest.userDefinedMetadata?.losslab?.fusedLstmLayers ?? [];
    return await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: fusedLstmTopology(manifest.modelTopology, fusedLstmLayers) as object,
        weightSpecs: manifest.weightsManifest.flatMap((group) => group.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
  } catch (error) {
    throw new Error(
      `${join(folder, MODEL_FILE)} with ${WEIGHTS_FILE}: the model does not load (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/**
 * Loads a model saved by {@link saveModel}, its LSTMs as FusedLstm again (files of earlier runs,
 * which name losslab's layers, load too: this package imports `@losslab/models`). Given `recorded` (the record's `model.files`), each file's sha256 is
 * checked before anything is loaded, so a changed or swapped file is named instead of loaded.
 *
 * @example const model = await loadModel('runs/mnist-odd/<run-id>', record.model.files);
 */
export async function loadModel(folder: string, recorded?: readonly SavedFile[]): Promise<tfl.LayersModel> {
  return modelFromFiles(await readModelFiles(folder, recorded));
}
