import { wasmModule, wasmOp, wasmType, webAssembly as wasm, type WasmMemory } from '@losslab/runtime';

/**
 * The LSTM sequence kernels' element-wise steps (`cellStep`, `hiddenStep` and `gradientStep` in
 * `lstm-kernels.ts`) as WebAssembly SIMD kernels, four units per instruction in float32 lanes.
 * Every operation is the scalar loops' — one float32 ×, + or − at a time, each correctly rounded
 * (IEEE; WebAssembly has no fused multiply-add), in the same order — so the results are
 * bit-identical to them (a float64 product or sum of two float32 values rounded to float32 equals
 * the float32 operation; 2x is x + x exactly).
 *
 * The forward kernels run on the wasm backend's own heap (no copies; the cpu backend keeps the
 * scalar loops). The backward module has its own memory: a backward call copies the saved gates,
 * cell tanhs, cells and the output's gradient in once, each step copies dz_{t+1}·Uᵀ in and dz_t out.
 */

const { get, set, tee, i32, simd } = wasmOp;
const { i32: I32, v128: V128 } = wasmType;
const [i32Add, i32Mul, i32LtU] = [[0x6a], [0x6c], [0x49]];
const [add, sub, mul] = [0xe4, 0xe5, 0xe6].map(simd) as [number[], number[], number[]];
const memarg = [2, 0]; // 4-byte aligned (a hint), no offset
const load = (address: number[]): number[] => [...address, ...simd(0x00), ...memarg];
const store = (address: number[], value: number[]): number[] => [...address, ...value, ...simd(0x0b), ...memarg];
const splat = (bytes: [number, number, number, number]): number[] => [0x43, ...bytes, ...simd(0x13)]; // f32x4.splat
const ONE: [number, number, number, number] = [0x00, 0x00, 0x80, 0x3f];
const TWO: [number, number, number, number] = [0x00, 0x00, 0x00, 0x40];

/**
 * A loop over `rows` rows of `ub` bytes, 16 at a time: `k` the byte in the row; after each row the
 * locals `advances` (local, bytes) grow. Wrapped in a block that skips it when rows is 0.
 */
function rowLoop(
  rows: number,
  ub: number,
  k: number,
  row: number,
  inner: number[],
  advances: [number, number[]][],
): number[] {
  return [
    ...[0x02, 0x40], // block
    ...[...get(rows), 0x45, 0x0d, 0], // br_if rows == 0
    ...[0x03, 0x40], // loop (rows)
    ...[...i32(0), ...set(k)],
    ...[0x03, 0x40], // loop (the row, four floats at a time)
    ...inner,
    ...[...get(k), ...i32(16), ...i32Add, ...tee(k), ...get(ub), ...i32LtU, 0x0d, 0], // br_if (k += 16) < ub
    0x0b,
    ...advances.flatMap(([local, bytes]) => [...get(local), ...bytes, ...i32Add, ...set(local)]),
    ...[...get(row), ...i32(1), ...i32Add, ...tee(row), ...get(rows), ...i32LtU, 0x0d, 0], // br_if (row += 1) < rows
    ...[0x0b, 0x0b],
  ];
}

/** A module of functions (all parameters i32, no results) over the imported memory m.memory. */
/** A module of `functions` (i32 parameters, no results) on the imported memory `m.memory`. */
function moduleBytes(
  functions: { name: string; parameters: number; locals: [number, number][]; body: number[] }[],
): Uint8Array {
  return wasmModule({
    memory: { module: 'm', name: 'memory', minimumPages: 1 },
    functions: functions.map(({ name, parameters, locals, body }) => ({
      name,
      params: new Array<number>(parameters).fill(I32),
      results: [],
      locals,
      body,
    })),
  });
}

/** The backward step's module: `gradient`. */
function gradientBytes(): Uint8Array {
  // Parameters (byte addresses): 0 rows (batch), 1 ub (units × 4 bytes, a multiple of 16), 2 dOut,
  // 3 R, 4 G, 5 TC, 6 P, 7 D, 8 carry. Locals: 9 k (byte in the row), 10 gate row, 11 unit row,
  // 12 row, 13 uk, 14 gk; v128: 15 one, 16 dh, 17 i, 18 f, 19 g, 20 o, 21 tc, 22 dc.
  const [rows, ub, dOut, R, G, TC, P, D, carry] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [k, gateRow, unitRow, row, uk, gk] = [9, 10, 11, 12, 13, 14];
  const [one, dh, i, f, g, o, tc, dc] = [15, 16, 17, 18, 19, 20, 21, 22];
  /** Address of a per-unit array's element: base + uk. */
  const unitAt = (base: number): number[] => [...get(base), ...get(uk), ...i32Add];
  /** Address of gate `n`'s element in a [batch, 4u] row: base + gk + n·ub. */
  const gateAt = (base: number, n: number): number[] => [
    ...get(base),
    ...get(gk),
    ...i32Add,
    ...(n === 0 ? [] : [...get(ub), ...i32(n), ...i32Mul, ...i32Add]),
  ];
  const oneMinus = (value: number[]): number[] => [...get(one), ...value, ...sub];
  const inner = [
    ...[...get(unitRow), ...get(k), ...i32Add, ...set(uk)],
    ...[...get(gateRow), ...get(k), ...i32Add, ...set(gk)],
    // dh = R + dOut
    ...[...load(unitAt(R)), ...load(unitAt(dOut)), ...add, ...set(dh)],
    ...[...load(gateAt(G, 0)), ...set(i), ...load(gateAt(G, 1)), ...set(f)],
    ...[...load(gateAt(G, 2)), ...set(g), ...load(gateAt(G, 3)), ...set(o)],
    ...[...load(unitAt(TC)), ...set(tc)],
    // dc = carry + dh·(o·(1 − tc·tc))
    ...[...load(unitAt(carry)), ...get(dh), ...get(o), ...oneMinus([...get(tc), ...get(tc), ...mul]), ...mul, ...mul],
    ...[...add, ...set(dc)],
    // dz_i = dc·(g·(i·(1 − i)))
    ...store(gateAt(D, 0), [...get(dc), ...get(g), ...get(i), ...oneMinus(get(i)), ...mul, ...mul, ...mul]),
    // dz_f = dc·(c_{t−1}·(f·(1 − f)))
    ...store(gateAt(D, 1), [...get(dc), ...load(unitAt(P)), ...get(f), ...oneMinus(get(f)), ...mul, ...mul, ...mul]),
    // dz_c = dc·(i·(1 − g·g))
    ...store(gateAt(D, 2), [...get(dc), ...get(i), ...oneMinus([...get(g), ...get(g), ...mul]), ...mul, ...mul]),
    // dz_o = dh·(tc·(o·(1 − o)))
    ...store(gateAt(D, 3), [...get(dh), ...get(tc), ...get(o), ...oneMinus(get(o)), ...mul, ...mul, ...mul]),
    // carry = dc·f
    ...store(unitAt(carry), [...get(dc), ...get(f), ...mul]),
  ];
  const body = [
    ...[...splat(ONE), ...set(one)],
    ...rowLoop(rows, ub, k, row, inner, [
      [unitRow, get(ub)],
      [gateRow, [...get(ub), ...i32(4), ...i32Mul]],
    ]),
  ];
  return moduleBytes([
    {
      name: 'gradient',
      parameters: 9,
      locals: [
        [6, I32],
        [8, V128],
      ],
      body,
    },
  ]);
}

/**
 * The forward step's module, on the wasm backend's own memory: `cell` (the cells from the gates'
 * sigmoids, `cellStep` in `lstm-kernels.ts`) and `hidden` (tanh c and h from the cells' sigmoids,
 * `hiddenStep`), each operation the scalar loop's, in its order.
 */
function forwardBytes(): Uint8Array {
  // cell parameters (byte addresses): 0 rows, 1 ub, 2 G (step t's gates), 3 P (c_{t−1}), 4 C (c_t),
  // 5 D (2c_t). Locals: 6 k, 7 gate row, 8 unit row, 9 row, 10 uk, 11 gk; v128 12 one, 13 two,
  // 14 i, 15 g, 16 c.
  const cell = (() => {
    const [rows, ub, G, P, C, D] = [0, 1, 2, 3, 4, 5];
    const [k, gateRow, unitRow, row, uk, gk] = [6, 7, 8, 9, 10, 11];
    const [one, two, i, g, c] = [12, 13, 14, 15, 16];
    const unitAt = (base: number): number[] => [...get(base), ...get(uk), ...i32Add];
    const gateAt = (n: number): number[] => [
      ...get(G),
      ...get(gk),
      ...i32Add,
      ...(n === 0 ? [] : [...get(ub), ...i32(n), ...i32Mul, ...i32Add]),
    ];
    const inner = [
      ...[...get(unitRow), ...get(k), ...i32Add, ...set(uk)],
      ...[...get(gateRow), ...get(k), ...i32Add, ...set(gk)],
      ...[...load(gateAt(0)), ...set(i)],
      // g = 2σ(2z_c) − 1, in place of σ(2z_c)
      ...[...get(two), ...load(gateAt(2)), ...mul, ...get(one), ...sub, ...set(g)],
      ...store(gateAt(2), get(g)),
      // c = f·c_{t−1} + i·g; 2c
      ...[...load(gateAt(1)), ...load(unitAt(P)), ...mul, ...get(i), ...get(g), ...mul, ...add, ...set(c)],
      ...store(unitAt(C), get(c)),
      ...store(unitAt(D), [...get(c), ...get(c), ...add]),
    ];
    return {
      name: 'cell',
      parameters: 6,
      locals: [
        [6, I32],
        [5, V128],
      ] as [number, number][],
      body: [
        ...[...splat(ONE), ...set(one), ...splat(TWO), ...set(two)],
        ...rowLoop(rows, ub, k, row, inner, [
          [unitRow, get(ub)],
          [gateRow, [...get(ub), ...i32(4), ...i32Mul]],
        ]),
      ],
    };
  })();
  // hidden parameters: 0 rows, 1 ub, 2 S (σ(2c_t)), 3 O (step t's o gate, rows of 4·ub), 4 TC,
  // 5 H, 6 A (the next operand, rows of `aStride` bytes), 7 aStride. Locals: 8 k, 9 gate row,
  // 10 unit row, 11 operand row, 12 row, 13 uk; v128 14 one, 15 two, 16 tc, 17 h.
  const hidden = (() => {
    const [rows, ub, S, O, TC, H, A, aStride] = [0, 1, 2, 3, 4, 5, 6, 7];
    const [k, gateRow, unitRow, operandRow, row, uk] = [8, 9, 10, 11, 12, 13];
    const [one, two, tc, h] = [14, 15, 16, 17];
    const unitAt = (base: number): number[] => [...get(base), ...get(uk), ...i32Add];
    const rowAt = (base: number, rowLocal: number): number[] => [
      ...get(base),
      ...get(rowLocal),
      ...i32Add,
      ...get(k),
      ...i32Add,
    ];
    const inner = [
      ...[...get(unitRow), ...get(k), ...i32Add, ...set(uk)],
      // tanh c = 2σ(2c) − 1; h = o·tanh c
      ...[...get(two), ...load(unitAt(S)), ...mul, ...get(one), ...sub, ...set(tc)],
      ...[...load(rowAt(O, gateRow)), ...get(tc), ...mul, ...set(h)],
      ...store(unitAt(TC), get(tc)),
      ...store(unitAt(H), get(h)),
      ...store(rowAt(A, operandRow), get(h)),
    ];
    return {
      name: 'hidden',
      parameters: 8,
      locals: [
        [6, I32],
        [4, V128],
      ] as [number, number][],
      body: [
        ...[...splat(ONE), ...set(one), ...splat(TWO), ...set(two)],
        ...rowLoop(rows, ub, k, row, inner, [
          [unitRow, get(ub)],
          [gateRow, [...get(ub), ...i32(4), ...i32Mul]],
          [operandRow, get(aStride)],
        ]),
      ],
    };
  })();
  return moduleBytes([cell, hidden]);
}

type GradientKernel = (
  rows: number,
  unitBytes: number,
  dOut: number,
  R: number,
  G: number,
  TC: number,
  P: number,
  D: number,
  carry: number,
) => void;

const PAGE = 65536;

/** Whether {@link LstmGradientSimd.create} may return a kernel (tests switch it off to compare). */
let simdEnabled = true;

/** @internal Turns the SIMD kernel off (false: the scalar loop) or back on; for tests. */
export function useLstmSimd(enabled: boolean): void {
  simdEnabled = enabled;
}

/** Sizes of one backward call. */
export interface GradientSizes {
  readonly steps: number;
  readonly batch: number;
  readonly units: number;
  /** Length of the output's gradient: steps·batch·units with sequences, else batch·units. */
  readonly outputLength: number;
}

/**
 * The kernel with its memory, one per process (kernels run one at a time), grown to the largest
 * call. Regions, in floats: G, TC, C (the saved sequences), dY, R, carry, zeros, dz.
 */
export class LstmGradientSimd {
  private static instance: LstmGradientSimd | null | undefined;
  private view: Float32Array;
  private at = { G: 0, TC: 0, C: 0, dY: 0, R: 0, carry: 0, zeros: 0, dz: 0 };
  private sizes: GradientSizes = { steps: 0, batch: 0, units: 0, outputLength: 0 };

  private constructor(
    private readonly memory: WasmMemory,
    private readonly kernel: GradientKernel,
  ) {
    this.view = new Float32Array(memory.buffer);
  }

  /**
   * The kernel ready for a call of these sizes (its carry zeroed), or undefined where WebAssembly
   * SIMD is unavailable, switched off, or the units are not a multiple of 4 (use the scalar loop).
   */
  static create(sizes: GradientSizes): LstmGradientSimd | undefined {
    if (!simdEnabled || sizes.units % 4 !== 0) return undefined;
    if (LstmGradientSimd.instance === undefined) {
      const bytes = gradientBytes();
      if (wasm?.validate(bytes) !== true) LstmGradientSimd.instance = null;
      else {
        const memory = new wasm.Memory({ initial: 1 });
        const instance = new wasm.Instance(new wasm.Module(bytes), { m: { memory } });
        LstmGradientSimd.instance = new LstmGradientSimd(memory, instance.exports.gradient as GradientKernel);
      }
    }
    return LstmGradientSimd.instance?.prepare(sizes) ?? undefined;
  }

  private prepare(sizes: GradientSizes): this {
    const { steps, batch, units, outputLength } = sizes;
    const sequence = steps * batch * units;
    const step = batch * units;
    const lengths = { G: 4 * sequence, TC: sequence, C: sequence, dY: outputLength, R: step, carry: step, zeros: step };
    let floats = 0;
    const at = { ...this.at };
    for (const [key, length] of Object.entries(lengths)) {
      at[key as keyof typeof at] = floats;
      floats += length + (-length & 3); // 16-byte aligned regions
    }
    at.dz = floats;
    floats += 4 * sequence;
    const needed = Math.ceil((floats * 4) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needed > 0) this.memory.grow(needed);
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    this.at = at;
    this.sizes = sizes;
    this.view.fill(0, at.carry, at.zeros + step);
    return this;
  }

  /** Copies the forward pass's saved sequences and the output's gradient in. */
  load(gates: Float32Array, cellTanhs: Float32Array, cells: Float32Array, dHidden: Float32Array): void {
    const { steps, batch, units, outputLength } = this.sizes;
    const sequence = steps * batch * units;
    this.view.set(gates.subarray(0, 4 * sequence), this.at.G);
    this.view.set(cellTanhs.subarray(0, sequence), this.at.TC);
    this.view.set(cells.subarray(0, sequence), this.at.C);
    this.view.set(dHidden.subarray(0, outputLength), this.at.dY);
  }

  /**
   * Step t: dz_t from R (dz_{t+1}·Uᵀ, undefined at the last step) and the output's gradient at
   * t (`output` false: none before the last step without sequences); returns dz_t, a view valid
   * until the next {@link create}.
   */
  step(t: number, R: Float32Array | undefined, output: boolean, sequences: boolean): Float32Array {
    const { batch, units } = this.sizes;
    const stepFloats = batch * units;
    const at = this.at;
    if (R !== undefined) this.view.set(R.subarray(0, stepFloats), at.R);
    const dOut = output ? at.dY + (sequences ? t * stepFloats : 0) : at.zeros;
    const previous = t === 0 ? at.zeros : at.C + (t - 1) * stepFloats;
    const dz = at.dz + 4 * t * stepFloats;
    this.kernel(
      batch,
      units * 4,
      dOut * 4,
      (R === undefined ? at.zeros : at.R) * 4,
      (at.G + 4 * t * stepFloats) * 4,
      (at.TC + t * stepFloats) * 4,
      previous * 4,
      dz * 4,
      at.carry * 4,
    );
    return this.view.subarray(dz, dz + 4 * stepFloats);
  }
}

type CellKernel = (rows: number, unitBytes: number, G: number, P: number, C: number, D: number) => void;
type HiddenKernel = (
  rows: number,
  unitBytes: number,
  S: number,
  O: number,
  TC: number,
  H: number,
  A: number,
  operandBytes: number,
) => void;

/** The forward module's instances, one per memory they work on (the wasm backend's heap). */
const forwardInstances = new WeakMap<object, LstmForwardSimd | null>();

/**
 * The forward step's kernels on a memory that holds the tensors (the wasm backend's heap):
 * arguments are byte addresses in it, from the tensors' heap views.
 */
export class LstmForwardSimd {
  private constructor(
    private readonly cell: CellKernel,
    private readonly hidden: HiddenKernel,
  ) {}

  /** The two kernels, `cell` and `hidden` (see `forwardBytes` for their parameters). */
  steps(): { cell: CellKernel; hidden: HiddenKernel } {
    return { cell: this.cell, hidden: this.hidden };
  }

  /**
   * The kernels on `memory` (a WebAssembly.Memory), or undefined where WebAssembly SIMD is
   * unavailable, switched off, or the units are not a multiple of 4 (use the scalar loops).
   */
  static on(memory: object, units: number): LstmForwardSimd | undefined {
    if (!simdEnabled || units % 4 !== 0) return undefined;
    let kernels = forwardInstances.get(memory);
    if (kernels === undefined) {
      const bytes = forwardBytes();
      if (wasm?.validate(bytes) !== true) kernels = null;
      else {
        const { exports } = new wasm.Instance(new wasm.Module(bytes), { m: { memory } });
        kernels = new LstmForwardSimd(exports.cell as CellKernel, exports.hidden as HiddenKernel);
      }
      forwardInstances.set(memory, kernels);
    }
    return kernels ?? undefined;
  }
}
