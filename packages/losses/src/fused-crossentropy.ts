import type { LabelBlock, LabelLayout } from '@losslab/runtime';
import type { ScalarReduction } from './reduction.js';
import type { CrossentropyTerms, Loss } from './types.js';

/** A loss with its {@link CrossentropyTerms} attached (see `Loss.crossentropyTerms`). */
export const withCrossentropyTerms = (loss: Loss, terms: CrossentropyTerms | undefined): Loss =>
  terms === undefined ? loss : Object.assign(loss, { crossentropyTerms: terms });

/**
 * The terms of an inner loss that reads block `block` of a label laid out as `layout` (the
 * whole label when `block` is absent), expressed in the outer label's columns; undefined when
 * the inner loss cannot be fused or its widths do not fit (the straightforward path then
 * reports the mismatch).
 */
export function termsWithin(
  terms: CrossentropyTerms | undefined,
  layout: LabelLayout,
  block: LabelBlock | undefined,
): CrossentropyTerms | undefined {
  if (terms === undefined) return undefined;
  const start = block?.start ?? 0;
  const width = block?.width ?? layout.width;
  if (terms.labelWidth !== undefined && terms.labelWidth !== width) return undefined;
  return {
    ...terms,
    labelWidth: layout.width,
    targetStart: terms.targetStart + start,
    targetWidth: terms.targetWidth ?? width,
    weightColumns: terms.weightColumns.map((column) => column + start),
  };
}

/** The loss and its gradient w.r.t. the logits, from {@link softmaxCrossentropyOnHost}. */
export interface HostCrossentropy {
  /** The reduced loss. */
  readonly value: number;
  /** ∂value/∂logits, `[batch, classes]` row-major. */
  readonly logitGradient: Float32Array;
}

const f32 = Math.fround;

/**
 * Softmax of `logits` followed by the loss that `terms` describe, reduced by `reduction`, and the
 * gradient of that value w.r.t. the logits, computed on the host in float64 by the same chain
 * rule tfjs' autodiff applies op by op (so equal to the tensor path up to float32 rounding):
 * p = softmax(z) rounded to float32; ∂L/∂p_j = −c_i·t_j / clip(p_j) where ε ≤ p_j ≤ 1 − ε, else 0
 * (the clip's gradient); ∂L/∂z_j = p_j·(∂L/∂p_j − Σ_k ∂L/∂p_k·p_k) (softmax), with
 * c_i = w_i / denominator. The denominator is the reduction's (batch, Σw, #{w ≠ 0} or 1); a zero
 * denominator gives 0 and a zero gradient, as `reducePerSample` does. A row whose weight is 0
 * contributes exactly 0, whatever its labels or logits hold (as `masked` guarantees).
 *
 * Returns undefined when the shapes do not fit the terms (the caller then takes the tensor path,
 * which reports the mismatch).
 *
 * @example
 * const terms = masked(categoricalCrossentropy(), layout, { target: 'digit', mask: 'isOdd' }).crossentropyTerms!;
 * const { value, logitGradient } = softmaxCrossentropyOnHost(terms, logits, labels, 128, 10, 11, 'sumOverBatchSize')!;
 */
export function softmaxCrossentropyOnHost(
  terms: CrossentropyTerms,
  logits: Float32Array,
  labels: Float32Array,
  batch: number,
  classes: number,
  labelWidth: number,
  reduction: ScalarReduction,
): HostCrossentropy | undefined {
  const targetWidth = terms.targetWidth ?? labelWidth;
  if (
    targetWidth !== classes ||
    labelWidth !== (terms.labelWidth ?? classes) ||
    logits.length !== batch * classes ||
    labels.length !== batch * labelWidth ||
    batch === 0
  )
    return undefined;
  const { targetStart, weightColumns, labelSmoothing } = terms;
  const low = f32(terms.epsilon);
  const high = f32(1 - terms.epsilon);
  const weights = new Float64Array(batch);
  let weightSum = 0;
  let nonzero = 0;
  for (let i = 0; i < batch; i++) {
    let w = 1;
    for (const column of weightColumns) {
      const value = labels[i * labelWidth + column]!;
      w = value === 0 || w === 0 ? 0 : w * value;
    }
    weights[i] = w;
    weightSum += w;
    if (w !== 0) nonzero++;
  }
  const denominator =
    reduction === 'sum'
      ? 1
      : reduction === 'sumOverBatchSize' || weightColumns.length === 0
        ? batch
        : reduction === 'sumOverWeights'
          ? weightSum
          : nonzero;
  const gradient = new Float32Array(batch * classes);
  const p = new Float64Array(classes);
  const dp = new Float64Array(classes);
  let total = 0;
  for (let i = 0; i < batch; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    const row = i * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[row + j]!);
    let sum = 0;
    for (let j = 0; j < classes; j++) {
      const e = Math.exp(logits[row + j]! - max);
      p[j] = e;
      sum += e;
    }
    const scale = denominator === 0 ? 0 : w / denominator;
    let crossentropy = 0;
    let dot = 0;
    for (let j = 0; j < classes; j++) {
      const pj = f32(p[j]! / sum);
      p[j] = pj;
      const label = labels[i * labelWidth + targetStart + j]!;
      const t = labelSmoothing === 0 ? label : label * (1 - labelSmoothing) + labelSmoothing / classes;
      const clipped = Math.min(Math.max(pj, low), high);
      crossentropy -= t * Math.log(clipped);
      // NaN fails both comparisons, and tfjs' clip gradient lets it through: keep it.
      const inside = (pj >= low && pj <= high) || Number.isNaN(pj);
      const dpj = inside ? (-scale * t) / clipped : 0;
      dp[j] = dpj;
      dot += dpj * pj;
    }
    total += crossentropy * w;
    for (let j = 0; j < classes; j++) gradient[row + j] = p[j]! * (dp[j]! - dot);
  }
  return { value: denominator === 0 ? 0 : total / denominator, logitGradient: gradient };
}
