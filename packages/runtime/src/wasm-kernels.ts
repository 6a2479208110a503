import * as tf from '@tensorflow/tfjs-core';

/**
 * Why this exists (tfjs-backend-wasm 4.22, `src/cc/batch_mat_mul_impl.cc`): the wasm backend
 * multiplies with XNNPACK only when neither operand is transposed and both have batch 1; any
 * `transposeA`/`transposeB` falls back to a scalar triple loop that is 10–15× slower. Every
 * gradient of a dense layer or an LSTM step multiplies with a transposed operand
 * (`tfjs-core/src/gradients/BatchMatMul_grad.ts`, `ops/fused/mat_mul.ts`: dA = dy·Bᵀ, dB = Aᵀ·dy).
 *
 * The kernels installed here wrap the wasm `BatchMatMul` and `_FusedMatMul`: when an operand is
 * transposed, they first transpose it explicitly with the wasm `Transpose` kernel (a copy, O(n))
 * and then call the original kernel untransposed, which takes the XNNPACK path. Results equal the
 * original's up to float32 summation order.
 */
const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;
const BACKEND = 'wasm';

type KernelArgs = Parameters<tf.KernelFunc>[0];
interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}
interface Disposable {
  disposeData(dataId: object, force?: boolean): boolean;
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
    const transpose = tf.getKernel('Transpose', BACKEND);
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
 * gradient) takes XNNPACK's fast path. A global registration: {@link selectBackend} calls it when
 * it activates the wasm backend (pass `fastMatMul: false` to keep the stock kernels); call
 * {@link restoreWasmMatMulKernels} to undo it. Idempotent; returns false when the wasm kernels are
 * not registered (the wasm backend was never imported).
 *
 * @example
 * await selectBackend({ requested: 'wasm' }); // already installed
 * restoreWasmMatMulKernels();                  // stock kernels again, e.g. to compare
 * installWasmMatMulKernels();
 */
export function installWasmMatMulKernels(): boolean {
  if (originals.size > 0) return true;
  const found = KERNELS.map((name) => tf.getKernel(name, BACKEND));
  if (found.some((k) => k === undefined)) return false;
  for (const original of found as tf.KernelConfig[]) {
    originals.set(original.kernelName, original);
    tf.unregisterKernel(original.kernelName, BACKEND);
    tf.registerKernel({ ...original, kernelFunc: explicitTranspose(original) });
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
