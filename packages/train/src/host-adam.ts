import * as tf from '@tensorflow/tfjs-core';

/** A named tensor, as `tf.Optimizer` takes and returns them (not exported by tfjs-core's index). */
type NamedTensor = { name: string; tensor: tf.Tensor };

const f32 = Math.fround;

/** One variable's Adam state on the host. */
interface Slot {
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/**
 * Adam whose update runs on the host, in one loop per variable, instead of ~14 tensor ops per
 * variable and step. For backends whose tensors live in host memory (cpu, wasm) reading a
 * gradient back is a memory copy, so this removes almost all of the optimiser's per-step cost.
 *
 * The arithmetic is tfjs' `AdamOptimizer.applyGradients` (tfjs-core 4.22) operation by operation,
 * each result rounded to float32 as a float32 kernel stores it, so the weights equal tf.train.adam's:
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
  static get className(): string {
    return 'HostAdam';
  }
  private readonly slots = new Map<string, Slot>();
  // float32 scalars as tfjs keeps them: β1ᵗ and β2ᵗ are float32 variables multiplied each step.
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    readonly learningRate: number,
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
   * value with `variable.assign`.
   */
  step(
    variables: readonly tf.Variable[],
    values: readonly Float32Array[],
    gradients: readonly (Float32Array | undefined)[],
  ): void {
    const b1 = f32(this.beta1);
    const b2 = f32(this.beta2);
    const oneMinusB1 = f32(1 - this.beta1);
    const oneMinusB2 = f32(1 - this.beta2);
    const oneMinusAcc1 = f32(1 - this.accBeta1);
    const oneMinusAcc2 = f32(1 - this.accBeta2);
    const eps = f32(this.epsilon);
    const minusLr = f32(-this.learningRate);
    variables.forEach((variable, i) => {
      const slot = this.slotOf(variable);
      const g = gradients[i];
      if (g === undefined) return;
      const w = values[i]!;
      const { m, v } = slot;
      const next = new Float32Array(w.length);
      for (let j = 0; j < w.length; j++) {
        const gj = g[j]!;
        const mj = f32(f32(m[j]! * b1) + f32(gj * oneMinusB1));
        const vj = f32(f32(v[j]! * b2) + f32(f32(gj * gj) * oneMinusB2));
        m[j] = mj;
        v[j] = vj;
        const mHat = f32(mj / oneMinusAcc1);
        const vHat = f32(vj / oneMinusAcc2);
        next[j] = f32(f32(f32(mHat / f32(f32(Math.sqrt(vHat)) + eps)) * minusLr) + w[j]!);
      }
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
    });
    this.accBeta1 = f32(this.accBeta1 * b1);
    this.accBeta2 = f32(this.accBeta2 * b2);
    this.incrementIterations();
  }

  private slotOf(variable: tf.Variable): Slot {
    let slot = this.slots.get(variable.name);
    if (slot === undefined) {
      slot = { m: new Float32Array(variable.size), v: new Float32Array(variable.size) };
      this.slots.set(variable.name, slot);
    }
    return slot;
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
  }

  /** tfjs' Adam layout: the iteration count, then every first moment, then every second moment. */
  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.slots.entries()];
    return [
      await this.saveIterations(),
      ...slots.map(([name, s]) => ({ name: `${name}/m`, tensor: tf.tensor(s.m.slice()) })),
      ...slots.map(([name, s]) => ({ name: `${name}/v`, tensor: tf.tensor(s.v.slice()) })),
    ];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const half = rest.length / 2;
    this.slots.clear();
    for (let i = 0; i < half; i++) {
      const m = rest[i]!;
      const v = rest[i + half]!;
      this.slots.set(m.name.replace(/\/m$/, ''), {
        m: Float32Array.from(m.tensor.dataSync()),
        v: Float32Array.from(v.tensor.dataSync()),
      });
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

/** True when `optimizer` is a {@link HostAdam} (a brand check: tfjs makes `instanceof` true for every optimizer). */
export const isHostAdam = (optimizer: tf.Optimizer): optimizer is HostAdam =>
  (optimizer as Partial<HostAdam>).hostOptimizer === 'adam';
