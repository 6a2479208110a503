import * as tf from '@tensorflow/tfjs-core';
import { LosslabError } from '@losslab/runtime';

/** A named tensor, as `tf.Optimizer` takes and returns them (not exported by tfjs-core's index). */
interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** Momentum SGD (b ← μ·b + g; θ ← θ − lr·b, or θ ← θ − lr·(g + μ·b) with Nesterov), as tfjs and PyTorch. */
export interface SgdRule {
  readonly kind: 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;
}

/**
 * RMSprop as Keras 3 and tfjs: s ← ρ·s + (1−ρ)·g²; centered: a ← ρ·a + (1−ρ)·g and the
 * denominator is s − a²; Δ = lr·g / √(denominator + ε); with momentum μ > 0, u ← μ·u + Δ and
 * θ ← θ − u, else θ ← θ − Δ.
 */
export interface RmspropRule {
  readonly kind: 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
}

/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter 2019): Adam's moments m, v with bias
 * corrections m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ), then θ ← θ − lr·(m̂/(√v̂ + ε) + λ·θ). The decay is
 * scaled by the learning rate (as PyTorch's AdamW and Keras' `weight_decay`), so a schedule
 * lowers it too.
 */
export interface AdamwRule {
  readonly kind: 'adamw';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

export type HostRule = SgdRule | RmspropRule | AdamwRule;

/** What is done to the gradients before the rule: clipping first, then L2 weight decay. */
export interface GradientTransforms {
  /** Rescale all gradients together so that their global L2 norm is at most this. */
  readonly clipNorm?: number;
  /** L2 regularisation added to each gradient: g ← g + λ·θ (sgd and rmsprop; AdamW decays apart). */
  readonly l2?: number;
}

/** The per-variable state each rule keeps, by slot name (the suffix of its checkpoint name). */
function slotNamesOf(rule: HostRule): readonly string[] {
  switch (rule.kind) {
    case 'sgd':
      return rule.momentum > 0 ? ['momentum'] : [];
    case 'rmsprop':
      return ['ms', ...(rule.centered ? ['mg'] : []), ...(rule.momentum > 0 ? ['mom'] : [])];
    case 'adamw':
      return ['m', 'v'];
  }
}

type Slots = Record<string, Float32Array>;

/** The global L2 norm of the present gradients, in float64. */
function globalNorm(gradients: readonly (Float32Array | undefined)[]): number {
  let sum = 0;
  for (const g of gradients) if (g !== undefined) for (const x of g) sum += x * x;
  return Math.sqrt(sum);
}

/**
 * One update of one variable by `rule`: updates the slots in place (rounded to float32 when
 * stored) and returns the new weights. `t` is the 1-based step number (AdamW's bias correction).
 */
function update(rule: HostRule, w: Float32Array, g: Float64Array, s: Slots, lr: number, t: number): Float32Array {
  const next = new Float32Array(w.length);
  switch (rule.kind) {
    case 'sgd': {
      const mu = rule.momentum;
      const b = s.momentum;
      for (let j = 0; j < w.length; j++) {
        const gj = g[j]!;
        if (b === undefined) {
          next[j] = w[j]! - lr * gj;
          continue;
        }
        const bj = mu * b[j]! + gj;
        b[j] = bj;
        next[j] = w[j]! - lr * (rule.nesterov ? gj + mu * bj : bj);
      }
      return next;
    }
    case 'rmsprop': {
      const { rho, momentum, epsilon } = rule;
      const ms = s.ms!;
      const mg = s.mg;
      const mom = s.mom;
      for (let j = 0; j < w.length; j++) {
        const gj = g[j]!;
        const msj = rho * ms[j]! + (1 - rho) * gj * gj;
        ms[j] = msj;
        let denominator = msj;
        if (mg !== undefined) {
          const mgj = rho * mg[j]! + (1 - rho) * gj;
          mg[j] = mgj;
          denominator -= mgj * mgj;
        }
        const increment = (lr * gj) / Math.sqrt(denominator + epsilon);
        if (mom === undefined) {
          next[j] = w[j]! - increment;
          continue;
        }
        const uj = momentum * mom[j]! + increment;
        mom[j] = uj;
        next[j] = w[j]! - uj;
      }
      return next;
    }
    case 'adamw': {
      const { beta1, beta2, epsilon, weightDecay } = rule;
      const m = s.m!;
      const v = s.v!;
      const correction1 = 1 - beta1 ** t;
      const correction2 = 1 - beta2 ** t;
      for (let j = 0; j < w.length; j++) {
        const gj = g[j]!;
        const mj = beta1 * m[j]! + (1 - beta1) * gj;
        const vj = beta2 * v[j]! + (1 - beta2) * gj * gj;
        m[j] = mj;
        v[j] = vj;
        const adam = mj / correction1 / (Math.sqrt(vj / correction2) + epsilon);
        next[j] = w[j]! - lr * (adam + weightDecay * w[j]!);
      }
      return next;
    }
  }
}

/**
 * Momentum SGD, RMSprop and AdamW whose update runs on the host, in one loop per variable
 * (formulas at {@link SgdRule}, {@link RmspropRule}, {@link AdamwRule}), with optional gradient
 * clipping by global norm and L2 weight decay ({@link GradientTransforms}). Arithmetic is float64,
 * rounded to float32 when weights and slots are stored, so a restored checkpoint (float32 slots,
 * the step count) continues bit-identically.
 *
 * The learning rate is the public `learningRate` field, read at every step, so the schedules in
 * `schedule.ts` set it between epochs. `getWeights` stores the step count, then every slot as
 * `<variable>/<slot>` (slot by slot, variables in the order first updated).
 *
 * @example
 * const sgd = new HostOptimizer(0.1, { kind: 'sgd', momentum: 0.9, nesterov: true }, { clipNorm: 1 });
 */
export class HostOptimizer extends tf.Optimizer {
  static readonly className = 'HostOptimizer';
  private readonly slots = new Map<string, Slots>();
  private readonly slotNames: readonly string[];

  constructor(
    /** Read at every step, so a schedule may change it between epochs. */
    public learningRate: number,
    readonly rule: HostRule,
    readonly transforms: GradientTransforms = {},
  ) {
    super();
    this.slotNames = slotNamesOf(rule);
  }

  /** One update of `variables` from host copies of their values and gradients (`undefined`: no gradient, left alone). */
  step(
    variables: readonly tf.Variable[],
    values: readonly Float32Array[],
    gradients: readonly (Float32Array | undefined)[],
  ): void {
    const { clipNorm, l2 = 0 } = this.transforms;
    const norm = clipNorm === undefined ? 0 : globalNorm(gradients);
    const scale = clipNorm !== undefined && norm > clipNorm ? clipNorm / norm : 1;
    const t = this.iterations + 1;
    variables.forEach((variable, i) => {
      const raw = gradients[i];
      if (raw === undefined) return;
      const w = values[i]!;
      const g = Float64Array.from(raw, (x, j) => x * scale + l2 * w[j]!);
      const next = update(this.rule, w, g, this.slotsOf(variable), this.learningRate, t);
      tf.tidy(() => variable.assign(tf.tensor(next, variable.shape, 'float32')));
    });
    this.incrementIterations();
  }

  private slotsOf(variable: tf.Variable): Slots {
    let slots = this.slots.get(variable.name);
    if (slots === undefined) {
      slots = Object.fromEntries(this.slotNames.map((name) => [name, new Float32Array(variable.size)]));
      this.slots.set(variable.name, slots);
    }
    return slots;
  }

  /** The `tf.Optimizer` entry point: reads the gradients and the variables back, then {@link step}. */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named: { name: string; tensor: tf.Tensor | undefined }[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const variables = named.map(({ name }) => tf.engine().registeredVariables[name]!);
    this.step(
      variables,
      variables.map((v) => v.dataSync() as Float32Array),
      named.map(({ tensor }) => tensor?.dataSync() as Float32Array | undefined),
    );
  }

  override dispose(): void {
    this.slots.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const entries = [...this.slots.entries()];
    return [
      await this.saveIterations(),
      ...this.slotNames.flatMap((slot) =>
        entries.map(([name, s]) => ({ name: `${name}/${slot}`, tensor: tf.tensor(s[slot]!.slice()) })),
      ),
    ];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.slots.clear();
    for (const { name, tensor } of rest) {
      const cut = name.lastIndexOf('/');
      const variable = name.slice(0, cut);
      const slot = name.slice(cut + 1);
      if (cut < 0 || !this.slotNames.includes(slot))
        throw new LosslabError(
          'INVALID_ARGUMENT',
          `optimizer weight "${name}": expected <variable>/<slot> with slot one of ${JSON.stringify(this.slotNames)} (${this.rule.kind})`,
        );
      const slots = this.slots.get(variable) ?? {};
      slots[slot] = Float32Array.from(tensor.dataSync());
      this.slots.set(variable, slots);
    }
    for (const [variable, slots] of this.slots) {
      const missing = this.slotNames.find((slot) => slots[slot] === undefined);
      if (missing !== undefined)
        throw new LosslabError('INVALID_ARGUMENT', `optimizer weights: "${variable}/${missing}" is missing`);
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, ...this.rule, ...this.transforms };
  }
}
