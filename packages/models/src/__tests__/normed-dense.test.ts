import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { isLosslabError, liveTensorCount } from '@losslab/runtime';
import { numericGradient, TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { describe, expect, it } from 'vitest';
import { createMlp, createNormedMlp, NormedDense, standardTopology, type MlpSpec } from '../index.js';

// [2, 3] inputs → dense 4 relu → normed 3
const spec: MlpSpec = {
  inputShape: [2, 3],
  hidden: [{ units: 4, activation: 'relu' }],
  output: { units: 3, activation: 'linear' },
};

const values = (model: tfl.LayersModel): number[][] => model.getWeights().map((w) => Array.from(w.dataSync()));

/** cos(x_i, W_:j) by hand, in float64. */
function cosines(x: number[][], kernel: number[][]): number[] {
  const units = kernel[0]!.length;
  return x.flatMap((row) =>
    Array.from({ length: units }, (_, j) => {
      const column = kernel.map((weights) => weights[j]!);
      const dot = row.reduce((sum, value, i) => sum + value * column[i]!, 0);
      return dot / (Math.hypot(...row) * Math.hypot(...column));
    }),
  );
}

describe.each(TEST_BACKENDS)('normedDense on %s', (backend) => {
  it('outputs the cosine of each sample with each class column: x/‖x‖ · W/‖W‖, no bias', async () => {
    await useBackend(backend);
    const layer = new NormedDense({ units: 2, inputShape: [3] });
    const model = tfl.sequential({ layers: [layer] });
    const kernel = [
      [1, 0],
      [2, -1],
      [0, 3],
    ];
    model.setWeights([tf.tensor2d(kernel)]);
    expect(model.getWeights()).toHaveLength(1);
    const x = [
      [3, 4, 0],
      [-1, 0.5, 2],
      [10, 20, 30],
    ];
    const before = liveTensorCount();
    const found = tf.tidy(() => Array.from((model.predict(tf.tensor2d(x)) as tf.Tensor).dataSync()));
    expect(liveTensorCount()).toBe(before);
    const expected = cosines(x, kernel);
    found.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
    // scaling a sample or a class column changes nothing (a plain dense layer's output would scale)
    const scaled = tf.tidy(() => Array.from((model.predict(tf.tensor2d([[30, 40, 0]])) as tf.Tensor).dataSync()));
    scaled.forEach((value, i) => expect(value).toBeCloseTo(found[i]!, 6));
    // a zero sample gives 0, not NaN (the norm is floored as F.normalize floors it)
    const zero = tf.tidy(() => Array.from((model.predict(tf.tensor2d([[0, 0, 0]])) as tf.Tensor).dataSync()));
    expect(zero).toEqual([0, 0]);
    model.dispose();
  });

  it('its gradients w.r.t. input and kernel match finite differences', async () => {
    await useBackend(backend);
    const layer = new NormedDense({ units: 2, inputShape: [3] });
    const model = tfl.sequential({ layers: [layer] });
    const kernel = [0.5, -0.3, 0.2, 0.8, -0.6, 0.1];
    model.setWeights([tf.tensor2d(kernel, [3, 2])]);
    const x = [0.4, -0.7, 0.9];
    // a weighted sum of the outputs, so every output column matters
    const objective = (input: tf.Tensor2D): tf.Scalar =>
      tf.sum(tf.mul(model.apply(input) as tf.Tensor2D, tf.tensor1d([1.5, -2])));
    const analytic = tf.tidy(() =>
      Array.from(
        tf
          .grad((input: tf.Tensor) => objective(input as tf.Tensor2D))(tf.tensor2d([x]))
          .dataSync(),
      ),
    );
    const numeric = numericGradient(
      (point) => tf.tidy(() => objective(tf.tensor2d(Float32Array.from(point), [1, 3])).dataSync()[0]!),
      x,
      1e-2,
    );
    analytic.forEach((value, i) => expect(value).toBeCloseTo(numeric[i]!, 2));
    // LayerVariable.read() returns its tf.Variable, typed as a plain Tensor.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const variable = model.trainableWeights[0]!.read() as tf.Variable;
    const kernelGradient = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => objective(tf.tensor2d([x])), [variable]);
      return Array.from(grads[variable.name]!.dataSync());
    });
    const numericKernel = numericGradient(
      (point) =>
        tf.tidy(() => {
          const input = tf.tensor2d([x]);
          const w = tf.tensor2d(Float32Array.from(point), [3, 2]);
          const xn = tf.div(input, tf.norm(input, 'euclidean', 1, true));
          const wn = tf.div(w, tf.norm(w, 'euclidean', 0, true));
          return tf.sum(tf.mul(tf.matMul(xn, wn), tf.tensor1d([1.5, -2]))).dataSync()[0]!;
        }),
      kernel,
      1e-2,
    );
    kernelGradient.forEach((value, i) => expect(value).toBeCloseTo(numericKernel[i]!, 2));
    expect(Math.max(...kernelGradient.map(Math.abs))).toBeGreaterThan(0.01);
    model.dispose();
  });
});

describe('createNormedMlp', () => {
  it('is seeded: the same seed gives the same weights, its hidden layers equal createMlp’s', async () => {
    await useBackend('cpu');
    const normed = createNormedMlp(spec, 7);
    const again = createNormedMlp(spec, 7);
    const other = createNormedMlp(spec, 8);
    const plain = createMlp(spec, 7);
    expect(normed.layers.map((layer) => layer.getClassName())).toEqual(['Flatten', 'Dense', 'LosslabNormedDense']);
    expect(values(again)).toEqual(values(normed));
    expect(values(other)).not.toEqual(values(normed));
    // kernel and bias of the hidden layer, then the output kernel seeded as createMlp's output kernel
    const [hiddenKernel, hiddenBias, outputKernel] = values(normed);
    const [plainKernel, plainBias, plainOutput] = values(plain);
    expect([hiddenKernel, hiddenBias, outputKernel]).toEqual([plainKernel, plainBias, plainOutput]);
    const out = tf.tidy(() =>
      Array.from((normed.predict(tf.randomNormal([5, 2, 3], 0, 1, 'float32', 3)) as tf.Tensor).dataSync()),
    );
    expect(out).toHaveLength(15);
    out.forEach((value) => expect(Math.abs(value)).toBeLessThanOrEqual(1 + 1e-6));
    [normed, again, other, plain].forEach((model) => model.dispose());
  });

  it('refuses a non-linear output activation, naming it', () => {
    const error = thrownBy(() => createNormedMlp({ ...spec, output: { units: 3, activation: 'softmax' } }, 1));
    expect(isLosslabError(error) && error.message).toMatch(
      /normed output gives cosine logits.*"linear", got "softmax"/,
    );
  });

  it('saves: standardTopology keeps the layer and names the module to import; it loads back and predicts the same', async () => {
    await useBackend('cpu');
    const model = createNormedMlp({ ...spec, inputShape: [3], hidden: [] }, 5);
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((saved) => {
        artifacts = saved;
        return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
      }),
    );
    const { topology, customLayers } = standardTopology(artifacts!.modelTopology);
    expect(customLayers).toEqual([{ className: 'LosslabNormedDense', module: '@losslab/models' }]);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory({ ...artifacts!, modelTopology: topology }));
    expect(loaded.layers.map((layer) => layer.getClassName())).toEqual(['LosslabNormedDense']);
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0, 0.5],
    ]);
    const predict = (m: tfl.LayersModel) => tf.tidy(() => Array.from((m.predict(x) as tf.Tensor).dataSync()));
    expect(predict(loaded)).toEqual(predict(model));
    [model, loaded, x].forEach((item) => item.dispose());
  });
});
