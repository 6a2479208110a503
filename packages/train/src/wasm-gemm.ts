import * as tf from '@tensorflow/tfjs-core';
import { uleb, wasmModule, wasmOp, wasmType, webAssembly } from '@losslab/runtime';

/**
 * Why this exists: tfjs-backend-wasm 4.22 multiplies through an XNNPACK fully-connected operator
 * that it creates, and caches, per weight tensor (`src/cc/batch_mat_mul_impl.cc`, keyed by the
 * id of `b` and of the bias). Creating one packs `b` (a scalar loop); in training every `b`
 * is new each step (the weights Adam just wrote, or a gradient), so every matMul packs it again
 * — 784×64 weights cost about 0.17 ms a step — and a transposed operand is first copied by a
 * `Transpose` kernel (x [128, 784] for dW₁ = xᵀ·dz: another 0.14 ms).
 *
 * This kernel multiplies on the wasm backend's own heap, without packing or copying: C = A·B
 * (+ bias, then relu), A read through a row stride and a k stride (so Aᵀ costs nothing), B and
 * C row-major. Register tiles of 4 rows × 8 columns (the last n mod 8 columns one at a time),
 * accumulated in k order from the bias (or zero) with a separate multiply and add per step, as
 * XNNPACK's wasm SIMD microkernels do. Results equal the stock kernels' up to float32 summation
 * order (on mnist-odd's shapes, bit for bit).
 *
 * Only for a number of rows that is a multiple of 4; callers use tfjs' matMul for the rest.
 * The same module holds {@link reluBackward}, a relu layer's backward step in one pass.
 *
 * In-place weight updates are no way around the packing: the operator cache is keyed by the
 * tensor's id, so weights written into the same tensor would be multiplied as the stale packed
 * copy (measured: a matMul after such a write returned the old product).
 */

/** The kernels' names, registered for the wasm backend when first used. */
const KERNEL = 'LosslabGemm';
const RELU_BACKWARD = 'LosslabReluBackward';

/** The module (gemm and reluBackward), assembled here so that its every instruction can be read. */
function moduleBytes(): Uint8Array {
  const { get, set, i32, simd } = wasmOp;
  const { i32: I32, f32: F32, v128: V128 } = wasmType;
  const [add, mul, shl, ltU, geU, leU] = [[0x6a], [0x6c], [0x74], [0x49], [0x4f], [0x4d]];
  const [f32Add, f32Mul, f32Max, f32Zero] = [[0x92], [0x94], [0x97], [0x43, 0, 0, 0, 0]];
  const [f32Load, f32Store] = [
    [0x2a, 2, 0],
    [0x38, 2, 0],
  ];
  const [f32x4Add, f32x4Mul, f32x4Max] = [simd(0xe4), simd(0xe6), simd(0xe9)];
  const zero = [...simd(0x0c), ...new Array<number>(16).fill(0)]; // v128.const 0
  const v128Load = (offset: number): number[] => [...simd(0x00), 2, ...uleb(offset)];
  const v128Store = (offset: number): number[] => [...simd(0x0b), 2, ...uleb(offset)];
  const loadSplat = [...simd(0x09), 2, 0]; // v128.load32_splat
  const [block, loop, ifThen, elseDo, end, brIf] = [
    [0x02, 0x40],
    [0x03, 0x40],
    [0x04, 0x40],
    [0x05],
    [0x0b],
    (depth: number) => [0x0d, depth],
  ];
  // Parameters: 0 m (a multiple of 4), 1 n, 2 k, 3 a, 4 a's row stride (bytes), 5 a's k stride (bytes), 6 b,
  // 7 bias (0: none), 8 relu (0/1), 9 out. Locals: 10 n0, 11 i0, 12 pa, 13 pb, 14 kk, 15 b's
  // and out's row bytes, 16 po, 17 2·row stride, 18 3·row stride; v128: 19–26 the accumulators
  // (row r, half h at 19 + 2r + h), 27–28 b's two vectors, 29 a splatted, 30–31 the bias.
  const [m, n, k, a, aRow, aK, b, bias, relu, out] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [n0, i0, pa, pb, kk, rowBytes, po, aRow2, aRow3] = [10, 11, 12, 13, 14, 15, 16, 17, 18];
  const acc = (r: number, h: number): number => 19 + 2 * r + h;
  const [b0, b1, av, biasLo, biasHi] = [27, 28, 29, 30, 31];
  // float32: 32 the column's bias, 33–36 the four rows' sums, 37 b's value.
  const [bs, bv] = [32, 37];
  const sum = (r: number): number => 33 + r;
  const aRowOffset = [[], get(aRow), get(aRow2), get(aRow3)] as const;
  const accumulateRow = (r: number): number[] => [
    ...get(pa),
    ...(r === 0 ? [] : [...aRowOffset[r]!, ...add]),
    ...loadSplat,
    ...set(av),
    ...[...get(acc(r, 0)), ...get(av), ...get(b0), ...f32x4Mul, ...f32x4Add, ...set(acc(r, 0))],
    ...[...get(acc(r, 1)), ...get(av), ...get(b1), ...f32x4Mul, ...f32x4Add, ...set(acc(r, 1))],
  ];
  const rows = [0, 1, 2, 3];
  const body = [
    ...[...get(n), ...i32(2), ...shl, ...set(rowBytes)],
    ...[...get(aRow), ...i32(1), ...shl, ...set(aRow2)],
    ...[...get(aRow2), ...get(aRow), ...add, ...set(aRow3)],
    ...[...block, ...get(m), 0x45, ...brIf(0), ...get(n), 0x45, ...brIf(0)], // nothing to do
    ...i32(0),
    ...set(n0),
    ...[...block, ...get(n), ...i32(8), ...ltU, ...brIf(0)], // no whole column block
    ...loop, // column blocks of 8
    ...[...get(bias), ...ifThen],
    ...[...get(bias), ...get(n0), ...i32(2), ...shl, ...add, ...v128Load(0), ...set(biasLo)],
    ...[...get(bias), ...get(n0), ...i32(2), ...shl, ...add, ...v128Load(16), ...set(biasHi)],
    ...elseDo,
    ...[...zero, ...set(biasLo), ...zero, ...set(biasHi)],
    ...end,
    ...i32(0),
    ...set(i0),
    ...loop, // row blocks
    ...rows.flatMap((r) => [...get(biasLo), ...set(acc(r, 0)), ...get(biasHi), ...set(acc(r, 1))]),
    ...[...get(a), ...get(i0), ...get(aRow), ...mul, ...add, ...set(pa)],
    ...[...get(b), ...get(n0), ...i32(2), ...shl, ...add, ...set(pb)],
    ...[...get(k), ...set(kk)],
    ...[...block, ...get(kk), 0x45, ...brIf(0)],
    ...loop, // k
    ...[...get(pb), ...v128Load(0), ...set(b0), ...get(pb), ...v128Load(16), ...set(b1)],
    ...rows.flatMap(accumulateRow),
    ...[...get(pa), ...get(aK), ...add, ...set(pa)],
    ...[...get(pb), ...get(rowBytes), ...add, ...set(pb)],
    ...[...get(kk), ...i32(1), 0x6b, ...set(kk), ...get(kk), ...brIf(0)],
    ...end,
    ...end,
    ...[...get(relu), ...ifThen],
    ...rows.flatMap((r) => [0, 1].flatMap((h) => [...get(acc(r, h)), ...zero, ...f32x4Max, ...set(acc(r, h))])),
    ...end,
    // out + i0·rowBytes + n0·4
    ...[...get(out), ...get(i0), ...get(rowBytes), ...mul, ...add, ...get(n0), ...i32(2), ...shl, ...add, ...set(po)],
    ...rows.flatMap((r) => [
      ...get(po),
      ...(r === 0 ? [] : [...get(rowBytes), ...i32(r), ...mul, ...add]),
      ...get(acc(r, 0)),
      ...v128Store(0),
      ...get(po),
      ...(r === 0 ? [] : [...get(rowBytes), ...i32(r), ...mul, ...add]),
      ...get(acc(r, 1)),
      ...v128Store(16),
    ]),
    ...[...get(i0), ...i32(4), ...add, ...set(i0), ...get(i0), ...get(m), ...ltU, ...brIf(0)],
    ...end,
    // while n0 + 8 ≤ n
    ...[...get(n0), ...i32(8), ...add, ...set(n0), ...get(n0), ...i32(8), ...add, ...get(n), ...leU, ...brIf(0)],
    ...end,
    ...end,
    // The last n mod 8 columns one at a time, in scalar float32 (the same operations per lane).
    ...[...block, ...get(n0), ...get(n), ...geU, ...brIf(0)],
    ...loop, // columns
    ...[...get(bias), ...ifThen, ...get(bias), ...get(n0), ...i32(2), ...shl, ...add, ...f32Load, ...set(bs)],
    ...[...elseDo, ...f32Zero, ...set(bs), ...end],
    ...i32(0),
    ...set(i0),
    ...loop, // row blocks
    ...rows.flatMap((r) => [...get(bs), ...set(sum(r))]),
    ...[...get(a), ...get(i0), ...get(aRow), ...mul, ...add, ...set(pa)],
    ...[...get(b), ...get(n0), ...i32(2), ...shl, ...add, ...set(pb)],
    ...[...get(k), ...set(kk)],
    ...[...block, ...get(kk), 0x45, ...brIf(0)],
    ...loop, // k
    ...[...get(pb), ...f32Load, ...set(bv)],
    ...rows.flatMap((r) => [
      ...get(sum(r)),
      ...get(pa),
      ...(r === 0 ? [] : [...aRowOffset[r]!, ...add]),
      ...f32Load,
      ...get(bv),
      ...f32Mul,
      ...f32Add,
      ...set(sum(r)),
    ]),
    ...[...get(pa), ...get(aK), ...add, ...set(pa)],
    ...[...get(pb), ...get(rowBytes), ...add, ...set(pb)],
    ...[...get(kk), ...i32(1), 0x6b, ...set(kk), ...get(kk), ...brIf(0)],
    ...end,
    ...end,
    ...[...get(relu), ...ifThen],
    ...rows.flatMap((r) => [...get(sum(r)), ...f32Zero, ...f32Max, ...set(sum(r))]),
    ...end,
    ...[...get(out), ...get(i0), ...get(rowBytes), ...mul, ...add, ...get(n0), ...i32(2), ...shl, ...add, ...set(po)],
    ...rows.flatMap((r) => [
      ...get(po),
      ...(r === 0 ? [] : [...get(rowBytes), ...i32(r), ...mul, ...add]),
      ...get(sum(r)),
      ...f32Store,
    ]),
    ...[...get(i0), ...i32(4), ...add, ...set(i0), ...get(i0), ...get(m), ...ltU, ...brIf(0)],
    ...end,
    ...[...get(n0), ...i32(1), ...add, ...set(n0), ...get(n0), ...get(n), ...ltU, ...brIf(0)],
    ...end,
    ...end,
    ...end, // block
  ];

  // reluBackward: parameters 0 rows, 1 columns (a multiple of 4), 2 dh, 3 y, 4 dz, 5 db.
  // Locals: 6 the column block's byte offset, 7 offset, 8 end, 9 row bytes; v128: 10 y,
  // 11 step(y), 12 dz, 13 the column sums. step(y) is tfjs' Step: NaN stays NaN, else y > 0 ? 1 : 0;
  // dz = dh·step(y) (Multiply), db = Σ rows dz in row order from +0 (Sum).
  const [rowCount, columnCount, dh, y, dz, db] = [0, 1, 2, 3, 4, 5];
  const [c0, offset, endOffset, rowSize, yv, step, z, columnSum] = [6, 7, 8, 9, 10, 11, 12, 13];
  const one = [...simd(0x0c), ...new Array<number[]>(4).fill([0, 0, 0x80, 0x3f]).flat()]; // v128.const 1.0 ×4
  const [f32x4Ne, f32x4Gt, bitselect] = [simd(0x42), simd(0x44), simd(0x52)];
  const reluBody = [
    ...[...get(columnCount), ...i32(2), ...shl, ...set(rowSize)],
    ...[...get(rowCount), ...get(rowSize), ...mul, ...set(endOffset)],
    ...[...block, ...get(endOffset), 0x45, ...brIf(0)],
    ...i32(0),
    ...set(c0),
    ...loop, // column blocks of 4
    ...[...zero, ...set(columnSum), ...get(c0), ...set(offset)],
    ...loop, // rows
    ...[...get(y), ...get(offset), ...add, ...v128Load(0), ...set(yv)],
    ...[...one, ...zero, ...get(yv), ...zero, ...f32x4Gt, ...bitselect, ...set(step)],
    ...[...get(yv), ...get(step), ...get(yv), ...get(yv), ...f32x4Ne, ...bitselect, ...set(step)],
    ...[...get(dh), ...get(offset), ...add, ...v128Load(0), ...get(step), ...f32x4Mul, ...set(z)],
    ...[...get(dz), ...get(offset), ...add, ...get(z), ...v128Store(0)],
    ...[...get(columnSum), ...get(z), ...f32x4Add, ...set(columnSum)],
    ...[...get(offset), ...get(rowSize), ...add, ...set(offset), ...get(offset), ...get(endOffset), ...ltU, ...brIf(0)],
    ...end,
    ...[...get(db), ...get(c0), ...add, ...get(columnSum), ...v128Store(0)],
    ...[...get(c0), ...i32(16), ...add, ...set(c0), ...get(c0), ...get(rowSize), ...ltU, ...brIf(0)],
    ...end,
    ...end, // block
  ];
  return wasmModule({
    memory: { module: 'env', name: 'memory', minimumPages: 0 },
    functions: [
      {
        name: 'gemm',
        params: new Array<number>(10).fill(I32),
        results: [],
        locals: [
          [9, I32],
          [13, V128],
          [6, F32],
        ],
        body,
      },
      {
        name: 'reluBackward',
        params: new Array<number>(6).fill(I32),
        results: [],
        locals: [
          [4, I32],
          [4, V128],
        ],
        body: reluBody,
      },
    ],
  });
}

type GemmFunction = (
  m: number,
  n: number,
  k: number,
  a: number,
  aRowStride: number,
  aKStride: number,
  b: number,
  bias: number,
  relu: number,
  out: number,
) => void;

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackend {
  readonly wasm: { readonly asm?: { readonly memory?: object } };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

type ReluBackwardFunction = (rows: number, columns: number, dh: number, y: number, dz: number, db: number) => void;

/** The module's functions, instantiated on one backend's memory. */
interface Kernels {
  readonly gemm: GemmFunction;
  readonly reluBackward: ReluBackwardFunction;
}

let compiled: object | null | undefined;
/** The kernels instantiated on each backend's memory (one in practice), null where they cannot be. */
const instances = new WeakMap<object, Kernels | null>();

function kernelsOn(backend: WasmBackend): Kernels | null {
  const memory = backend.wasm.asm?.memory;
  if (memory === undefined) return null;
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const api = webAssembly;
    if (compiled === undefined) {
      const bytes = moduleBytes();
      compiled = api?.validate(bytes) === true ? new api.Module(bytes) : null;
    }
    try {
      const exports =
        compiled === null || api === undefined ? null : new api.Instance(compiled, { env: { memory } }).exports;
      kernels =
        exports === null
          ? null
          : { gemm: exports.gemm as GemmFunction, reluBackward: exports.reluBackward as ReluBackwardFunction };
    } catch {
      kernels = null; // e.g. a shared memory (the threaded build): the stock kernels then
    }
    instances.set(memory, kernels);
  }
  return kernels;
}

/** The kernels on the current backend, or null when it is not wasm or they cannot run there. */
const currentKernels = (): Kernels | null =>
  tf.getBackend() === 'wasm' ? kernelsOn(tf.backend() as unknown as WasmBackend) : null;

/** A tensor's byte offset in the wasm heap. */
const offsetOf = (backend: WasmBackend, t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;

interface GemmAttrs {
  transposeA: boolean;
  relu: boolean;
}

function gemmKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
  const { transposeA, relu } = args.attrs as unknown as GemmAttrs;
  const [rows, inner] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const columns = b.shape[1]!;
  const { gemm } = kernelsOn(backend)!;
  const out = backend.makeOutput([rows, columns], 'float32');
  const offset = (t: tf.TensorInfo): number => offsetOf(backend, t);
  const [rowStride, kStride] = transposeA ? [4, 4 * rows] : [4 * inner, 4];
  gemm(
    rows,
    columns,
    inner,
    offset(a),
    rowStride,
    kStride,
    offset(b),
    bias === undefined ? 0 : offset(bias),
    relu ? 1 : 0,
    offset(out),
  );
  return out;
}

function reluBackwardKernel(args: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const backend = args.backend as unknown as WasmBackend;
  const { dh, y } = args.inputs as { dh: tf.TensorInfo; y: tf.TensorInfo };
  const [rows, columns] = dh.shape as [number, number];
  const dz = backend.makeOutput([rows, columns], 'float32');
  const db = backend.makeOutput([columns], 'float32');
  const offset = (t: tf.TensorInfo): number => offsetOf(backend, t);
  kernelsOn(backend)!.reluBackward(rows, columns, offset(dh), offset(y), offset(dz), offset(db));
  return [dz, db];
}

const KERNELS = [
  { kernelName: KERNEL, backendName: 'wasm', kernelFunc: gemmKernel as tf.KernelFunc },
  { kernelName: RELU_BACKWARD, backendName: 'wasm', kernelFunc: reluBackwardKernel as unknown as tf.KernelFunc },
];
/** Registers the kernels once (another copy of this module may have done it already). */
function register(): void {
  for (const config of KERNELS) {
    // getKernel is typed as always found; at run time it returns undefined for a missing kernel.
    if ((tf.getKernel(config.kernelName, 'wasm') as tf.KernelConfig | undefined) === undefined)
      tf.registerKernel(config);
  }
}

/**
 * True when {@link denseGemm} can multiply `a` (or aᵀ) by `b` on the current backend: wasm (its
 * non-threaded build), float32, rows (of the product) a multiple of 4.
 */
export function gemmFits(a: tf.Tensor2D, b: tf.Tensor2D, transposeA: boolean): boolean {
  if (tf.getBackend() !== 'wasm' || a.dtype !== 'float32' || b.dtype !== 'float32') return false;
  const [rows, inner] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  return rows % 4 === 0 && inner === b.shape[0] && currentKernels() !== null;
}

/**
 * `a·b` (`aᵀ·b` with `transposeA`), plus `bias` [columns] and then relu when asked, as one
 * kernel on the wasm heap. Only after {@link gemmFits} said yes for these operands.
 *
 * @example
 * const h = gemmFits(x, w, false) ? denseGemm(x, w, { bias: b, relu: true }) : tf.relu(tf.add(tf.matMul(x, w), b));
 */
export function denseGemm(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  options: { transposeA?: boolean; bias?: tf.Tensor1D; relu?: boolean } = {},
): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = options.bias === undefined ? { a, b } : { a, b, bias: options.bias };
  const attrs = { transposeA: options.transposeA ?? false, relu: options.relu ?? false };
  register();
  return tf.engine().runKernel<tf.Tensor2D>(KERNEL, inputs, attrs);
}

/**
 * A relu layer's backward step in one pass on the wasm heap, where {@link reluBackwardFits}: from
 * dh (the gradient w.r.t. the layer's output y) and y, dz = dh·step(y) and db = Σ_rows dz — the
 * values of tfjs' `mul(dh, step(y))` and `sum(dz, 0)` bit for bit (same operations, same order).
 *
 * @example
 * const [dz, db] = reluBackwardFits(dh, y) ? reluBackward(dh, y) : [tf.mul(dh, tf.step(y)), undefined];
 */
export function reluBackward(dh: tf.Tensor2D, y: tf.Tensor2D): [tf.Tensor2D, tf.Tensor1D] {
  register();
  const [dz, db] = tf.engine().runKernel(RELU_BACKWARD, { dh, y }) as unknown as [tf.Tensor2D, tf.Tensor1D];
  return [dz, db];
}

/** True when {@link reluBackward} runs here: wasm, float32 operands of one shape, columns a multiple of 4. */
export const reluBackwardFits = (dh: tf.Tensor2D, y: tf.Tensor2D): boolean =>
  dh.dtype === 'float32' &&
  y.dtype === 'float32' &&
  dh.shape[0] === y.shape[0] &&
  dh.shape[1] === y.shape[1] &&
  dh.shape[1] % 4 === 0 &&
  currentKernels() !== null;
