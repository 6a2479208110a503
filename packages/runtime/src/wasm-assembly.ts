/**
 * The WebAssembly binary encoding that losslab's hand-written kernels are assembled with, so
 * that each kernel's every instruction can be read in TypeScript beside the loop it replaces
 * (no toolchain, no opaque byte blob). Only what those kernels use: one imported memory,
 * functions of their own type each, exported by name (example: this package's README).
 */

/** Value types. */
export const wasmType = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;

/** Unsigned LEB128, as every count, index and size in the binary format is written. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const vector = (items: readonly (readonly number[])[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: readonly number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

/** The instructions with an immediate that every kernel uses. */
export const wasmOp = {
  get: (local: number): number[] => [0x20, ...uleb(local)],
  set: (local: number): number[] => [0x21, ...uleb(local)],
  tee: (local: number): number[] => [0x22, ...uleb(local)],
  /** i32.const for 0…63 (one byte of signed LEB128). */
  i32: (value: number): number[] => {
    if (!Number.isInteger(value) || value < 0 || value > 63)
      throw new RangeError(`i32 constant ${value} is not in 0…63`);
    return [0x41, value];
  },
  /** A SIMD instruction by its opcode after the 0xfd prefix. */
  simd: (op: number): number[] => [0xfd, ...uleb(op)],
};

export interface WasmFunction {
  /** Its export name. */
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  /** Runs of locals after the parameters: [count, type]. */
  readonly locals: readonly (readonly [number, number])[];
  /** The instructions, without the function's closing `end` (added here). */
  readonly body: readonly number[];
}

/** A module that imports one memory and exports `functions`, in order. */
export function wasmModule({
  memory,
  functions,
}: {
  readonly memory: { readonly module: string; readonly name: string; readonly minimumPages: number };
  readonly functions: readonly WasmFunction[];
}): Uint8Array {
  const signature = (f: WasmFunction): number[] => [
    0x60,
    ...vector(f.params.map((t) => [t])),
    ...vector(f.results.map((t) => [t])),
  ];
  const code = (f: WasmFunction): number[] => {
    const bytes = [...vector(f.locals.map(([count, type]) => [...uleb(count), type])), ...f.body, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(functions.map(signature))),
    ...section(2, vector([[...name(memory.module), ...name(memory.name), 0x02, 0x00, ...uleb(memory.minimumPages)]])),
    ...section(3, vector(functions.map((_, index) => uleb(index)))),
    ...section(7, vector(functions.map((f, index) => [...name(f.name), 0x00, ...uleb(index)]))),
    ...section(10, vector(functions.map(code))),
  ]);
}

/** A WebAssembly memory, as the kernels use it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** The part of the WebAssembly API the kernels use (losslab's packages compile without DOM or Node types). */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
/** The host's WebAssembly, or undefined where there is none. */
export const webAssembly: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
