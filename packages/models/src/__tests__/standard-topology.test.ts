import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { isLosslabError } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import { createLstmClassifier, fusedLstmTopology, standardTopology, type LstmClassifierSpec } from '../index.js';

// [6 timesteps, 3 features] → LSTM 5 (sequences) → dropout → LSTM 4 → dropout → dense 3 softmax
const spec: LstmClassifierSpec = {
  inputShape: [6, 3],
  layers: [{ units: 5 }, { units: 4 }],
  dropout: 0.3,
  output: { units: 3, activation: 'softmax' },
};

/** The artifacts `model.save` hands to its IO handler. */
async function artifactsOf(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  return saved!;
}

const load = (artifacts: tf.io.ModelArtifacts, modelTopology: unknown): Promise<tfl.LayersModel> =>
  tfl.loadLayersModel(tf.io.fromMemory({ ...artifacts, modelTopology: modelTopology as object }));

const predictions = (model: tfl.LayersModel, x: tf.Tensor): Float32Array =>
  tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);

describe('standardTopology', () => {
  for (const backend of TEST_BACKENDS) {
    it(`writes FusedLstm as tfjs' LSTM and SeededDropout as Dropout, predicting the same within float32 rounding (${backend})`, async () => {
      await useBackend(backend);
      const fused = createLstmClassifier(spec, 11);
      // weights away from the initial ones (zero-ish biases), so every gate and weight matters
      tf.tidy(() =>
        fused.setWeights(
          fused.getWeights().map((w, i) => tf.add(w, tf.randomNormal(w.shape, 0, 0.3, 'float32', i + 1))),
        ),
      );
      const artifacts = await artifactsOf(fused);
      const { topology, fusedLstmLayers } = standardTopology(artifacts.modelTopology);
      expect(JSON.stringify(topology)).not.toContain('"class_name":"Losslab');

      const standard = await load(artifacts, topology);
      expect(standard.layers.map((layer) => layer.getClassName())).toEqual([
        'LSTM',
        'Dropout',
        'LSTM',
        'Dropout',
        'Dense',
      ]);
      expect(fusedLstmLayers).toEqual([fused.layers[0]!.name, fused.layers[2]!.name]);

      const x = tf.randomNormal([8, 6, 3], 0, 1, 'float32', 5);
      const expected = predictions(fused, x);
      const found = predictions(standard, x);
      expect(found.length).toBe(8 * 3);
      found.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
      // the predictions differ between samples, so equal outputs are not a constant's
      expect(Math.abs(expected[0]! - expected[3]!)).toBeGreaterThan(1e-3);

      // and losslab's own loading gets its FusedLstm back, computing exactly what the run computed
      const again = await load(artifacts, fusedLstmTopology(topology, fusedLstmLayers));
      expect(again.layers.map((layer) => layer.getClassName())).toEqual([
        'LosslabFusedLstm',
        'Dropout',
        'LosslabFusedLstm',
        'Dropout',
        'Dense',
      ]);
      expect(predictions(again, x)).toEqual(expected);
      [fused, standard, again].forEach((model) => model.dispose());
      x.dispose();
    });
  }

  it('leaves a topology without losslab layers unchanged', () => {
    const dense = { class_name: 'Dense', config: { name: 'dense_1', units: 2 } };
    const topology = { class_name: 'Sequential', config: { name: 's', layers: [dense] } };
    expect(standardTopology(topology)).toEqual({ topology, fusedLstmLayers: [], customLayers: [] });
  });

  it('refuses a losslab layer it cannot write as a standard one, naming where it is', () => {
    const topology = {
      class_name: 'Sequential',
      config: { layers: [{ class_name: 'LosslabSomethingNew', config: { name: 'new_1' } }] },
    };
    const error = thrownBy(() => standardTopology(topology));
    expect(isLosslabError(error)).toBe(true);
    expect(error.message).toContain(
      'modelTopology.config.layers[0]: layer class "LosslabSomethingNew" (layer "new_1")',
    );
  });
});
