import * as losses from '@losslab/losses';
import { LosslabError } from '@losslab/runtime';
import {
  BalancedSoftmaxLoss,
  BinaryCrossentropyLoss,
  CategoricalCrossentropyLoss,
  LogitAdjustedLoss,
  LdamLoss,
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
import { builderOf, specBuilder, type Settings } from './define.js';
import type { LossContext, LossKind } from './table.js';

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

/** A loss that reads probabilities (a softmax or sigmoid output), not logits. */
const readsProbabilities = <S extends KindSpec>(entry: LossKind<S>): LossKind<S> => ({
  ...entry,
  fromLogits: () => false,
});

type Focal = t.TypeOf<typeof FocalLoss>;
type Crossentropy = t.TypeOf<typeof CategoricalCrossentropyLoss>;
type LogitAdjusted = t.TypeOf<typeof LogitAdjustedLoss>;
type BalancedSoftmax = t.TypeOf<typeof BalancedSoftmaxLoss>;
type Ldam = t.TypeOf<typeof LdamLoss>;

/** The declared label smoothing as the maths' option (absent when not declared). */
const smoothingOf = (spec: { labelSmoothing?: number }): { labelSmoothing?: number } =>
  spec.labelSmoothing === undefined ? {} : { labelSmoothing: spec.labelSmoothing };

const categoricalCrossentropyLoss = readsProbabilities(
  baseLoss('categoricalCrossentropy', CategoricalCrossentropyLoss, (spec) =>
    losses.categoricalCrossentropy(smoothingOf(spec)),
  ),
);
/**
 * Per sample −Σ_j y_j·log p_j over probabilities (softmax outputs); `labelSmoothing: ε` first
 * makes the targets y·(1 − ε) + ε/K (Keras).
 */
export const categoricalCrossentropy = (options: Settings<Crossentropy> = {}): LossSpec =>
  builderOf(categoricalCrossentropyLoss)(options);

const binaryCrossentropyLoss = readsProbabilities(
  baseLoss(
    'binaryCrossentropy',
    BinaryCrossentropyLoss,
    (spec) => losses.binaryCrossentropy(smoothingOf(spec)),
    (spec) => losses.binaryCrossentropyElementwise(smoothingOf(spec)),
  ),
);
/** Per sample mean over columns of −[y·log p + (1 − y)·log(1 − p)]; `labelSmoothing: ε` makes y·(1 − ε) + ε/2. */
export const binaryCrossentropy = (options: Settings<Crossentropy> = {}): LossSpec =>
  builderOf(binaryCrossentropyLoss)(options);

/**
 * The training counts per class that priors come from: of the block an enclosing combinator
 * targets, else of the label's only block (the training split after transforms).
 */
function trainingCounts(kind: string, context: LossContext): number[] {
  const blocks = context.layout.blocks;
  const block = context.target ?? (blocks.length === 1 ? blocks[0]?.name : undefined);
  if (block === undefined)
    throw new LosslabError(
      'INVALID_DEFINITION',
      `loss.kind: "${kind}" needs the class counts of one label block, and the label has ${blocks.length}: wrap it in sliced({ target })`,
    );
  return context.classCounts(block);
}

const logitAdjustedLoss: LossKind<LogitAdjusted> = {
  kind: 'logitAdjusted',
  codec: LogitAdjustedLoss,
  fromLogits: () => true,
  build: (spec, context) =>
    losses.logitAdjusted({ tau: spec.tau, counts: trainingCounts('logitAdjusted', context), ...smoothingOf(spec) }),
};
/**
 * Logit-adjusted loss (Menon et al. 2021): per sample −log softmax(z + τ·log π)_y on the logits z
 * of a `linear` output, π the class priors of the training split after transforms.
 *
 * @example logitAdjusted({ tau: 1 }) // with mlp({ …, output: { units: 10, activation: 'linear' } })
 */
export const logitAdjusted = (options: Settings<LogitAdjusted>): LossSpec => builderOf(logitAdjustedLoss)(options);

const balancedSoftmaxLoss: LossKind<BalancedSoftmax> = {
  kind: 'balancedSoftmax',
  codec: BalancedSoftmaxLoss,
  fromLogits: () => true,
  build: (spec, context) =>
    losses.balancedSoftmax({ counts: trainingCounts('balancedSoftmax', context), ...smoothingOf(spec) }),
};
/**
 * Balanced softmax (Ren et al. 2020): per sample −log softmax(z + log n)_y on the logits z of a
 * `linear` output, n the class counts of the training split after transforms; equal to
 * `logitAdjusted({ tau: 1 })`.
 *
 * @example balancedSoftmax() // with mlp({ …, output: { units: 10, activation: 'linear' } })
 */
export const balancedSoftmax = (options: Settings<BalancedSoftmax> = {}): LossSpec =>
  builderOf(balancedSoftmaxLoss)(options);

const ldamLoss: LossKind<Ldam> = {
  kind: 'ldam',
  codec: LdamLoss,
  fromLogits: () => true,
  build: (spec, context) =>
    losses.ldam({
      counts: trainingCounts('ldam', context),
      ...(spec.maxMargin === undefined ? {} : { maxMargin: spec.maxMargin }),
      ...(spec.scale === undefined ? {} : { scale: spec.scale }),
    }),
};
/**
 * LDAM (Cao et al. 2019): per sample −log softmax(s·(z − Δ_y·e_y))_y on the cosine logits z of a
 * normalised output, Δ_j ∝ n_j^{−1/4} from the training split after transforms, the largest equal
 * to `maxMargin` (default 0.5), s = `scale` (default 30). LDAM-DRW adds deferred re-weighting:
 * `weighted(ldam(), { per: 'sample', target, classWeights, startEpoch })`.
 *
 * @example ldam({ maxMargin: 0.5, scale: 30 }) // with mlp({ …, output: { units: 10, activation: 'linear', normed: true } })
 */
export const ldam = (options: Settings<Ldam> = {}): LossSpec => builderOf(ldamLoss)(options);

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
  fromLogits: () => false,
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
        : context.classWeights(requireTarget(context.target), alpha.classWeights);
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
  problems(spec, { inner, blockWidth, epochs }) {
    const problems = baseOnly('weighted', inner, spec.loss);
    if (spec.startEpoch !== undefined && epochs !== undefined && spec.startEpoch > epochs)
      problems.push(
        `startEpoch: ${spec.startEpoch} is after the last epoch (train.epochs is ${epochs}), so the class weights would never switch on`,
      );
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
    const strategy = context.classWeights(spec.target, spec.classWeights);
    // Deferred re-weighting: weights of 1 (the loss unweighted) before `startEpoch`.
    const deferred = spec.startEpoch !== undefined && context.epoch !== undefined && context.epoch < spec.startEpoch;
    const weights = deferred ? strategy.map(() => 1) : strategy;
    const where = { layout: context.layout, target: spec.target };
    return spec.per === 'column'
      ? losses.columnWeighted(context.elementwise(spec.loss, 'loss'), weights, where)
      : losses.classWeighted(context.build(spec.loss, spec.target), weights, where);
  },
});
/**
 * Class weights on any loss. `per: 'column'` multiplies each output column's loss by its class
 * weight (the blink reference); `per: 'sample'` weights each sample by its class (Keras
 * `class_weight`). `startEpoch` defers them (DRW, Cao et al. 2019): every weight is 1 before that
 * epoch (1-based) and the strategy's from it on; the switch is a function of the epoch, so a
 * resumed run switches where an uninterrupted one does.
 *
 * @example weighted(meanAbsoluteError(), { per: 'column', target: 'class', classWeights: { kind: 'inverse' } })
 * @example weighted(ldam(), { per: 'sample', target: 'digit', classWeights: { kind: 'effectiveNumber', beta: 0.9999 }, startEpoch: 160 }) // LDAM-DRW
 */
export const weighted = (
  loss: LossSpec,
  options: { per: 'column' | 'sample'; target: string; classWeights: ClassWeightsSpec; startEpoch?: number },
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
  logitAdjustedLoss,
  balancedSoftmaxLoss,
  ldamLoss,
  slicedLoss(anyLoss),
  maskedLoss(anyLoss),
  weightedLoss(anyLoss),
];
