import * as tf from '@tensorflow/tfjs-core';

/**
 * Two kernels that run a whole LSTM sequence's recurrence, forward and backward, inside one
 * kernel call each, for {@link lstmSequence} on the `wasm` and `cpu` backends.
 *
 * Why: per time step the recurrence needs one matMul and ~20 element-wise operations, each of
 * which costs 10–25 µs of dispatch through the engine at losslab's sizes (32 units, batch 64)
 * against well under a microsecond of arithmetic. Here each time step is the backend's own
 * `BatchMatMul` and `Sigmoid` kernel functions, called directly (no engine dispatch, no tape),
 * and plain loops over Float32Array views of the backend's memory (the wasm heap or the cpu
 * backend's arrays) for the element-wise rest.
 *
 * Layouts are time-major: step t of a `[steps, batch, width]` tensor is rows t·batch … t·batch +
 * batch − 1. Gate order i, f, c, o (Keras/tfjs); sigmoid gates, tanh activation, zero initial
 * state. Each step's pre-activations are one matMul, z_t = [h_{t−1}, x_t, 1]·[U; W; b] (the
 * "operand" row and the stacked weights), so that the input projection, the bias and the
 * recurrence need no separate kernels, and the weight gradients of all steps are one matMul,
 * operandsᵀ·dz. tanh is computed as 2σ(2x) − 1 with the backend's sigmoid kernel (XNNPACK's on
 * wasm; the wasm backend's tanh is scalar and ~5× slower): the cell gate's columns of the stacked
 * weights are doubled (exact in float32), and so are the cells before their sigmoid. This differs
 * from tanh by about one float32 rounding of σ (≤ ~1.2e-7 absolute). Other values are rounded to
 * float32 where the op-by-op path stores a float32 tensor, so the results equal it up to float32
 * rounding and summation order.
 *
 * - {@link LSTM_FORWARD}: inputs `x` [steps, batch, f] (time-major), `kernel` W [f, 4u],
 *   `recurrent` U [u, 4u], `bias` b [4u]; outputs the activated gates [steps, batch, 4u] (i, f,
 *   g = tanh z_c, o), the cells c_t, their tanh and the hidden states h_t (each [steps, batch, u])
 *   and the operands [steps, batch, u + f + 1].
 * - {@link LSTM_BACKWARD}: inputs `dHidden` (the gradient reaching h: [steps, batch, u] with
 *   attribute `sequences`, else [batch, u] for the last step only), `gates`, `cells`,
 *   `cellTanhs` as the forward pass wrote them and `recurrent` U; output dz [steps, batch, 4u],
 *   the gradient of every step's pre-activations.
 */
export const LSTM_FORWARD = 'LosslabLstmForward';
export const LSTM_BACKWARD = 'LosslabLstmBackward';
const BACKENDS = ['wasm', 'cpu'] as const;

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Float32 tensors of one backend's memory: allocate, view, multiply, free. */
interface Memory {
  alloc(shape: number[]): tf.TensorInfo;
  /** A view on the values; take it again after any alloc or matMul (the wasm heap may grow). */
  view(info: tf.TensorInfo): Float32Array;
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo;
  /** The backend's own sigmoid kernel (XNNPACK's on wasm: vectorised, ~10× faster than `Math.exp`). */
  sigmoid(x: tf.TensorInfo): tf.TensorInfo;
  free(info: tf.TensorInfo): void;
}

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}
interface CpuBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  data: { get(dataId: object): { values: unknown } };
  disposeData(dataId: object): boolean;
}

function memoryOf(args: KernelArgs, backendName: string): Memory | undefined {
  const matMul = tf.getKernel('BatchMatMul', backendName) as tf.KernelConfig | undefined;
  const sigmoidKernel = tf.getKernel('Sigmoid', backendName) as tf.KernelConfig | undefined;
  if (matMul === undefined || sigmoidKernel === undefined) return undefined;
  const multiply = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo =>
    matMul.kernelFunc({
      inputs: { a, b },
      backend: args.backend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
  const sigmoid = (x: tf.TensorInfo): tf.TensorInfo =>
    sigmoidKernel.kernelFunc({ inputs: { x }, backend: args.backend, attrs: {} }) as tf.TensorInfo;
  const backend = args.backend as unknown as Partial<WasmBackend & CpuBackend>;
  if (typeof backend.makeOutput === 'function' && typeof backend.typedArrayFromHeap === 'function') {
    const wasm = backend as WasmBackend;
    return {
      alloc: (shape) => wasm.makeOutput(shape, 'float32'),
      view: (info) => wasm.typedArrayFromHeap(info),
      matMul: multiply,
      sigmoid,
      free: (info) => void wasm.disposeData(info.dataId),
    };
  }
  if (typeof backend.makeTensorInfo === 'function' && backend.data !== undefined) {
    const cpu = backend as CpuBackend;
    return {
      alloc: (shape) => cpu.makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape))),
      view: (info) => cpu.data.get(info.dataId).values as Float32Array,
      matMul: multiply,
      sigmoid,
      free: (info) => void cpu.disposeData(info.dataId),
    };
  }
  return undefined;
}

const round = Math.fround;

function forward(
  memory: Memory,
  inputs: { x: tf.TensorInfo; kernel: tf.TensorInfo; recurrent: tf.TensorInfo; bias: tf.TensorInfo },
): tf.TensorInfo[] {
  const [steps, batch, features] = inputs.x.shape as [number, number, number];
  const units = inputs.recurrent.shape[0]!;
  const width = 4 * units;
  const depth = units + features + 1; // an operand row: h_{t−1}, x_t, 1
  const gates = memory.alloc([steps, batch, width]);
  const cells = memory.alloc([steps, batch, units]);
  const cellTanhs = memory.alloc([steps, batch, units]);
  const hiddens = memory.alloc([steps, batch, units]);
  const operands = memory.alloc([steps, batch, depth]);
  const stacked = memory.alloc([depth, width]); // [U; W; b], the cell gate's columns doubled
  const operand = memory.alloc([batch, depth]);
  const doubledCells = memory.alloc([batch, units]);
  try {
    {
      const S = memory.view(stacked);
      const sources = [memory.view(inputs.recurrent), memory.view(inputs.kernel), memory.view(inputs.bias)];
      S.set(sources[0]!, 0);
      S.set(sources[1]!, units * width);
      S.set(sources[2]!, (units + features) * width);
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
    for (let t = 0; t < steps; t++) {
      const zBase = t * batch * width;
      const uBase = t * batch * units;
      const previous = uBase - batch * units;
      const product = memory.matMul(operand, stacked);
      memory.view(operands).set(memory.view(operand), t * batch * depth);
      const activated = memory.sigmoid(product);
      memory.free(product);
      // Views after every allocation (the matMul's and sigmoid's outputs may grow the wasm heap).
      {
        const G = memory.view(gates);
        G.set(memory.view(activated), zBase);
        const C = memory.view(cells);
        const D = memory.view(doubledCells);
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < units; j++) {
            const r = zBase + b * width + j;
            const u = b * units + j;
            const i = G[r]!;
            const g = round(2 * G[r + 2 * units]! - 1);
            const c = t === 0 ? round(i * g) : round(round(G[r + units]! * C[previous + u]!) + round(i * g));
            G[r + 2 * units] = g;
            C[uBase + u] = c;
            D[u] = 2 * c;
          }
        }
      }
      memory.free(activated);
      const cellSigmoids = memory.sigmoid(doubledCells);
      {
        const SC = memory.view(cellSigmoids);
        const G = memory.view(gates);
        const TC = memory.view(cellTanhs);
        const H = memory.view(hiddens);
        const A = memory.view(operand);
        const X = memory.view(inputs.x);
        const next = (t + 1) * batch * features;
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < units; j++) {
            const u = b * units + j;
            const tc = round(2 * SC[u]! - 1);
            const h = round(G[zBase + b * width + 3 * units + j]! * tc);
            TC[uBase + u] = tc;
            H[uBase + u] = h;
            A[b * depth + j] = h;
          }
          if (t + 1 < steps) for (let e = 0; e < features; e++) A[b * depth + units + e] = X[next + b * features + e]!;
        }
      }
      memory.free(cellSigmoids);
    }
  } finally {
    memory.free(stacked);
    memory.free(operand);
    memory.free(doubledCells);
  }
  return [gates, cells, cellTanhs, hiddens, operands];
}

function backward(
  memory: Memory,
  inputs: { dHidden: tf.TensorInfo; gates: tf.TensorInfo; cells: tf.TensorInfo; cellTanhs: tf.TensorInfo },
  recurrent: tf.TensorInfo,
  sequences: boolean,
): tf.TensorInfo {
  const [steps, batch, width] = inputs.gates.shape as [number, number, number];
  const units = width / 4;
  const dz = memory.alloc([steps, batch, width]);
  const step = memory.alloc([batch, width]); // dz_t, the matMul's operand
  const recurrentT = memory.alloc([width, units]);
  const carry = new Float32Array(batch * units); // dc_{t+1} ⊙ f_{t+1}
  try {
    {
      const U = memory.view(recurrent);
      const UT = memory.view(recurrentT);
      for (let j = 0; j < units; j++) for (let k = 0; k < width; k++) UT[k * units + j] = U[j * width + k]!;
    }
    let product: tf.TensorInfo | undefined; // dz_{t+1}·Uᵀ
    for (let t = steps - 1; t >= 0; t--) {
      const dY = memory.view(inputs.dHidden);
      const G = memory.view(inputs.gates);
      const C = memory.view(inputs.cells);
      const TC = memory.view(inputs.cellTanhs);
      const D = memory.view(step);
      const R = product === undefined ? undefined : memory.view(product);
      const zBase = t * batch * width;
      const uBase = t * batch * units;
      const previous = uBase - batch * units;
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < units; j++) {
          const u = b * units + j;
          const r = b * width + j;
          // dh_t: the output's gradient at t plus what step t + 1 sends back through U.
          const dOut = sequences ? dY[uBase + u]! : t === steps - 1 ? dY[u]! : 0;
          const dh = R === undefined ? dOut : sequences ? round(R[u]! + dOut) : R[u]!;
          const i = G[zBase + r]!;
          const f = G[zBase + r + units]!;
          const g = G[zBase + r + 2 * units]!;
          const o = G[zBase + r + 3 * units]!;
          const tc = TC[uBase + u]!;
          const here = round(dh * round(o * round(1 - round(tc * tc))));
          const dc = t === steps - 1 ? here : round(carry[u]! + here);
          const cPrevious = t === 0 ? 0 : C[previous + u]!;
          D[r] = round(dc * round(g * round(i * round(1 - i))));
          D[r + units] = round(dc * round(cPrevious * round(f * round(1 - f))));
          D[r + 2 * units] = round(dc * round(i * round(1 - round(g * g))));
          D[r + 3 * units] = round(dh * round(tc * round(o * round(1 - o))));
          carry[u] = round(dc * f);
        }
      }
      memory.view(dz).set(memory.view(step), zBase);
      if (product !== undefined) memory.free(product);
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
