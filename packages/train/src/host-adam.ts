import * as tf from '@tensorflow/tfjs-core';
import { SimdAdam, type AdamRegion } from './adam-simd.js';

/** A named tensor, as `tf.Optimizer` takes and returns them (not exported by tfjs-core's index). */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

const f32 = Math.fround;

/**
 * One Adam update of one variable into `next`: updates m and v in place and returns 0 when every
 * new weight is finite (as stored, in float32), NaN otherwise. The check rides along in the
 * loop: a non-finite weight, gradient or update makes the new weight non-finite.
 */
function adamUpdate(
  next: Float32Array,
  w: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  b1: number,
  b2: number,
  oneMinusB1: number,
  oneMinusB2: number,
  inverse1: number,
  inverse2: number,
  eps: number,
  lr: number,
): number {
  let probe = 0;
  for (let j = 0; j < w.length; j++) {
    const gj = g[j]!;
    const mj = b1 * m[j]! + oneMinusB1 * gj;
    const vj = b2 * v[j]! + oneMinusB2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    const stored = f32(w[j]! - (lr * mj * inverse1) / (Math.sqrt(vj * inverse2) + eps));
    next[j] = stored;
    probe += stored - stored;
  }
  return probe;
}

/** The first non-finite new weight of a {@link HostAdam.stepIfFinite} that was not applied. */
export interface NonFiniteWeight {
  /** Index of the variable in the list passed. */
  readonly variable: number;
  readonly value: number;
}

/**
 * One variable's Adam state on the host: in the SIMD kernel's memory, or in arrays of its own
 * where WebAssembly SIMD is unavailable.
 */
type Slot =
  | { readonly region: AdamRegion }
  | {
      readonly region?: undefined;
      readonly m: Float32Array;
      readonly v: Float32Array;
      /** The new weights of the last step, reused when the backend copies what a tensor is made from. */
      next?: Float32Array;
    };

/**
 * Backends whose `tf.tensor(values)` copies `values` into their own memory (wasm copies into its
 * heap; cpu keeps the array itself as the tensor's data, so there a buffer is never reused).
 */
const COPYING_BACKENDS = new Set(['wasm']);

/**
 * Adam whose update runs on the host, in one loop per variable, instead of ~14 tensor ops per
 * variable and step. For backends whose tensors live in host memory (cpu, wasm) reading a
 * gradient back is a memory copy, so this removes almost all of the optimiser's per-step cost.
 *
 * The arithmetic is tfjs' `AdamOptimizer.applyGradients` (tfjs-core 4.22) in float64, rounded to
 * float32 when stored, so the weights equal tf.train.adam's up to float32 rounding:
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; w ← −lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε) + w.
 *
 * {@link fit} recognises it and calls {@link HostAdam.step} with the gradients it has read back
 * (the same readback checks them for NaN); through the plain `tf.Optimizer` interface
 * (`applyGradients`, `minimize`) it reads the gradients itself.
 *
 * @example
 * const adam = new HostAdam(0.001, 0.9, 0.999, 1e-7);
 * await fit({ model, loss, optimizer: adam, data, plan, epochs: 3 });
 */
export class HostAdam extends tf.Optimizer {
  /** Brand for {@link isHostAdam}: `instanceof` on a tf.Optimizer subclass is true for any optimizer (tfjs overrides Symbol.hasInstance). */
  readonly hostOptimizer = 'adam' as const;
  static readonly className = 'HostAdam';
  private readonly slots = new Map<string, Slot>();
  /** The update loop as a WebAssembly SIMD kernel (bit-identical to {@link adamUpdate}), where available. */
  private simd = SimdAdam.create();
  // float32 scalars as tfjs keeps them: β1ᵗ and β2ᵗ are float32 variables multiplied each step.
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    /** Read at every step, so a schedule may change it between epochs. */
    public learningRate: number,
    readonly beta1: number,
    readonly beta2: number,
    readonly epsilon: number,
  ) {
    super();
    this.accBeta1 = f32(beta1);
    this.accBeta2 = f32(beta2);
  }

  /**
   * One Adam update of `variables` from host copies of their current values and gradients
   * (`undefined`: no gradient, the variable is left alone, as tfjs' Adam does). Writes each new
   * value with `variable.assign`, finite or not.
   */
  step(
    variables: readonly tf.Variable[],
    values: readonly Float32Array[],
    gradients: readonly (Float32Array | undefined)[],
  ): void {
    this.update(variables, values, gradients, false);
  }

  /**
   * {@link step}, but writes the new values only when every one of them is finite; otherwise
   * writes none and returns the first non-finite one (the moments and the step count have
   * advanced: the caller stops training). A non-finite weight or gradient always gives a
   * non-finite new weight, so {@link fit} needs no separate finiteness pass over them.
   */
  stepIfFinite(
    variables: readonly tf.Variable[],
    values: readonly Float32Array[],
    gradients: readonly (Float32Array | undefined)[],
  ): NonFiniteWeight | undefined {
    return this.update(variables, values, gradients, true);
  }

  private update(
    variables: readonly tf.Variable[],
    values: readonly Float32Array[],
    gradients: readonly (Float32Array | undefined)[],
    onlyIfFinite: boolean,
  ): NonFiniteWeight | undefined {
    const b1 = f32(this.beta1);
    const b2 = f32(this.beta2);
    const oneMinusB1 = f32(1 - this.beta1);
    const oneMinusB2 = f32(1 - this.beta2);
    // Bias corrections as reciprocals, the rest in float64 rounded once when stored: within
    // float32 rounding of tfjs' op-by-op float32 arithmetic, at a third of its cost per element.
    const inverse1 = 1 / f32(1 - this.accBeta1);
    const inverse2 = 1 / f32(1 - this.accBeta2);
    const eps = f32(this.epsilon);
    const lr = f32(this.learningRate);
    const reuse = COPYING_BACKENDS.has(tf.getBackend());
    const constants = [b1, b2, oneMinusB1, oneMinusB2, inverse1, inverse2, eps, lr] as const;
    // Every slot first: a new SIMD region may grow the kernel's memory, which detaches its views.
    const slots = variables.map((variable) => this.slotOf(variable));
    const updates: { variable: tf.Variable; next: Float32Array }[] = [];
    let nonFinite: NonFiniteWeight | undefined;
    for (let i = 0; i < variables.length; i++) {
      const variable = variables[i]!;
      const slot = slots[i]!;
      const g = gradients[i];
      if (g === undefined) continue;
      let next: Float32Array;
      let probe: number;
      if (slot.region !== undefined) {
        const result = this.simd!.step(slot.region, values[i]!, g, constants);
        // The view is overwritten by the next step: cpu keeps a tensor's array, so it gets a copy.
        next = reuse ? result.next : result.next.slice();
        probe = result.probe;
      } else {
        // A fresh 200 KB array per step and variable costs its zeroing and the collector's time.
        next = reuse && slot.next?.length === variable.size ? slot.next : new Float32Array(variable.size);
        if (reuse) slot.next = next;
        probe = adamUpdate(next, values[i]!, g, slot.m, slot.v, ...constants);
      }
      if (probe !== 0 && nonFinite === undefined)
        nonFinite = { variable: i, value: next.find((x) => !Number.isFinite(x)) ?? Number.NaN };
      updates.push({ variable, next });
    }
    this.accBeta1 = f32(this.accBeta1 * b1);
    this.accBeta2 = f32(this.accBeta2 * b2);
    this.incrementIterations();
    if (onlyIfFinite && nonFinite !== undefined) return nonFinite;
    for (const { variable, next } of updates)
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
    return undefined;
  }

  private slotOf(variable: tf.Variable): Slot {
    let slot = this.slots.get(variable.name);
    if (slot === undefined) {
      slot = this.newSlot(variable.size);
      this.slots.set(variable.name, slot);
    }
    return slot;
  }

  /** A slot of zero moments for a variable of `size` weights. */
  private newSlot(size: number): Slot {
    return this.simd === undefined
      ? { m: new Float32Array(size), v: new Float32Array(size) }
      : { region: this.simd.allocate(size) };
  }

  /** A slot's moments (views into the kernel's memory for a SIMD slot: valid until the next new slot). */
  private momentsOf(slot: Slot): { m: Float32Array; v: Float32Array } {
    return slot.region === undefined ? slot : this.simd!.moments(slot.region);
  }

  /** The `tf.Optimizer` entry point: reads the gradients and the variables back, then {@link step}. */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const variables = named.map(({ name }) => tf.engine().registeredVariables[name]!);
    this.step(
      variables,
      variables.map((v) => v.dataSync() as Float32Array),
      named.map(({ tensor }) => tensor.dataSync() as Float32Array),
    );
  }

  override dispose(): void {
    this.slots.clear();
    this.simd = SimdAdam.create();
  }

  /** tfjs' Adam layout: the iteration count, then every first moment, then every second moment. */
  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.slots.entries()];
    return [
      await this.saveIterations(),
      ...slots.map(([name, s]) => ({ name: `${name}/m`, tensor: tf.tensor(this.momentsOf(s).m.slice()) })),
      ...slots.map(([name, s]) => ({ name: `${name}/v`, tensor: tf.tensor(this.momentsOf(s).v.slice()) })),
    ];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const half = rest.length / 2;
    this.slots.clear();
    this.simd = SimdAdam.create();
    const restored = rest.slice(0, half).map((m, i) => ({ m, v: rest[i + half]!, slot: this.newSlot(m.tensor.size) }));
    // Filled once all are allocated (a new SIMD slot may move the others' views).
    for (const { m, v, slot } of restored) {
      this.slots.set(m.name.replace(/\/m$/, ''), slot);
      const moments = this.momentsOf(slot);
      moments.m.set(m.tensor.dataSync());
      moments.v.set(v.tensor.dataSync());
    }
    this.accBeta1 = f32(this.beta1);
    this.accBeta2 = f32(this.beta2);
    for (let t = 0; t < this.iterations; t++) {
      this.accBeta1 = f32(this.accBeta1 * f32(this.beta1));
      this.accBeta2 = f32(this.accBeta2 * f32(this.beta2));
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

/** The wasm backend's heap accessor (tfjs-backend-wasm 4.22 BackendWasm). */
interface HeapBackend {
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * A float32 tensor's values for a host optimiser's step, without a copy where the backend allows:
 * on wasm a view of the backend's heap — `dataSync` would copy them out (about 0.1 ms a step for
 * mnist-odd's 50,890 weights and as many gradients). The view stays valid until the heap grows,
 * i.e. until the next tensor is made: read it before that ({@link HostAdam.step} copies its inputs
 * before it writes any tensor). Elsewhere `dataSync()` (cpu hands out its own array).
 */
export function hostValues(tensor: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as HeapBackend;
  if (tf.getBackend() === 'wasm' && tensor.dtype === 'float32' && typeof backend.typedArrayFromHeap === 'function')
    return backend.typedArrayFromHeap(tensor) as Float32Array;
  return tensor.dataSync() as Float32Array;
}

/** True when `optimizer` is a {@link HostAdam} (a brand check: tfjs makes `instanceof` true for every optimizer). */
export const isHostAdam = (optimizer: tf.Optimizer): optimizer is HostAdam =>
  (optimizer as Partial<HostAdam>).hostOptimizer === 'adam';
