import * as tf from '@tensorflow/tfjs-core';
import { LstmForwardSimd, LstmGradientSimd } from './lstm-simd.js';

/**
 * Two kernels that run a whole LSTM sequence's recurrence, forward and backward, inside one
 * kernel call each, for {@link lstmSequence} on the `wasm` and `cpu` backends.
 *
 * Why: per time step the recurrence needs one matMul and ~20 element-wise operations, each of
 * which costs 10–25 µs of dispatch through the engine at losslab's sizes (32 units, batch 64)
 * against well under a microsecond of arithmetic. Here each time step is the backend's own
 * `BatchMatMul` and `Sigmoid` kernel functions, called directly (no engine dispatch, no tape),
 * and for the element-wise rest WebAssembly SIMD kernels (`lstm-simd.ts`, bit-identical) or, on
 * the cpu backend, for units not a multiple of 4 or without SIMD, plain loops over Float32Array
 * views of the backend's memory (the wasm heap or the cpu backend's arrays).
 *
 * Layouts are time-major: step t of a `[steps, batch, width]` tensor is rows t·batch … t·batch +
 * batch − 1. Gate order i, f, c, o (Keras/tfjs); sigmoid gates, tanh activation, zero initial
 * state. Each step's pre-activations are one matMul, z_t = [h_{t−1}, x_t, 1]·[U; W; b] (the
 * "operand" row and the stacked weights), so that the input projection, the bias and the
 * recurrence need no separate kernels, and the weight gradients of all steps are one matMul,
 * operandsᵀ·dz (on wasm computed as dzᵀ·operands, transposed: the matMul's second operand, which
 * the wasm backend packs anew for every new tensor, is then the narrow operands
 * [steps·batch, u + f + 1], not dz [steps·batch, 4u]: ~1.2 ms instead of 2–3 ms a step). tanh is computed as 2σ(2x) − 1 with the backend's sigmoid kernel (XNNPACK's on
 * wasm; the wasm backend's tanh is scalar and ~5× slower): the cell gate's columns of the stacked
 * weights are doubled (exact in float32), and so are the cells before their sigmoid. This differs
 * from tanh by about one float32 rounding of σ (≤ ~1.2e-7 absolute). Other values are rounded to
 * float32 where the op-by-op path stores a float32 tensor, so the results equal it up to float32
 * rounding and summation order.
 *
 * - {@link LSTM_FORWARD}: inputs `x` [steps, batch, f] (time-major), `kernel` W [f, 4u],
 *   `recurrent` U [u, 4u], `bias` b [4u]; outputs the activated gates [steps, batch, 4u] (i, f,
 *   g = tanh z_c, o), the cells c_t, their tanh and the hidden states h_t (each [steps, batch, u])
 *   and every step's operand, [steps·batch, u + f + 1].
 * - {@link LSTM_BACKWARD}: inputs `dHidden` (the gradient reaching h: [steps, batch, u] with
 *   attribute `sequences`, else [batch, u] for the last step only), `gates`, `cells`,
 *   `cellTanhs` as the forward pass wrote them and `recurrent` U; output dz [steps, batch, 4u],
 *   the gradient of every step's pre-activations.
 */
export const LSTM_FORWARD = 'LosslabLstmForward';
export const LSTM_BACKWARD = 'LosslabLstmBackward';
const BACKENDS = ['wasm', 'cpu'] as const;

type KernelArgs = Parameters<tf.KernelFunc>[0];

interface WasmBackend {
  /** The emscripten module; `asm.memory` its WebAssembly.Memory (the heap). */
  wasm?: { asm?: { memory?: { buffer: ArrayBufferLike } } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}
interface CpuBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  data: { get(dataId: object): { values: unknown } };
  disposeData(dataId: object): boolean;
}

/**
 * Float32 tensors of one backend's memory: allocate, view, multiply, free. A class (one call
 * target per backend kind), not closures made per call: V8 deoptimises the kernels' loops when a
 * call target changes from one kernel call to the next.
 */
abstract class Memory {
  constructor(
    private readonly args: KernelArgs,
    private readonly matMulKernel: tf.KernelConfig,
    private readonly sigmoidKernel: tf.KernelConfig,
  ) {}
  abstract alloc(shape: number[]): tf.TensorInfo;
  /** A view on the values; take it again after any alloc, matMul or sigmoid (the wasm heap may grow). */
  abstract view(info: tf.TensorInfo): Float32Array;
  abstract free(info: tf.TensorInfo): void;
  /** The forward step's SIMD kernels on this memory, where the tensors are in a WebAssembly memory. */
  abstract forwardSimd(probe: tf.TensorInfo, units: number): LstmForwardSimd | undefined;
  /** The byte address of a tensor's float `index` in its memory (for {@link forwardSimd}'s kernels). */
  address(info: tf.TensorInfo, index: number): number {
    return this.view(info).byteOffset + 4 * index;
  }
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    const attrs = { transposeA: false, transposeB: false };
    return this.matMulKernel.kernelFunc({ inputs: { a, b }, backend: this.args.backend, attrs }) as tf.TensorInfo;
  }
  /** The backend's own sigmoid kernel (XNNPACK's on wasm: vectorised, ~10× faster than `Math.exp`). */
  sigmoid(x: tf.TensorInfo): tf.TensorInfo {
    return this.sigmoidKernel.kernelFunc({ inputs: { x }, backend: this.args.backend, attrs: {} }) as tf.TensorInfo;
  }
}

class WasmMemory extends Memory {
  constructor(
    args: KernelArgs,
    matMul: tf.KernelConfig,
    sigmoid: tf.KernelConfig,
    private readonly backend: WasmBackend,
  ) {
    super(args, matMul, sigmoid);
  }
  alloc(shape: number[]): tf.TensorInfo {
    return this.backend.makeOutput(shape, 'float32');
  }
  view(info: tf.TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(info);
  }
  free(info: tf.TensorInfo): void {
    this.backend.disposeData(info.dataId);
  }
  forwardSimd(probe: tf.TensorInfo, units: number): LstmForwardSimd | undefined {
    const heap = this.backend.wasm?.asm?.memory;
    // Only where the tensors' views are on that memory (an emscripten detail, checked).
    if (heap === undefined) return undefined;
    return this.view(probe).buffer === heap.buffer ? LstmForwardSimd.on(heap, units) : undefined;
  }
}

class CpuMemory extends Memory {
  constructor(
    args: KernelArgs,
    matMul: tf.KernelConfig,
    sigmoid: tf.KernelConfig,
    private readonly backend: CpuBackend,
  ) {
    super(args, matMul, sigmoid);
  }
  alloc(shape: number[]): tf.TensorInfo {
    return this.backend.makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape)));
  }
  view(info: tf.TensorInfo): Float32Array {
    return this.backend.data.get(info.dataId).values as Float32Array;
  }
  free(info: tf.TensorInfo): void {
    this.backend.disposeData(info.dataId);
  }
  forwardSimd(): undefined {
    return undefined; // the values are JS arrays
  }
}

function memoryOf(args: KernelArgs, backendName: string): Memory | undefined {
  const matMul = tf.getKernel('BatchMatMul', backendName) as tf.KernelConfig | undefined;
  const sigmoid = tf.getKernel('Sigmoid', backendName) as tf.KernelConfig | undefined;
  if (matMul === undefined || sigmoid === undefined) return undefined;
  const backend = args.backend as unknown as Partial<WasmBackend & CpuBackend>;
  if (typeof backend.makeOutput === 'function' && typeof backend.typedArrayFromHeap === 'function')
    return new WasmMemory(args, matMul, sigmoid, backend as WasmBackend);
  if (typeof backend.makeTensorInfo === 'function' && backend.data !== undefined)
    return new CpuMemory(args, matMul, sigmoid, backend as CpuBackend);
  return undefined;
}

const round = Math.fround;

/** Sizes of one sequence; `depth` is an operand row's width: h_{t−1}, x_t, 1. */
interface Sizes {
  readonly steps: number;
  readonly batch: number;
  readonly features: number;
  readonly units: number;
  readonly width: number;
  readonly depth: number;
}

/**
 * Step t's gates (G holds the sigmoids of z_t, the cell gate's of 2z_c) → g = 2σ(2z_c) − 1 in
 * place, c_t into C and 2c_t into D. P holds c_{t−1} from `previous` (zeros at t = 0: f·0 + i·g
 * is i·g exactly, so the first step needs no branch).
 */
function cellStep(
  G: Float32Array,
  C: Float32Array,
  P: Float32Array,
  previous: number,
  D: Float32Array,
  t: number,
  n: Sizes,
): void {
  const { batch, units, width } = n;
  const zBase = t * batch * width;
  const uBase = t * batch * units;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      const r = zBase + b * width + j;
      const u = b * units + j;
      const i = G[r]!;
      const g = round(2 * G[r + 2 * units]! - 1);
      const c = round(round(G[r + units]! * P[previous + u]!) + round(i * g));
      G[r + 2 * units] = g;
      C[uBase + u] = c;
      D[u] = 2 * c;
    }
  }
}

/** tanh c_t = 2σ(2c_t) − 1 from SC, h_t = o ⊙ tanh c_t into H and into the next operand A. */
function hiddenStep(
  SC: Float32Array,
  G: Float32Array,
  TC: Float32Array,
  H: Float32Array,
  A: Float32Array,
  t: number,
  n: Sizes,
): void {
  const { batch, units, width, depth } = n;
  const zBase = t * batch * width;
  const uBase = t * batch * units;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      const u = b * units + j;
      const tc = round(2 * SC[u]! - 1);
      const h = round(G[zBase + b * width + 3 * units + j]! * tc);
      TC[uBase + u] = tc;
      H[uBase + u] = h;
      A[b * depth + j] = h;
    }
  }
}

/** x_{t+1} into the next operand A (nothing after the last step). */
function nextInputs(A: Float32Array, X: Float32Array, t: number, n: Sizes): void {
  const { steps, batch, features, units, depth } = n;
  if (t + 1 >= steps) return;
  const next = (t + 1) * batch * features;
  for (let b = 0; b < batch; b++)
    for (let e = 0; e < features; e++) A[b * depth + units + e] = X[next + b * features + e]!;
}

function forward(
  memory: Memory,
  inputs: { x: tf.TensorInfo; kernel: tf.TensorInfo; recurrent: tf.TensorInfo; bias: tf.TensorInfo },
): tf.TensorInfo[] {
  const [steps, batch, features] = inputs.x.shape as [number, number, number];
  const units = inputs.recurrent.shape[0]!;
  const width = 4 * units;
  const depth = units + features + 1;
  const n: Sizes = { steps, batch, features, units, width, depth };
  const gates = memory.alloc([steps, batch, width]);
  const cells = memory.alloc([steps, batch, units]);
  const cellTanhs = memory.alloc([steps, batch, units]);
  const hiddens = memory.alloc([steps, batch, units]);
  const operands = memory.alloc([steps * batch, depth]); // every step's operand
  const stacked = memory.alloc([depth, width]); // [U; W; b], the cell gate's columns doubled
  const operand = memory.alloc([batch, depth]);
  const doubledCells = memory.alloc([batch, units]);
  const zeros = new Float32Array(batch * units);
  const kernels = memory.forwardSimd(operand, units);
  // With the SIMD kernels: c_{−1} = 0 on the heap.
  const simd = kernels === undefined ? undefined : { ...kernels.steps(), zeros: memory.alloc([batch, units]) };
  try {
    if (simd !== undefined) memory.view(simd.zeros).fill(0);
    {
      const S = memory.view(stacked);
      S.set(memory.view(inputs.recurrent), 0);
      S.set(memory.view(inputs.kernel), units * width);
      S.set(memory.view(inputs.bias), (units + features) * width);
      for (let row = 0; row < depth; row++)
        for (let k = 2 * units; k < 3 * units; k++) S[row * width + k] = 2 * S[row * width + k]!;
      const A = memory.view(operand);
      const X = memory.view(inputs.x);
      A.fill(0);
      for (let b = 0; b < batch; b++) {
        for (let e = 0; e < features; e++) A[b * depth + units + e] = X[b * features + e]!;
        A[b * depth + units + features] = 1;
      }
    }
    // Views after every allocation (the matMul's and sigmoid's outputs may grow the wasm heap).
    for (let t = 0; t < steps; t++) {
      const product = memory.matMul(operand, stacked);
      memory.view(operands).set(memory.view(operand), t * batch * depth);
      const activated = memory.sigmoid(product);
      memory.free(product);
      memory.view(gates).set(memory.view(activated), t * batch * width);
      memory.free(activated);
      const C = memory.view(cells);
      const first = t === 0;
      const [zAt, uAt] = [t * batch * width, t * batch * units];
      if (simd !== undefined)
        simd.cell(
          batch,
          4 * units,
          memory.address(gates, zAt),
          first ? memory.address(simd.zeros, 0) : memory.address(cells, uAt - batch * units),
          memory.address(cells, uAt),
          memory.address(doubledCells, 0),
        );
      else
        cellStep(
          memory.view(gates),
          C,
          first ? zeros : C,
          first ? 0 : (t - 1) * batch * units,
          memory.view(doubledCells),
          t,
          n,
        );
      const cellSigmoids = memory.sigmoid(doubledCells);
      if (simd !== undefined)
        simd.hidden(
          batch,
          4 * units,
          memory.address(cellSigmoids, 0),
          memory.address(gates, zAt + 3 * units),
          memory.address(cellTanhs, uAt),
          memory.address(hiddens, uAt),
          memory.address(operand, 0),
          4 * depth,
        );
      else
        hiddenStep(
          memory.view(cellSigmoids),
          memory.view(gates),
          memory.view(cellTanhs),
          memory.view(hiddens),
          memory.view(operand),
          t,
          n,
        );
      nextInputs(memory.view(operand), memory.view(inputs.x), t, n);
      memory.free(cellSigmoids);
    }
  } finally {
    memory.free(stacked);
    memory.free(operand);
    memory.free(doubledCells);
    if (simd !== undefined) memory.free(simd.zeros);
  }
  return [gates, cells, cellTanhs, hiddens, operands];
}

/**
 * Step t backward: dh_t = R + dOut (R: dz_{t+1}·Uᵀ, dOut: the output's gradient at t from
 * `outAt`) and the carry dc_{t+1} ⊙ f_{t+1} → dz_t into D, the new carry dc_t ⊙ f_t. Where a term
 * does not exist (R and the carry at the last step, dOut before the last step without sequences,
 * c_{t−1} at t = 0) the caller passes zeros: x + 0 and x·0 are exact, so no branches.
 */
function gradientStep(
  dOut: Float32Array,
  outAt: number,
  R: Float32Array,
  G: Float32Array,
  TC: Float32Array,
  P: Float32Array,
  previous: number,
  D: Float32Array,
  carry: Float32Array,
  t: number,
  n: Sizes,
): void {
  const { batch, units, width } = n;
  const zBase = t * batch * width;
  const uBase = t * batch * units;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < units; j++) {
      const u = b * units + j;
      const r = b * width + j;
      const dh = round(R[u]! + dOut[outAt + u]!);
      const i = G[zBase + r]!;
      const f = G[zBase + r + units]!;
      const g = G[zBase + r + 2 * units]!;
      const o = G[zBase + r + 3 * units]!;
      const tc = TC[uBase + u]!;
      const dc = round(carry[u]! + round(dh * round(o * round(1 - round(tc * tc)))));
      D[r] = round(dc * round(g * round(i * round(1 - i))));
      D[r + units] = round(dc * round(P[previous + u]! * round(f * round(1 - f))));
      D[r + 2 * units] = round(dc * round(i * round(1 - round(g * g))));
      D[r + 3 * units] = round(dh * round(tc * round(o * round(1 - o))));
      carry[u] = round(dc * f);
    }
  }
}

function backward(
  memory: Memory,
  inputs: { dHidden: tf.TensorInfo; gates: tf.TensorInfo; cells: tf.TensorInfo; cellTanhs: tf.TensorInfo },
  recurrent: tf.TensorInfo,
  sequences: boolean,
): tf.TensorInfo {
  const [steps, batch, width] = inputs.gates.shape as [number, number, number];
  const units = width / 4;
  const n: Sizes = { steps, batch, features: 0, units, width, depth: 0 };
  const dz = memory.alloc([steps, batch, width]);
  const step = memory.alloc([batch, width]); // dz_t, the matMul's first operand
  const recurrentT = memory.alloc([width, units]);
  const carry = new Float32Array(batch * units); // dc_{t+1} ⊙ f_{t+1}
  const zeros = new Float32Array(batch * units);
  const output = (t: number): boolean => sequences || t === steps - 1;
  try {
    {
      const U = memory.view(recurrent);
      const UT = memory.view(recurrentT);
      for (let j = 0; j < units; j++) for (let k = 0; k < width; k++) UT[k * units + j] = U[j * width + k]!;
    }
    const simd = LstmGradientSimd.create({
      steps,
      batch,
      units,
      outputLength: sequences ? steps * batch * units : batch * units,
    });
    simd?.load(
      memory.view(inputs.gates),
      memory.view(inputs.cellTanhs),
      memory.view(inputs.cells),
      memory.view(inputs.dHidden),
    );
    let product: tf.TensorInfo | undefined; // dz_{t+1}·Uᵀ
    for (let t = steps - 1; t >= 0; t--) {
      if (simd !== undefined)
        memory
          .view(step)
          .set(simd.step(t, product === undefined ? undefined : memory.view(product), output(t), sequences));
      else
        gradientStep(
          output(t) ? memory.view(inputs.dHidden) : zeros,
          sequences ? t * batch * units : 0,
          product === undefined ? zeros : memory.view(product),
          memory.view(inputs.gates),
          memory.view(inputs.cellTanhs),
          t === 0 ? zeros : memory.view(inputs.cells),
          t === 0 ? 0 : (t - 1) * batch * units,
          memory.view(step),
          carry,
          t,
          n,
        );
      memory.view(dz).set(memory.view(step), t * batch * width);
      if (product !== undefined) memory.free(product);
      // The wasm matMul caches its second operand's packed values by tensor id: Uᵀ, packed once a
      // sequence (a second operand with new values each step would be packed 30 times: ~3× slower).
      product = t > 0 ? memory.matMul(step, recurrentT) : undefined;
    }
  } finally {
    memory.free(step);
    memory.free(recurrentT);
  }
  return dz;
}

function kernelsFor(backendName: string): tf.KernelConfig[] {
  const unavailable = (): never => {
    throw new Error(`${LSTM_FORWARD}: the ${backendName} backend has no BatchMatMul kernel or memory accessors`);
  };
  return [
    {
      kernelName: LSTM_FORWARD,
      backendName,
      kernelFunc: (args) => {
        const inputs = args.inputs as {
          x: tf.TensorInfo;
          kernel: tf.TensorInfo;
          recurrent: tf.TensorInfo;
          bias: tf.TensorInfo;
        };
        return forward(memoryOf(args, backendName) ?? unavailable(), inputs);
      },
    },
    {
      kernelName: LSTM_BACKWARD,
      backendName,
      kernelFunc: (args) => {
        const { recurrent, ...inputs } = args.inputs as {
          dHidden: tf.TensorInfo;
          gates: tf.TensorInfo;
          cells: tf.TensorInfo;
          cellTanhs: tf.TensorInfo;
          recurrent: tf.TensorInfo;
        };
        const { sequences } = args.attrs as unknown as { sequences: boolean };
        return backward(memoryOf(args, backendName) ?? unavailable(), inputs, recurrent, sequences);
      },
    },
  ];
}

for (const backendName of BACKENDS) {
  for (const config of kernelsFor(backendName)) {
    // getKernel is typed as always found; at run time it returns undefined for a missing kernel.
    if ((tf.getKernel(config.kernelName, backendName) as tf.KernelConfig | undefined) === undefined)
      tf.registerKernel(config);
  }
}

/**
 * True when the active backend runs the sequence kernels: `wasm` and `cpu` (with their memory
 * accessors); other backends (tfjs-node, webgl) take the op-by-op path.
 */
export function sequenceKernelsAvailable(): boolean {
  const name = tf.getBackend();
  if (!(BACKENDS as readonly string[]).includes(name)) return false;
  if ((tf.getKernel('BatchMatMul', name) as tf.KernelConfig | undefined) === undefined) return false;
  const backend = tf.backend() as unknown as Partial<WasmBackend & CpuBackend>;
  return (
    (typeof backend.makeOutput === 'function' && typeof backend.typedArrayFromHeap === 'function') ||
    (typeof backend.makeTensorInfo === 'function' && backend.data !== undefined)
  );
}
