import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { wasmMatMulKernelsInstalled } from '@losslab/runtime';
import { denseGemm, gemmFits, reluBackward, reluBackwardFits } from './wasm-gemm.js';

/** Hidden-layer activations whose derivative {@link DenseStack} computes from the layer's output. */
type ElementwiseActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh';
const ELEMENTWISE: readonly string[] = ['linear', 'relu', 'sigmoid', 'tanh'] satisfies ElementwiseActivation[];

interface DenseLayerWeights {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly activation: string;
}

/** What {@link DenseStack.forward} keeps for {@link DenseStack.backward}: each layer's input. */
export interface DenseActivations {
  /** Input of layer i (the flattened model input for i = 0, the previous layer's output after it). */
  readonly inputs: readonly tf.Tensor2D[];
}

/**
 * A sequential model of dense layers (after an optional `Flatten`) trained without autodiff:
 * {@link forward} gives the last layer's pre-activation (its logits) and {@link backward} turns
 * the gradient w.r.t. those logits into every weight's gradient with hand-written formulas —
 * dW = inputᵀ·dz, db = Σ_rows dz, d input = dz·Wᵀ, then the activation's derivative from the
 * layer's output (relu: step(y); sigmoid: y(1 − y); tanh: 1 − y²) — the ops tfjs' gradients of
 * `fused.matMul` and the activations run, without the tape's Identity, Reshape and Cast kernels.
 * The last layer's activation is left to the caller (a fused loss owns the softmax).
 *
 * On wasm with losslab's matMul kernels installed, the matMuls whose shapes it tiles (a layer's
 * forward pass with its bias and relu, and dW = inputᵀ·dz) run as `denseGemm`, which reads both
 * operands in place (no XNNPACK weight packing, no transpose of the input), and a relu's
 * derivative with the bias gradient as `reluBackward`; d input = dz·Wᵀ takes the
 * explicit-transpose kernels, which transpose inside the kernel before XNNPACK multiplies. With the stock kernels a transposed operand is transposed with `tf.transpose`
 * first, because the stock transposed matMul is a scalar loop.
 */
export class DenseStack {
  constructor(
    private readonly layers: readonly DenseLayerWeights[],
    /** The last layer's activation, applied by the caller. */
    readonly outputActivation: string,
  ) {}

  /** The trainable variables, in the model's order (kernel, bias per layer). */
  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.kernel, l.bias]);
  }

  /** The last layer's logits `[batch, units]` and the activations {@link backward} needs. Not recorded by any tape. */
  forward(x: tf.Tensor): { logits: tf.Tensor2D; activations: DenseActivations } {
    const inputs: tf.Tensor2D[] = [];
    let h: tf.Tensor2D = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [x.shape[0], -1]);
    const last = this.layers.length - 1;
    this.layers.forEach((layer, i) => {
      inputs.push(h);
      const fusable = i < last && (layer.activation === 'relu' || layer.activation === 'linear');
      const z = denseKernel(h, layer, fusable ? layer.activation : 'linear', ownGemm());
      h =
        i === last || fusable
          ? z
          : layer.activation === 'sigmoid'
            ? tf.sigmoid<tf.Tensor2D>(z)
            : tf.tanh<tf.Tensor2D>(z);
    });
    return { logits: h, activations: { inputs } };
  }

  /**
   * The gradients of every variable (in {@link variables}' order) from `logitGradient`, the
   * gradient w.r.t. the last layer's logits; `lastBiasGradient`, when given, is that layer's
   * bias gradient already summed (on the host, by the caller).
   */
  backward(activations: DenseActivations, logitGradient: tf.Tensor2D, lastBiasGradient?: tf.Tensor1D): tf.Tensor[] {
    const grads: tf.Tensor[] = new Array<tf.Tensor>(this.layers.length * 2);
    const explicit = tf.getBackend() === 'wasm' && !wasmMatMulKernelsInstalled();
    const gemm = ownGemm();
    const inputTimes = (input: tf.Tensor2D, dz: tf.Tensor2D): tf.Tensor2D =>
      gemm && gemmFits(input, dz, true)
        ? denseGemm(input, dz, { transposeA: true })
        : explicit
          ? tf.matMul(tf.transpose(input), dz)
          : tf.matMul(input, dz, true, false);
    const timesKernel = (dz: tf.Tensor2D, kernel: tf.Tensor2D): tf.Tensor2D =>
      explicit ? tf.matMul(dz, tf.transpose(kernel)) : tf.matMul(dz, kernel, false, true);
    let dz = logitGradient;
    // The bias gradient of layer i when it came with dz (the caller's, or reluBackward's).
    let biasGradient: tf.Tensor | undefined = lastBiasGradient;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!;
      const input = activations.inputs[i]!;
      grads[2 * i] = inputTimes(input, dz);
      grads[2 * i + 1] = biasGradient ?? tf.sum(dz, 0);
      biasGradient = undefined;
      if (i === 0) break;
      const dh = timesKernel(dz, layer.kernel as tf.Tensor2D);
      // `input` is the previous layer's output y: its activation's derivative comes from y.
      switch (this.layers[i - 1]!.activation) {
        case 'relu':
          if (gemm && reluBackwardFits(dh, input)) [dz, biasGradient] = reluBackward(dh, input);
          else dz = tf.mul(dh, tf.step(input));
          break;
        case 'sigmoid':
          dz = tf.mul(dh, tf.mul(input, tf.sub(1, input)));
          break;
        case 'tanh':
          dz = tf.mul(dh, tf.sub(1, tf.square(input)));
          break;
        default:
          dz = dh;
      }
    }
    return grads;
  }
}

/** Whether {@link denseGemm} may replace matMuls: on wasm while losslab's matMul kernels are installed (`fastMatMul`). */
const ownGemm = (): boolean => tf.getBackend() === 'wasm' && wasmMatMulKernelsInstalled();

/**
 * `input·kernel + bias` and the activation in one kernel: {@link denseGemm} where `gemm` is on and
 * the shapes fit, else `_FusedMatMul` as `tf.fused.matMul` (which tfjs-layers' Dense calls) runs
 * it, without that op's gradient wrapper: nothing here is recorded by a tape. `_FusedMatMul`
 * takes rank-3 operands; the reshapes are views.
 */
function denseKernel(
  input: tf.Tensor2D,
  layer: DenseLayerWeights,
  activation: 'relu' | 'linear',
  gemm: boolean,
): tf.Tensor2D {
  const kernel = layer.kernel as tf.Tensor2D;
  if (gemm && gemmFits(input, kernel, false))
    return denseGemm(input, kernel, { bias: layer.bias as tf.Tensor1D, relu: activation === 'relu' });
  const [rows, columns] = [input.shape[0], layer.kernel.shape[1]!];
  const out = tf.engine().runKernel<tf.Tensor>(
    '_FusedMatMul',
    {
      a: tf.reshape(input, [1, ...input.shape]),
      b: tf.reshape(layer.kernel, [1, ...layer.kernel.shape]),
      bias: layer.bias,
    },
    { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0.2 },
  );
  return tf.reshape(out, [rows, columns]);
}

/** A layer's config entry, or undefined. */
const configOf = (layer: tfl.layers.Layer): Record<string, unknown> => layer.getConfig();

/**
 * The {@link DenseStack} of `model` when it is a `Sequential` of dense layers only (an optional
 * `Flatten` first; every layer trainable, with a bias, no regularizer or constraint; hidden
 * activations linear, relu, sigmoid or tanh), else undefined (train it the straightforward way).
 * `createMlp` builds such models.
 *
 * @example
 * const stack = denseStackOf(createMlp({ inputShape: [784], hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'softmax' } }, 0));
 * stack?.outputActivation; // 'softmax'
 */
export function denseStackOf(model: tfl.LayersModel): DenseStack | undefined {
  if (model.getClassName() !== 'Sequential') return undefined;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const dense = layers[0]?.getClassName() === 'Flatten' ? layers.slice(1) : layers;
  if (dense.length === 0) return undefined;
  const weights: DenseLayerWeights[] = [];
  for (const layer of dense) {
    if (layer.getClassName() !== 'Dense' || !layer.trainable) return undefined;
    const config = configOf(layer);
    const unset = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'];
    if (config.useBias !== true || unset.some((key) => config[key] != null)) return undefined;
    const [kernel, bias] = layer.trainableWeights;
    if (layer.trainableWeights.length !== 2 || kernel === undefined || bias === undefined) return undefined;
    // LayerVariable.read() returns its tf.Variable, typed as a plain Tensor.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    const variables = [kernel.read() as tf.Variable, bias.read() as tf.Variable];
    if (variables[0]!.rank !== 2 || variables[1]!.rank !== 1) return undefined;
    weights.push({ kernel: variables[0]!, bias: variables[1]!, activation: String(config.activation) });
  }
  if (weights.slice(0, -1).some((l) => !ELEMENTWISE.includes(l.activation))) return undefined;
  const stack = new DenseStack(weights, weights[weights.length - 1]!.activation);
  const trainable = model.trainableWeights.map((w) => w.read().id);
  const ours = stack.variables.map((v) => v.id);
  if (trainable.length !== ours.length || trainable.some((id, i) => id !== ours[i])) return undefined;
  return stack;
}
