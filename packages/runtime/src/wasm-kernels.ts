import * as tf from '@tensorflow/tfjs-core';

/**
 * Why this exists (tfjs-backend-wasm 4.22): two wasm kernels are slow on the shapes training uses.
 * - `BatchMatMul` (`src/cc/batch_mat_mul_impl.cc`) multiplies with XNNPACK only when neither
 *   operand is transposed and both have batch 1; any `transposeA`/`transposeB` falls back to a
 *   scalar triple loop that is 10–15× slower. Every gradient of a dense layer or an LSTM step
 *   multiplies with a transposed operand (`tfjs-core/src/gradients/BatchMatMul_grad.ts`,
 *   `ops/fused/mat_mul.ts`: dA = dy·Bᵀ, dB = Aᵀ·dy).
 * - `Slice` (`kernels/Slice.ts`) copies its whole input for every slice.
 * - `Tile` computes every output element's source index in scalar C++: tiling the per-channel
 *   statistics of a batch normalisation over a [128, 26, 26, 8] activation, as its gradient does
 *   (`tfjs-core/src/gradients/BatchNorm_grad.ts`), took longer than the convolutions.
 *
 * The kernels installed here swap three of the wasm backend's: `BatchMatMul` and `_FusedMatMul`
 * first transpose a transposed operand explicitly with the wasm `Transpose` kernel (a copy, O(n))
 * and then call the original kernel untransposed, which takes the XNNPACK path (results equal the
 * original's up to float32 summation order); `Slice` copies only the sliced runs (see
 * {@link viewSlice}); `Tile` copies whole runs and repeats blocks (see {@link copyTile}).
 */
const KERNELS = ['BatchMatMul', '_FusedMatMul', 'Slice', 'Tile'] as const;
const BACKEND = 'wasm';

type KernelArgs = Parameters<tf.KernelFunc>[0];
interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}
interface Disposable {
  disposeData(dataId: object, force?: boolean): boolean;
}
/** The parts of tfjs-backend-wasm's BackendWasm the Slice kernel uses. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * `kernel` run on the wasm heap, or the original kernel where it cannot run: string tensors, or a
 * backend without the heap accessors (another backend, another tfjs-backend-wasm version).
 */
function onHeap(
  original: tf.KernelConfig,
  kernel: (x: tf.TensorInfo, backend: WasmHeap, args: KernelArgs) => tf.TensorInfo,
): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    const backend = args.backend as unknown as Partial<WasmHeap>;
    if (
      x.dtype === 'string' ||
      typeof backend.typedArrayFromHeap !== 'function' ||
      typeof backend.makeOutput !== 'function'
    ) {
      return original.kernelFunc(args);
    }
    return kernel(x, backend as WasmHeap, args);
  };
}

/**
 * The wasm `Slice` kernel reads its whole input with `readSync`, a copy of all of x, for every
 * slice (tfjs-backend-wasm 4.22 `kernels/Slice.ts`): slicing rows of a large tensor, as
 * `LayersModel.predict` and `tf.unstack` do, costs O(size of x) per slice. This one copies only
 * the sliced runs, from a view on the wasm heap taken after the output is allocated.
 */
function viewSlice(original: tf.KernelConfig): tf.KernelFunc {
  return onHeap(original, (x, backend, args) => {
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [start, extent] = tf.slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
    const out = backend.makeOutput(extent, x.dtype);
    const total = extent.reduce((a, b) => a * b, 1);
    if (total === 0) return out;
    // Views after makeOutput: allocating may grow the heap and detach earlier views.
    const source = backend.typedArrayFromHeap(x);
    const target = backend.typedArrayFromHeap(out);
    const rank = x.shape.length;
    if (rank === 0) {
      target[0] = source[0]!;
      return out;
    }
    const strides = new Array<number>(rank);
    strides[rank - 1] = 1;
    for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1]! * x.shape[d + 1]!;
    // Trailing axes taken whole are one contiguous run with the innermost axis that is not: a batch
    // of [n, 28, 28, 1] images is n·784 values copied at once, not 784·n runs of one value each.
    let runAxis = rank - 1;
    while (runAxis > 0 && start[runAxis] === 0 && extent[runAxis] === x.shape[runAxis]) runAxis--;
    const run = extent[runAxis]! * strides[runAxis]!;
    const index = new Array<number>(runAxis).fill(0);
    for (let written = 0; written < total; written += run) {
      let offset = start[runAxis]! * strides[runAxis]!;
      for (let d = 0; d < runAxis; d++) offset += (start[d]! + index[d]!) * strides[d]!;
      target.set(source.subarray(offset, offset + run), written);
      for (let d = runAxis - 1; d >= 0; d--) {
        if (++index[d]! < extent[d]!) break;
        index[d] = 0;
      }
    }
    return out;
  });
}

/**
 * Tiles by copying runs: along each axis, from the last, the input's rows are written once and
 * the block they make is then repeated with `copyWithin` (a memmove), so the cost is that of
 * writing the output, not of an index computation per element.
 */
function copyTile(original: tf.KernelConfig): tf.KernelFunc {
  return onHeap(original, (x, backend, args) => {
    const { reps } = args.attrs as unknown as { reps: number[] };
    const rank = x.shape.length;
    const shape = x.shape.map((d, i) => d * reps[i]!);
    const out = backend.makeOutput(shape, x.dtype);
    if (shape.some((d) => d === 0)) return out;
    // Views after makeOutput: allocating may grow the heap and detach earlier views.
    const source = backend.typedArrayFromHeap(x);
    const target = backend.typedArrayFromHeap(out);
    if (rank === 0) {
      target[0] = source[0]!;
      return out;
    }
    const sourceStrides = new Array<number>(rank);
    const targetStrides = new Array<number>(rank);
    sourceStrides[rank - 1] = 1;
    targetStrides[rank - 1] = 1;
    for (let d = rank - 2; d >= 0; d--) {
      sourceStrides[d] = sourceStrides[d + 1]! * x.shape[d + 1]!;
      targetStrides[d] = targetStrides[d + 1]! * shape[d + 1]!;
    }
    const fill = (axis: number, from: number, to: number): void => {
      const rows = x.shape[axis]!;
      if (axis === rank - 1) target.set(source.subarray(from, from + rows), to);
      else
        for (let i = 0; i < rows; i++) fill(axis + 1, from + i * sourceStrides[axis]!, to + i * targetStrides[axis]!);
      const block = rows * targetStrides[axis]!;
      for (let r = 1; r < reps[axis]!; r++) target.copyWithin(to + r * block, to, to + block);
    };
    fill(0, 0, 0);
    return out;
  });
}

/** The original wasm kernels while the explicit-transpose ones are installed. */
const originals = new Map<string, tf.KernelConfig>();

function transposeLastTwo(x: tf.TensorInfo, args: KernelArgs, transpose: tf.KernelConfig): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2));
  return transpose.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
}

function explicitTranspose(original: tf.KernelConfig): tf.KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as unknown as MatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
    // getKernel is typed as always found; at run time it returns undefined for a missing kernel.
    const transpose = tf.getKernel('Transpose', BACKEND) as tf.KernelConfig | undefined;
    if (transpose === undefined) return original.kernelFunc(args);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const temporaries: tf.TensorInfo[] = [];
    const explicit = (x: tf.TensorInfo, transposed: boolean): tf.TensorInfo => {
      if (!transposed) return x;
      const t = transposeLastTwo(x, args, transpose);
      temporaries.push(t);
      return t;
    };
    try {
      return original.kernelFunc({
        ...args,
        inputs: { ...args.inputs, a: explicit(a, attrs.transposeA), b: explicit(b, attrs.transposeB) },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      const backend = args.backend as unknown as Disposable;
      for (const t of temporaries) backend.disposeData(t.dataId);
    }
  };
}

/**
 * Replaces the wasm backend's `BatchMatMul` and `_FusedMatMul` kernels by ones that transpose a
 * transposed operand explicitly before multiplying, so that every matMul of training (forward and
 * gradient) takes XNNPACK's fast path, its `Slice` kernel by one that copies only the slice, and
 * its `Tile` kernel by one that copies runs.
 * A global registration: {@link selectBackend} calls it when it activates the wasm backend (pass
 * `fastMatMul: false` to keep the stock kernels); call {@link restoreWasmMatMulKernels} to undo it.
 * Idempotent; returns false when the wasm kernels are not registered (the wasm backend was never
 * imported).
 *
 * @example
 * await selectBackend({ requested: 'wasm' }); // already installed
 * restoreWasmMatMulKernels();                  // stock kernels again, e.g. to compare
 * installWasmMatMulKernels();
 */
export function installWasmMatMulKernels(): boolean {
  if (originals.size > 0) return true;
  const found = KERNELS.map((name) => tf.getKernel(name, BACKEND) as tf.KernelConfig | undefined);
  if (found.some((k) => k === undefined)) return false;
  for (const original of found as tf.KernelConfig[]) {
    originals.set(original.kernelName, original);
    tf.unregisterKernel(original.kernelName, BACKEND);
    const kernelFunc =
      original.kernelName === 'Slice'
        ? viewSlice(original)
        : original.kernelName === 'Tile'
          ? copyTile(original)
          : explicitTranspose(original);
    tf.registerKernel({ ...original, kernelFunc });
  }
  return true;
}

/** Puts back the stock wasm matMul kernels that {@link installWasmMatMulKernels} replaced. */
export function restoreWasmMatMulKernels(): void {
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(original);
  }
  originals.clear();
}

/** True while the explicit-transpose wasm matMul kernels are installed. */
export const wasmMatMulKernelsInstalled = (): boolean => originals.size > 0;
