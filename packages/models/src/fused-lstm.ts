import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { LosslabError } from '@losslab/runtime';
import type { Initializer } from './seeds.js';
import { LSTM_BACKWARD, LSTM_FORWARD, sequenceKernelsAvailable } from './lstm-kernels.js';

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
 * On the `wasm` and `cpu` backends (unless `kernels` is false) the recurrence runs in two
 * kernels of its own ({@link LSTM_FORWARD}, {@link LSTM_BACKWARD} in `lstm-kernels.ts`): one call
 * for all forward steps, one for all backward steps, each step's matMul the backend's own kernel
 * called directly — about 20 engine kernels per training step for the layer instead of ~760.
 * Elsewhere (tfjs-node, webgl), or with `kernels: false`, the steps are tfjs ops as described above.
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
  kernels = true,
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
  if (kernels && sequenceKernelsAvailable()) return lstmByKernels(x, kernel, recurrent, bias, returnSequences);
  // Per-step tensors stay [1, batch, width] (no reshapes): step t of a time-major [steps, batch,
  // width] tensor is one tf.slice (not tf.unstack, whose wasm kernel copies all of its input per step).
  const at = (t: tf.Tensor3D, step: number, start = 0, width = t.shape[2] - start): tf.Tensor3D =>
    tf.slice(t, [step, 0, start], [1, batch, width]);
  const gate = (t: tf.Tensor3D, index: number): tf.Tensor3D =>
    tf.slice(t, [0, 0, index * units], [t.shape[0], batch, units]);
  const run = tf.customGrad((...args: (tf.Tensor | ((saved: tf.Tensor[]) => void))[]) => {
    const [xIn, kernelIn, recurrentIn, biasIn] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[4] as (saved: tf.Tensor[]) => void;
    // Time-major rows: row t·batch + b is sample b at step t.
    const xRows = tf.reshape<tf.Rank.R2>(tf.transpose(xIn, [1, 0, 2]), [steps * batch, features]);
    const projected = tf.reshape<tf.Rank.R3>(tf.add(tf.matMul(xRows, kernelIn), biasIn), [steps, batch, 4 * units]);
    let h = tf.zeros<tf.Rank.R3>([1, batch, units]);
    let c = h;
    const sigmoids: tf.Tensor3D[] = [];
    const tanhs: tf.Tensor3D[] = [];
    const cells: tf.Tensor3D[] = [];
    const cellTanhs: tf.Tensor3D[] = [];
    const hiddens: tf.Tensor3D[] = [];
    for (let t = 0; t < steps; t++) {
      const z = tf.add<tf.Tensor3D>(at(projected, t), tf.matMul(h, recurrentIn));
      const s = tf.sigmoid<tf.Tensor3D>(z);
      const th = tf.tanh<tf.Tensor3D>(z);
      c = tf.add<tf.Tensor3D>(tf.mul(gate(s, 1), c), tf.mul(gate(s, 0), gate(th, 2)));
      const tc = tf.tanh<tf.Tensor3D>(c);
      h = tf.mul<tf.Tensor3D>(gate(s, 3), tc);
      sigmoids.push(s);
      tanhs.push(th);
      cells.push(c);
      cellTanhs.push(tc);
      hiddens.push(h);
    }
    const sequence = tf.concat(hiddens, 0); // [steps, batch, units]
    save([xRows, tf.concat(sigmoids, 0), tf.concat(tanhs, 0), tf.concat(cells, 0), tf.concat(cellTanhs, 0), sequence]);
    const value = returnSequences ? tf.transpose(sequence, [1, 0, 2]) : tf.reshape(h, [batch, units]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [rows, S, TH, C, TC, H] = saved as [
        tf.Tensor2D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor3D,
        tf.Tensor3D,
      ];
      // Everything that does not depend on the recurrence, for all steps at once:
      // dz_t = [dc_t, dc_t, dc_t, dh_t] ⊙ Q_t with Q = [g, c_{t−1}, i, tanh c_t] ⊙ gate derivatives
      // (σ' = s(1 − s) for i, f, o; tanh' = 1 − g² for c); dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ A_t
      // with A = o ⊙ (1 − tanh² c); dh_{t−1} = dz_t·Uᵀ (+ the output's gradient at t − 1).
      const previousCells = tf.concat(
        [tf.zeros([1, batch, units]), tf.slice(C, [0, 0, 0], [steps - 1, batch, units])],
        0,
      );
      const sigmoidDerivative = tf.mul<tf.Tensor3D>(S, tf.sub(1, S));
      const G = gate(TH, 2);
      const Q = tf.concat(
        [
          tf.mul(G, gate(sigmoidDerivative, 0)),
          tf.mul(previousCells, gate(sigmoidDerivative, 1)),
          tf.mul(gate(S, 0), tf.sub(1, tf.square(G))),
          tf.mul(TC, gate(sigmoidDerivative, 3)),
        ],
        2,
      ) as tf.Tensor3D;
      const A = tf.mul<tf.Tensor3D>(gate(S, 3), tf.sub(1, tf.square(TC)));
      const F = gate(S, 1);
      const recurrentT = tf.transpose(recurrentIn);
      const dyTime = returnSequences ? (tf.transpose(dy, [1, 0, 2]) as tf.Tensor3D) : undefined;
      let dh = dyTime ? at(dyTime, steps - 1) : tf.reshape<tf.Rank.R3>(dy, [1, batch, units]);
      let dc: tf.Tensor3D | undefined;
      const dz = new Array<tf.Tensor3D>(steps);
      for (let t = steps - 1; t >= 0; t--) {
        const here = tf.mul<tf.Tensor3D>(dh, at(A, t));
        const dcT = dc === undefined ? here : tf.add<tf.Tensor3D>(dc, here);
        dz[t] = tf.mul<tf.Tensor3D>(tf.concat([dcT, dcT, dcT, dh], 2), at(Q, t));
        if (t > 0) {
          dc = tf.mul<tf.Tensor3D>(dcT, at(F, t));
          dh = tf.matMul(dz[t]!, recurrentT);
          if (dyTime) dh = tf.add<tf.Tensor3D>(dh, at(dyTime, t - 1));
        }
      }
      const dzRows = tf.reshape<tf.Rank.R2>(tf.concat(dz, 0), [steps * batch, 4 * units]);
      const previous = tf.reshape<tf.Rank.R2>(
        tf.concat([tf.zeros([1, batch, units]), tf.slice(H, [0, 0, 0], [steps - 1, batch, units])], 0),
        [steps * batch, units],
      );
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

/** {@link lstmSequence} with the recurrence in the sequence kernels (shapes already checked). */
function lstmByKernels(
  x: tf.Tensor3D,
  kernel: tf.Tensor2D,
  recurrent: tf.Tensor2D,
  bias: tf.Tensor1D,
  returnSequences: boolean,
): tf.Tensor {
  const [batch, steps, features] = x.shape;
  const units = recurrent.shape[0];
  const run = tf.customGrad((...args: (tf.Tensor | ((saved: tf.Tensor[]) => void))[]) => {
    const [xIn, kernelIn, recurrentIn, biasIn] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
    const save = args[4] as (saved: tf.Tensor[]) => void;
    const [gates, cells, cellTanhs, hiddens, operands] = tf
      .engine()
      .runKernel<tf.Tensor[]>(
        LSTM_FORWARD,
        { x: tf.transpose(xIn, [1, 0, 2]), kernel: kernelIn, recurrent: recurrentIn, bias: biasIn },
        {},
      );
    save([gates!, cells!, cellTanhs!, operands!]);
    const value = returnSequences
      ? tf.transpose(hiddens!, [1, 0, 2])
      : tf.reshape(tf.slice(hiddens!, [steps - 1, 0, 0], [1, batch, units]), [batch, units]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [G, C, TC, operands] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D];
      const dz = tf.engine().runKernel<tf.Tensor3D>(
        LSTM_BACKWARD,
        {
          dHidden: returnSequences ? tf.transpose(dy, [1, 0, 2]) : dy,
          gates: G,
          cells: C,
          cellTanhs: TC,
          recurrent: recurrentIn,
        },
        { sequences: returnSequences },
      );
      const dzRows = tf.reshape<tf.Rank.R2>(dz, [steps * batch, 4 * units]);
      // [dU; dW; db] = Σ_t [h_{t−1}, x_t, 1]ᵀ·dz_t: one matMul for all steps. On wasm computed
      // transposed, dzᵀ·operands (see lstm-kernels.ts for why); the cpu matMul reads a transposed
      // operand in place, and its transpose is slow.
      const dStacked =
        tf.getBackend() === 'wasm'
          ? tf.transpose(tf.matMul(tf.transpose(dzRows), operands))
          : tf.matMul(operands, dzRows, true, false);
      const dRecurrent = tf.slice(dStacked, [0, 0], [units, 4 * units]);
      const dKernel = tf.slice(dStacked, [units, 0], [features, 4 * units]);
      const dBias = tf.reshape(tf.slice(dStacked, [units + features, 0], [1, 4 * units]), [4 * units]);
      const dx = tf.transpose(
        tf.reshape(tf.matMul(dzRows, kernelIn, false, true), [steps, batch, features]),
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
  /** What a saved model's config holds instead of `inputShape` (with the batch dimension). */
  readonly batchInputShape?: (number | null)[];
  readonly kernelInitializer?: Initializer;
  readonly name?: string;
  /** False: the op-by-op path even where the sequence kernels run (to compare; not saved). */
  readonly sequenceKernels?: boolean;
}

/**
 * An LSTM layer computed by {@link lstmSequence}, with tfjs' LSTM weights (`kernel` [f, 4u],
 * `recurrent_kernel` [u, 4u], `bias` [4u], gate order i, f, c, o), sigmoid gates and tanh
 * activation. Registered for serialisation (a model naming it loads where `@losslab/models` is
 * imported); losslab's saved models write it as tfjs' `LSTM` instead (`standardTopology`),
 * so they load with TF.js alone.
 */
export class FusedLstm extends tfl.layers.Layer {
  static readonly className = 'LosslabFusedLstm';
  readonly units: number;
  readonly returnSequences: boolean;
  private readonly kernelInitializer: Initializer | undefined;
  private readonly sequenceKernels: boolean;
  private kernel?: tfl.LayerVariable;
  private recurrentKernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: FusedLstmArgs) {
    super({
      ...(args.name === undefined ? {} : { name: args.name }),
      ...(args.inputShape === undefined ? {} : { inputShape: args.inputShape }),
      ...(args.batchInputShape === undefined ? {} : { batchInputShape: args.batchInputShape }),
    });
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.kernelInitializer = args.kernelInitializer;
    this.sequenceKernels = args.sequenceKernels ?? true;
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
      this.sequenceKernels,
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, returnSequences: this.returnSequences };
  }
}
tf.serialization.registerClass(FusedLstm);
