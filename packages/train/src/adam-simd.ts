import { wasmModule, wasmOp, wasmType, webAssembly as wasm, type WasmApi, type WasmMemory } from '@losslab/runtime';

/**
 * {@link HostAdam}'s update loop as a WebAssembly SIMD kernel, two weights per instruction in
 * float64 lanes. Every operation is the scalar loop's — float32 values widened exactly, then
 * ×, +, −, ÷ and √ in float64 (IEEE, correctly rounded, no fused multiply-add in WebAssembly) in
 * the same order, rounded to float32 when stored — so the results are bit-identical to it, at
 * about a third of its time (the loop is bound by the float64 division and square root).
 *
 * The moments live in the kernel's own memory for the optimiser's life; the weights and the
 * gradients are copied in each step, the new weights read out of it.
 */

/** The 341-byte module, assembled here so that its every instruction can be read. */
function kernelBytes(): Uint8Array {
  const { get, set, tee, simd } = wasmOp;
  const { i32: I32, f64: F64, v128: V128 } = wasmType;
  const [add, sub, mul, div, sqrt] = [0xf0, 0xf1, 0xf2, 0xf3, 0xef].map(simd) as [
    number[],
    number[],
    number[],
    number[],
    number[],
  ];
  const promote = simd(0x5f); // f64x2.promote_low_f32x4
  const demote = simd(0x5e); // f32x4.demote_f64x2_zero
  const i32Add = [0x6a];
  // Parameters: 0 count (even), 1–5 byte offsets of w, g, m, v, next; 6–13 β1, β2, 1−β1, 1−β2,
  // 1/(1−β1ᵗ), 1/(1−β2ᵗ), ε, lr. Locals: 14 offset, 15 end, 16–23 the scalars splatted, 24 probe,
  // 25 g, 26 m, 27 v, 28 the new weights as float32.
  const at = { offset: 14, end: 15, b1: 16, b2: 17, o1: 18, o2: 19, i1: 20, i2: 21, eps: 22, lr: 23 };
  const [probe, g, m, v, stored] = [24, 25, 26, 27, 28];
  const memarg = [3, 0]; // 8-byte aligned, no offset
  const load = (pointer: number): number[] => [
    ...get(pointer),
    ...get(at.offset),
    ...i32Add,
    ...simd(0x5d),
    ...memarg,
    ...promote,
  ];
  const store = (pointer: number, value: number[]): number[] => [
    ...get(pointer),
    ...get(at.offset),
    ...i32Add,
    ...value,
    ...simd(0x5b), // v128.store64_lane, lane 0
    ...memarg,
    0,
  ];
  const body = [
    ...get(0),
    ...[0x41, 2, 0x74], // count << 2
    ...set(at.end),
    ...[6, 7, 8, 9, 10, 11, 12, 13].flatMap((parameter, k) => [...get(parameter), ...simd(0x14), ...set(at.b1 + k)]),
    ...[0x02, 0x40], // block
    ...get(at.end),
    ...[0x45, 0x0d, 0], // br_if end == 0
    ...[0x03, 0x40], // loop
    ...load(2),
    ...set(g),
    // m ← β1·m + (1−β1)·g
    ...[...get(at.b1), ...load(3), ...mul, ...get(at.o1), ...get(g), ...mul, ...add, ...set(m)],
    // v ← β2·v + (1−β2)·g·g
    ...[...get(at.b2), ...load(4), ...mul, ...get(at.o2), ...get(g), ...mul, ...get(g), ...mul, ...add, ...set(v)],
    ...store(3, [...get(m), ...demote]),
    ...store(4, [...get(v), ...demote]),
    // w − (lr·m·(1/(1−β1ᵗ))) / (√(v·(1/(1−β2ᵗ))) + ε), as float32
    ...[...load(1), ...get(at.lr), ...get(m), ...mul, ...get(at.i1), ...mul],
    ...[...get(v), ...get(at.i2), ...mul, ...sqrt, ...get(at.eps), ...add, ...div, ...sub, ...demote, ...set(stored)],
    ...store(5, get(stored)),
    // probe += w′ − w′ (NaN once any new weight is not finite as stored)
    ...[...get(probe), ...get(stored), ...promote, ...get(stored), ...promote, ...sub, ...add, ...set(probe)],
    ...[...get(at.offset), 0x41, 8, ...i32Add, ...tee(at.offset), ...get(at.end), 0x49, 0x0d, 0], // br_if (offset += 8) < end
    ...[0x0b, 0x0b],
    ...[...get(probe), ...simd(0x21), 0, ...get(probe), ...simd(0x21), 1, 0xa0], // lane 0 + lane 1
  ];
  return wasmModule({
    memory: { module: 'm', name: 'memory', minimumPages: 1 },
    functions: [
      {
        name: 'adam',
        params: [I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64, F64, F64, F64],
        results: [F64],
        locals: [
          [2, I32],
          [13, V128],
        ],
        body,
      },
    ],
  });
}

type AdamKernel = (
  count: number,
  w: number,
  g: number,
  m: number,
  v: number,
  next: number,
  b1: number,
  b2: number,
  oneMinusB1: number,
  oneMinusB2: number,
  inverse1: number,
  inverse2: number,
  eps: number,
  lr: number,
) => number;

let compiled: { readonly module: object; readonly api: WasmApi } | null | undefined;

/** The compiled module, or null where WebAssembly or its SIMD is unavailable. */
function kernelModule(): { readonly module: object; readonly api: WasmApi } | null {
  if (compiled === undefined) {
    const bytes = kernelBytes();
    compiled = wasm?.validate(bytes) === true ? { module: new wasm.Module(bytes), api: wasm } : null;
  }
  return compiled;
}

/** One variable's region: m, v, w, g, next, each `padded` floats (an even count). */
export interface AdamRegion {
  readonly size: number;
  readonly padded: number;
  /** Float index of the region's first float (its m). */
  readonly start: number;
}

const PAGE = 65536;

/**
 * The kernel with its memory: {@link allocate} a region per variable, read and write its moments
 * through {@link moments}, run a step with {@link step}.
 */
export class SimdAdam {
  private readonly memory: WasmMemory;
  private readonly kernel: AdamKernel;
  private floats = 0;
  private view: Float32Array;

  private constructor({ module, api }: { readonly module: object; readonly api: WasmApi }) {
    this.memory = new api.Memory({ initial: 1 });
    this.view = new Float32Array(this.memory.buffer);
    const instance = new api.Instance(module, { m: { memory: this.memory } });
    this.kernel = instance.exports.adam as AdamKernel;
  }

  /** A kernel with empty memory, or undefined where WebAssembly SIMD is unavailable (use the scalar loop). */
  static create(): SimdAdam | undefined {
    const kernel = kernelModule();
    return kernel === null ? undefined : new SimdAdam(kernel);
  }

  /** The float32 view of the memory (a new one after the memory grew: growing detaches the old). */
  private floatsView(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** A zeroed region for a variable of `size` floats. */
  allocate(size: number): AdamRegion {
    const padded = size + (size % 2);
    const region = { size, padded, start: this.floats };
    this.floats += 5 * padded;
    const needed = Math.ceil((this.floats * 4) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needed > 0) this.memory.grow(needed);
    return region;
  }

  /** The region's first and second moments, as views valid until the next {@link allocate}. */
  moments(region: AdamRegion): { m: Float32Array; v: Float32Array } {
    const view = this.floatsView();
    const { start, size, padded } = region;
    return { m: view.subarray(start, start + size), v: view.subarray(start + padded, start + padded + size) };
  }

  /**
   * One Adam update of the region: its moments in place; returns the new weights (a view valid
   * until the next step or {@link allocate}) and 0 when all of them are finite, NaN otherwise.
   */
  step(
    region: AdamRegion,
    w: Float32Array,
    g: Float32Array,
    constants: readonly [number, number, number, number, number, number, number, number],
  ): { next: Float32Array; probe: number } {
    const view = this.floatsView();
    const { start, size, padded } = region;
    const [wAt, gAt, nextAt] = [start + 2 * padded, start + 3 * padded, start + 4 * padded];
    view.set(w.subarray(0, size), wAt);
    view.set(g.subarray(0, size), gAt);
    const probe = this.kernel(padded, wAt * 4, gAt * 4, start * 4, (start + padded) * 4, nextAt * 4, ...constants);
    return { next: view.subarray(nextAt, nextAt + size), probe };
  }
}
