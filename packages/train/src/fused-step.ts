import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { softmaxCrossentropyOnHost, type Loss, type ScalarReduction } from '@losslab/losses';
import { denseStackOf } from './dense-stack.js';

/** What `optimizer.computeGradients` returns: the loss and each variable's gradient by name. */
interface StepGradients {
  readonly value: tf.Scalar;
  readonly grads: tf.NamedTensorMap;
}

/** One training step's loss and gradients for a batch, or undefined when the batch does not fit (take the tensor path). */
export type FusedStep = (x: tf.Tensor, y: tf.Tensor2D) => StepGradients | undefined;

/** Backends whose tensors live in host memory, where reading the logits back is a memory copy. */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * The fused dense path: when `model` is a sequential stack of dense layers ending in softmax
 * (`createMlp`'s models) and `loss` is categorical cross-entropy, possibly sliced, masked or
 * sample-weighted (`loss.crossentropyTerms`), one training step runs without autodiff:
 * - forward: one matMul kernel (bias and relu included) per layer — on wasm `denseGemm`, elsewhere
 *   `_FusedMatMul` — then the logits are read back;
 * - the softmax, the loss, its reduction and the gradient w.r.t. the logits on the host
 *   (`softmaxCrossentropyOnHost`, a few µs for a [128, 10] batch);
 * - backward: per layer dW = inputᵀ·dz and dz·Wᵀ (two matMuls), the activation's derivative, and
 *   db = Σ dz (the output layer's on the host).
 * mnist-odd's step runs 6 kernels on wasm (14 on cpu, 6 of them `Reshape` views) instead of 125.
 * Results equal the straightforward path's up to float32 rounding (the fast-path tests compare both).
 *
 * Returns undefined (train the straightforward way) for any other model or loss, and on
 * backends other than cpu and wasm.
 *
 * @example
 * const step = fusedDenseStep(model, loss, 'sumOverBatchSize');
 * const { value, grads } = step?.(x, y) ?? optimizer.computeGradients(() => reduceLoss(loss, y, model.apply(x)));
 */
export function fusedDenseStep(model: tfl.LayersModel, loss: Loss, reduction: ScalarReduction): FusedStep | undefined {
  const terms = loss.crossentropyTerms;
  if (terms === undefined || !HOST_MEMORY_BACKENDS.has(tf.getBackend())) return undefined;
  const stack = denseStackOf(model);
  if (stack?.outputActivation !== 'softmax') return undefined;
  const names = stack.variables.map((v) => v.name);
  // The shape the model declares for one sample; anything else goes to model.apply, which names it.
  const sampleShape = model.inputs[0]?.shape.slice(1) ?? [];
  const fits = (x: tf.Tensor): boolean =>
    x.dtype === 'float32' && x.rank === sampleShape.length + 1 && sampleShape.every((d, i) => d === x.shape[i + 1]);
  return (x, y) => {
    if (!fits(x) || y.rank !== 2 || x.shape[0] !== y.shape[0]) return undefined;
    const [batch, labelWidth] = y.shape;
    let value: number | undefined;
    const grads = tf.tidy((): tf.NamedTensorMap | undefined => {
      const { logits, activations } = stack.forward(x);
      const classes = logits.shape[1];
      const host = softmaxCrossentropyOnHost(
        terms,
        logits.dataSync() as Float32Array,
        y.dataSync() as Float32Array,
        batch,
        classes,
        labelWidth,
        reduction,
      );
      if (host === undefined) return undefined;
      value = host.value;
      const dz = host.logitGradient;
      const biasGradient = new Float32Array(classes);
      for (let j = 0; j < classes; j++) {
        let sum = 0;
        for (let i = 0; i < batch; i++) sum += dz[i * classes + j]!;
        biasGradient[j] = sum;
      }
      const computed = stack.backward(activations, tf.tensor2d(dz, [batch, classes]), tf.tensor1d(biasGradient));
      return Object.fromEntries(computed.map((g, i) => [names[i]!, g]));
    });
    if (grads === undefined || value === undefined) return undefined;
    return { value: tf.scalar(value), grads };
  };
}
