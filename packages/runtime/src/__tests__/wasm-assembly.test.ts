import { describe, expect, it } from 'vitest';
import { uleb, wasmModule, wasmOp, wasmType, webAssembly } from '../wasm-assembly.js';

const WebAssembly = webAssembly!;

describe('wasm-assembly', () => {
  it('writes unsigned LEB128 as the binary format specifies', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    // The specification's own example.
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
  });

  it('refuses an i32 constant that one byte of signed LEB128 cannot hold', () => {
    expect(wasmOp.i32(63)).toEqual([0x41, 63]);
    expect(() => wasmOp.i32(64)).toThrow(/64 is not in 0…63/);
    expect(() => wasmOp.i32(-1)).toThrow(RangeError);
  });

  it('assembles a module that validates, imports its memory and runs each exported function', () => {
    const { get, set, i32 } = wasmOp;
    const { i32: I32, f32: F32 } = wasmType;
    const bytes = wasmModule({
      memory: { module: 'env', name: 'memory', minimumPages: 1 },
      functions: [
        // a + b, through a local so that the locals' encoding is exercised.
        {
          name: 'add',
          params: [I32, I32],
          results: [I32],
          locals: [[1, I32]],
          body: [...get(0), ...get(1), 0x6a, ...set(2), ...get(2)],
        },
        // memory[at] ← memory[at] · 2 (f32), then 1.
        {
          name: 'double',
          params: [I32],
          results: [I32],
          locals: [[1, F32]],
          body: [...get(0), ...get(0), 0x2a, 2, 0, ...set(1), ...get(1), ...get(1), 0x92, 0x38, 2, 0, ...i32(1)],
        },
      ],
    });
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const exports = instance.exports as unknown as {
      add: (a: number, b: number) => number;
      double: (at: number) => number;
    };
    expect(exports.add(40, 2)).toBe(42);
    const floats = new Float32Array(memory.buffer);
    floats[3] = 1.25;
    expect(exports.double(12)).toBe(1);
    expect(floats[3]).toBe(2.5);
    // A memory smaller than the declared minimum is refused at instantiation.
    expect(
      () =>
        new WebAssembly.Instance(new WebAssembly.Module(bytes), {
          env: { memory: new WebAssembly.Memory({ initial: 0 }) },
        }),
    ).toThrow();
  });
});
