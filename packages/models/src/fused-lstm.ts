import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { LosslabError } from '@losslab/runtime';
import type { Initializer } from './seeds';

/**
 * A whole LSTM sequence as one differentiable op with a hand-written backward pass.
 *
 * Why: tfjs-layers' LSTM runs ~17 recorded ops per time step and autodiff adds ~40 more in the
 * backward pass; at the sizes losslab trains (32 units, batch 64) each op costs far more in
 * dispatch than in arithmetic. Here the forward pass runs unrecorded inside `tf.customGrad`
 * (one matMul for every step's input projection, then per step: one matMul, sigmoid and tanh of
 * all four gates at once, four slices, five element-wise ops), and the backward pass needs
 * ~20 ops per step, with the weight gradients of all steps in three matMuls at the end.
 *
 * Math (Keras/tfjs gate order i, f, c, o; sigmoid gates, tanh activation, zero initial state):
 * z_t = x_t·W + b + h_{t−1}·U; i, f, o = σ(z_i, z_f, z_o); g = tanh(z_c);
 * c_t = f ⊙ c_{t−1} + i ⊙ g; h_t = o ⊙ tanh(c_t).
 * Equal to tfjs' LSTM up to float32 summation order (a test compares both).
 *
 * Shapes: x [batch, steps, features], kernel [features, 4u], recurrent [u, 4u], bias [4u] →
 * [batch, u] (last h) or [batch, steps, u] with `returnSequences`.
 *
 * @example
 * const h = lstmSequence(x, kernel, recurrentKernel, bias, false); // [batch, units]
 */
export function lstmSequence(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrent: tf.Tensor2D,
  bias: tf.Tensor1D,
  returnSequences: boolean,
): tf.Tensor {
  const [batch, steps, features] = x.shape;
  const units = recurrent.shape[0];
  if (
    kernel.shape[0] !== features ||
    kernel.shape[1] !== 4 * units ||
    recurrent.shape[1] !== 4 * units ||
    bias.shape[0] !== 4 * units
  ) {
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `lstmSequence: expected kernel [${features}, ${4 * units}], recurrent [${units}, ${4 * units}], bias [${4 * units}], got [${kernel.shape.join(', ')}], [${recurrent.shape.join(', ')}], [${bias.shape.join(', ')}]`,
    );
  }
  // tf.slice rather than tf.unstack: the wasm Unpack kernel copies all of its input per step.
  const timeSteps = (t: tf.Tensor3D): tf.Tensor2D[] =>
    Array.from({ length: t.shape[0] }, (_, i) =>
      tf.reshape(tf.slice(t, [i, 0, 0], [1, t.shape[1], t.shape[2]]), [t.shape[1], t.shape[2]]),
    );
  const sliceGate = (t: tf.Tensor2D, gate: number): tf.Tensor2D => tf.slice(t, [0, gate * units], [batch, units]);
  const run = tf.customGrad((...args: (tf.Tensor | ((saved: tf.Tensor[]) => void))[]) => {
    const [xIn, kernelIn, recurrentIn, biasIn] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[4] as (saved: tf.Tensor[]) => void;
    // Time-major rows: row t·batch + b is sample b at step t.
    const xRows = tf.reshape(tf.transpose(xIn, [1, 0, 2]), [steps * batch, features]) as tf.Tensor2D;
    const projected = tf.reshape(tf.add(tf.matMul(xRows, kernelIn), biasIn), [steps, batch, 4 * units]) as tf.Tensor3D;
    const inputs = timeSteps(projected);
    let h = tf.zeros([batch, units]) as tf.Tensor2D;
    let c = tf.zeros([batch, units]) as tf.Tensor2D;
    const sigmoids: tf.Tensor2D[] = [];
    const tanhs: tf.Tensor2D[] = [];
    const cells: tf.Tensor2D[] = [];
    const hiddens: tf.Tensor2D[] = [];
    for (let t = 0; t < steps; t++) {
      const z = tf.add<tf.Tensor2D>(inputs[t]!, tf.matMul(h, recurrentIn));
      const s = tf.sigmoid<tf.Tensor2D>(z);
      const th = tf.tanh<tf.Tensor2D>(z);
      c = tf.add<tf.Tensor2D>(tf.mul(sliceGate(s, 1), c), tf.mul(sliceGate(s, 0), sliceGate(th, 2)));
      h = tf.mul<tf.Tensor2D>(sliceGate(s, 3), tf.tanh(c));
      sigmoids.push(s);
      tanhs.push(th);
      cells.push(c);
      hiddens.push(h);
    }
    const sequence = tf.stack(hiddens) as tf.Tensor3D; // [steps, batch, units]
    save([xRows, tf.stack(sigmoids), tf.stack(tanhs), tf.stack(cells), sequence]);
    const value = returnSequences ? tf.transpose(sequence, [1, 0, 2]) : h;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [rows, sAll, thAll, cAll, hAll] = saved as [
        tf.Tensor2D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor3D,
      ];
      const S = timeSteps(sAll);
      const TH = timeSteps(thAll);
      const C = timeSteps(cAll);
      const dySteps = returnSequences ? timeSteps(tf.transpose(dy as tf.Tensor3D, [1, 0, 2])) : undefined;
      const recurrentT = tf.transpose(recurrentIn);
      // Gate derivatives: σ' = s(1 − s) for i, f, o; tanh' = 1 − th² for c.
      const isCellGate = tf.tile(
        tf.concat([tf.zeros([1, 2 * units], 'bool'), tf.ones([1, units], 'bool'), tf.zeros([1, units], 'bool')], 1),
        [batch, 1],
      );
      let dh: tf.Tensor2D = dySteps ? dySteps[steps - 1]! : (dy as tf.Tensor2D);
      let dc: tf.Tensor2D | undefined;
      const dz: tf.Tensor2D[] = new Array<tf.Tensor2D>(steps);
      for (let t = steps - 1; t >= 0; t--) {
        const s = S[t]!;
        const th = TH[t]!;
        const tc = tf.tanh(C[t]!);
        const o = sliceGate(s, 3);
        const dcHere = tf.mul(tf.mul(dh, o), tf.sub(1, tf.square(tc)));
        const dcT = dc === undefined ? dcHere : tf.add(dc, dcHere);
        const i = sliceGate(s, 0);
        const g = sliceGate(th, 2);
        const df = t > 0 ? tf.mul(dcT, C[t - 1]!) : tf.zerosLike(dcT);
        const dGates = tf.concat([tf.mul(dcT, g), df, tf.mul(dcT, i), tf.mul(dh, tc)], 1);
        const derivative = tf.where(isCellGate, tf.sub(1, tf.square(th)), tf.mul(s, tf.sub(1, s)));
        dz[t] = tf.mul<tf.Tensor2D>(dGates, derivative);
        dc = tf.mul<tf.Tensor2D>(dcT, sliceGate(s, 1));
        if (t > 0) {
          dh = tf.matMul(dz[t]!, recurrentT) as tf.Tensor2D;
          if (dySteps) dh = tf.add<tf.Tensor2D>(dh, dySteps[t - 1]!);
        }
      }
      const dzRows = tf.reshape(tf.stack(dz), [steps * batch, 4 * units]) as tf.Tensor2D;
      const previous = tf.reshape(
        tf.concat([tf.zeros([1, batch, units]), tf.slice(hAll, [0, 0, 0], [steps - 1, batch, units])], 0),
        [steps * batch, units],
      ) as tf.Tensor2D;
      const dKernel = tf.matMul(tf.transpose(rows), dzRows);
      const dRecurrent = tf.matMul(tf.transpose(previous), dzRows);
      const dBias = tf.sum(dzRows, 0);
      const dx = tf.transpose(
        tf.reshape(tf.matMul(dzRows, tf.transpose(kernelIn)), [steps, batch, features]),
        [1, 0, 2],
      );
      return [dx, dKernel, dRecurrent, dBias];
    };
    return { value, gradFunc };
  });
  return run(x, kernel, recurrent, bias);
}

/** Constructor arguments of {@link FusedLstm}: tfjs' LSTM arguments that losslab uses. */
export interface FusedLstmArgs {
  readonly units: number;
  readonly returnSequences?: boolean;
  readonly inputShape?: number[];
  readonly kernelInitializer?: Initializer;
  readonly name?: string;
}

/**
 * An LSTM layer computed by {@link lstmSequence}, with tfjs' LSTM weights (`kernel` [f, 4u],
 * `recurrent_kernel` [u, 4u], `bias` [4u], gate order i, f, c, o), sigmoid gates and tanh
 * activation. Not registered for serialisation (losslab never saves models as JSON).
 */
export class FusedLstm extends tfl.layers.Layer {
  static readonly className = 'LosslabFusedLstm';
  readonly units: number;
  readonly returnSequences: boolean;
  private readonly kernelInitializer: Initializer | undefined;
  private kernel?: tfl.LayerVariable;
  private recurrentKernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: FusedLstmArgs) {
    super({
      ...(args.name === undefined ? {} : { name: args.name }),
      ...(args.inputShape === undefined ? {} : { inputShape: args.inputShape }),
    });
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.kernelInitializer = args.kernelInitializer;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const features = shape[shape.length - 1]!;
    const units = this.units;
    this.kernel = this.addWeight(
      'kernel',
      [features, 4 * units],
      'float32',
      this.kernelInitializer ?? tfl.initializers.glorotUniform({}),
    );
    this.recurrentKernel = this.addWeight('recurrent_kernel', [units, 4 * units], 'float32', tfl.initializers.zeros());
    this.bias = this.addWeight('bias', [4 * units], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return this.returnSequences ? [shape[0]!, shape[1]!, this.units] : [shape[0]!, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
    return lstmSequence(
      x,
      this.kernel!.read() as tf.Tensor2D,
      this.recurrentKernel!.read() as tf.Tensor2D,
      this.bias!.read() as tf.Tensor1D,
      this.returnSequences,
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, returnSequences: this.returnSequences };
  }
}
