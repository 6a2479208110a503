import * as losses from '@losslab/losses';
import { LosslabError } from '@losslab/runtime';
import {
  BinaryCrossentropyLoss,
  CategoricalCrossentropyLoss,
  FocalLoss,
  HuberLoss,
  maskedLossCodec,
  MeanAbsoluteErrorLoss,
  MeanSquaredErrorLoss,
  slicedLossCodec,
  weightedLossCodec,
  type ClassWeightsSpec,
  type FocalAlpha,
  type KindSpec,
  type LossSpec,
  type MaskedLoss,
  type SlicedLoss,
  type WeightedLoss,
} from '@losslab/schema';
import type * as t from 'io-ts';
import { builderOf, specBuilder } from './define.js';
import type { LossKind } from './table.js';

/**
 * The loss family: base losses (one value per sample) and combinators around another loss, each
 * entry beside its builder. Their maths is in `@losslab/losses`. A new loss needs only its codec
 * (`closed(...)`), entry and builder here (`openBuilderOf`: its spec is one every part accepts),
 * added to {@link lossKinds}.
 */

/** A base loss: no label blocks of its own; `elementwise` when it also exists per column. */
const baseLoss = <S extends KindSpec>(
  kind: S['kind'],
  codec: t.Type<S, S>,
  build: (spec: S) => losses.Loss,
  elementwise?: (spec: S) => losses.ElementwiseLoss,
): LossKind<S> => ({ kind, codec, build: (spec) => build(spec), ...(elementwise ? { elementwise } : {}) });

type Focal = t.TypeOf<typeof FocalLoss>;

const categoricalCrossentropyLoss = baseLoss('categoricalCrossentropy', CategoricalCrossentropyLoss, () =>
  losses.categoricalCrossentropy(),
);
/** Per sample −Σ_j y_j·log p_j over probabilities (softmax outputs). */
export const categoricalCrossentropy = (): LossSpec => builderOf(categoricalCrossentropyLoss)({});

const binaryCrossentropyLoss = baseLoss(
  'binaryCrossentropy',
  BinaryCrossentropyLoss,
  () => losses.binaryCrossentropy(),
  () => losses.binaryCrossentropyElementwise(),
);
/** Per sample mean over columns of −[y·log p + (1 − y)·log(1 − p)]. */
export const binaryCrossentropy = (): LossSpec => builderOf(binaryCrossentropyLoss)({});

const meanAbsoluteErrorLoss = baseLoss(
  'meanAbsoluteError',
  MeanAbsoluteErrorLoss,
  () => losses.meanAbsoluteError(),
  () => losses.absoluteError(),
);
/** Per sample mean over columns of |p − y| (L1). */
export const meanAbsoluteError = (): LossSpec => builderOf(meanAbsoluteErrorLoss)({});

const meanSquaredErrorLoss = baseLoss(
  'meanSquaredError',
  MeanSquaredErrorLoss,
  () => losses.meanSquaredError(),
  () => losses.squaredError(),
);
/** Per sample mean over columns of (p − y)². */
export const meanSquaredError = (): LossSpec => builderOf(meanSquaredErrorLoss)({});

const huberLoss = baseLoss(
  'huber',
  HuberLoss,
  (spec) => losses.huber(spec.delta === undefined ? {} : { delta: spec.delta }),
  (spec) => losses.huberElementwise(spec.delta === undefined ? {} : { delta: spec.delta }),
);
/** Per sample mean over columns of the Huber loss with threshold `delta` (default 1). */
export const huber = (options: { delta?: number } = {}): LossSpec => builderOf(huberLoss)(options);

/** Focal loss; `alpha: { classWeights }` derives one α per class from the training class counts. */
const focalLoss: LossKind<Focal> = {
  kind: 'focal',
  codec: FocalLoss,
  problems(spec, { target, width }) {
    const alpha = spec.alpha;
    if (Array.isArray(alpha)) {
      // One weight per column; a single sigmoid column takes [α_negative, α_positive].
      const expected = width === 1 ? 2 : width;
      return alpha.length === expected
        ? []
        : [
            `alpha: expected ${expected} weights (one per class of ${target === undefined ? 'the label' : `"${target}"`}), got ${alpha.length}`,
          ];
    }
    return typeof alpha === 'object' && target === undefined
      ? ['alpha: weights from class counts need a target block: wrap the focal loss in sliced (or masked)']
      : [];
  },
  build(spec, context) {
    const alpha = spec.alpha;
    const resolved =
      alpha === undefined || typeof alpha === 'number' || Array.isArray(alpha)
        ? alpha
        : losses.classWeights(context.classCounts(requireTarget(context.target)), alpha.classWeights);
    return losses.focal({
      ...(spec.gamma === undefined ? {} : { gamma: spec.gamma }),
      ...(resolved === undefined ? {} : { alpha: resolved }),
    });
  },
};
/**
 * Focal loss (Lin et al. 2017): cross-entropy scaled by α·(1 − p_t)^γ; defaults γ = 2, α = 0.25.
 * `alpha` may be one weight per class, or `{ classWeights }` derived from the training counts of
 * the target block (class-balanced focal: `sliced(focal({ alpha: { classWeights: { kind: 'effectiveNumber', beta: 0.999 } } }), { target })`).
 */
export const focal = (options: { gamma?: number; alpha?: FocalAlpha } = {}): LossSpec => builderOf(focalLoss)(options);

/** The checks reject a class-weighted α without a target before a run starts; this guards direct callers. */
function requireTarget(target: string | undefined): string {
  if (target === undefined)
    throw new LosslabError(
      'INVALID_DEFINITION',
      'loss.alpha: weights from class counts need a target block: wrap the focal loss in sliced',
    );
  return target;
}

/** "a sliced loss takes a base loss": combinators other than masked cannot wrap a targeted loss. */
const baseOnly = (kind: string, inner: LossKind | undefined, innerSpec: LossSpec): string[] =>
  inner?.target?.(innerSpec) === undefined
    ? []
    : [`loss: a ${kind} loss takes a base loss (put masked outside it), got a "${innerSpec.kind}" loss`];

const slicedLoss = (anyLoss: LossCodec): LossKind<SlicedLoss> => ({
  kind: 'sliced',
  codec: slicedLossCodec(anyLoss),
  blocks: (spec) => [{ field: 'target', block: spec.target }],
  target: (spec) => spec.target,
  inner: (spec) => spec.loss,
  problems: (spec, { inner }) => baseOnly('sliced', inner, spec.loss),
  build: (spec, context) => losses.sliced(context.build(spec.loss, spec.target), context.layout, spec.target),
});
/** `loss` on the `target` block of the label only. */
export const sliced = (loss: LossSpec, options: { target: string }): LossSpec =>
  specBuilder<SlicedLoss>('sliced')({ loss, ...options });

const maskedLoss = (anyLoss: LossCodec): LossKind<MaskedLoss> => ({
  kind: 'masked',
  codec: maskedLossCodec(anyLoss),
  blocks: (spec) => [
    { field: 'target', block: spec.target },
    { field: 'mask', block: spec.mask, width: 1 },
  ],
  target: (spec) => spec.target,
  inner: (spec) => spec.loss,
  problems(spec, { inner }) {
    const innerTarget = inner?.target?.(spec.loss);
    return innerTarget === undefined || innerTarget === spec.target
      ? []
      : [`target: "${spec.target}" differs from the target "${innerTarget}" of the loss inside it`];
  },
  build(spec, context) {
    const inner = context.build(spec.loss, spec.target);
    // A targeted inner loss (class weights on the same block) reads the whole label itself; the
    // mask then only multiplies. The checks make sure both name the same block.
    return context.targetOf(spec.loss) !== undefined
      ? losses.masked(inner, context.layout, { mask: spec.mask })
      : losses.masked(inner, context.layout, { target: spec.target, mask: spec.mask });
  },
});
/**
 * `loss` on the `target` block, times the one-column `mask` block per sample.
 *
 * @example masked(categoricalCrossentropy(), { target: 'digit', mask: 'isOdd' })
 */
export const masked = (loss: LossSpec, options: { target: string; mask: string }): LossSpec =>
  specBuilder<MaskedLoss>('masked')({ loss, ...options });

const weightedLoss = (anyLoss: LossCodec): LossKind<WeightedLoss> => ({
  kind: 'weighted',
  codec: weightedLossCodec(anyLoss),
  blocks: (spec) => [{ field: 'target', block: spec.target }],
  target: (spec) => spec.target,
  inner: (spec) => spec.loss,
  problems(spec, { inner, blockWidth }) {
    const problems = baseOnly('weighted', inner, spec.loss);
    if (spec.per === 'column' && inner !== undefined && inner.elementwise === undefined) {
      problems.push(
        `loss.kind: column weighting needs an element-wise loss (meanAbsoluteError, meanSquaredError, binaryCrossentropy, huber), got "${spec.loss.kind}"`,
      );
    }
    const width = blockWidth(spec.target);
    const classes = width === 1 ? 2 : width;
    if (spec.classWeights.kind === 'explicit' && classes !== undefined && spec.classWeights.values.length !== classes) {
      problems.push(
        `classWeights.values: expected ${classes} weights (one per class of "${spec.target}"), got ${spec.classWeights.values.length}`,
      );
    }
    return problems;
  },
  build(spec, context) {
    const weights = losses.classWeights(context.classCounts(spec.target), spec.classWeights);
    const where = { layout: context.layout, target: spec.target };
    return spec.per === 'column'
      ? losses.columnWeighted(context.elementwise(spec.loss, 'loss'), weights, where)
      : losses.classWeighted(context.build(spec.loss, spec.target), weights, where);
  },
});
/**
 * Class weights on any loss. `per: 'column'` multiplies each output column's loss by its class
 * weight (the blink reference); `per: 'sample'` weights each sample by its class (Keras
 * `class_weight`).
 *
 * @example weighted(meanAbsoluteError(), { per: 'column', target: 'class', classWeights: { kind: 'inverse' } })
 */
export const weighted = (
  loss: LossSpec,
  options: { per: 'column' | 'sample'; target: string; classWeights: ClassWeightsSpec },
): LossSpec => specBuilder<WeightedLoss>('weighted')({ loss, ...options });

/** The codec of any loss of a registry (the combinators validate their wrapped loss with it). */
type LossCodec = t.Type<LossSpec, LossSpec>;

/** Every built-in loss entry, for a registry whose loss codec is `anyLoss`. */
export const lossKinds = (anyLoss: LossCodec): readonly LossKind[] => [
  categoricalCrossentropyLoss,
  binaryCrossentropyLoss,
  meanAbsoluteErrorLoss,
  meanSquaredErrorLoss,
  huberLoss,
  focalLoss,
  slicedLoss(anyLoss),
  maskedLoss(anyLoss),
  weightedLoss(anyLoss),
];
