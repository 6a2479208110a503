import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { ArrayDataset, LabelledRows } from '@losslab/data';
import type { ElementwiseLoss, Loss, ScalarReduction } from '@losslab/losses';
import { LosslabError, type LabelLayout } from '@losslab/runtime';
import {
  tagged,
  type DataSpec,
  type Evaluation,
  type ExamplePredictions,
  type EvaluationSpec,
  type KindSpec,
  type LabelSpec,
  type LossSpec,
  type MetricSpec,
  type ModelSpec,
  type ModelSummary,
  type OptimizerSpec,
  type ClassWeightsSpec,
  type Split,
  type TrainSpec,
  type TransformSpec,
} from '@losslab/schema';

/**
 * The kind table: every `kind` a definition may name (data source, transform, label block,
 * model, loss, optimiser, evaluation, metric) is one entry `{ kind, codec, ...what it provides,
 * build }`. The definition codec and the definition checks read these tables.
 * Built-in entries are declared per family, each beside its builder (`kinds/data.ts`,
 * `transforms.ts`, `labels.ts`, `models.ts`, `optimizers.ts`, `losses.ts`, `evaluations.ts`), and
 * registered by `createRegistry` in `kinds/index.ts`; a user's module adds its own through the
 * `define…Kind` functions there. Both kinds of builder are made by `kinds/define.ts`.
 */

/** What every entry has: its tag, the codec of its settings, and (user kinds) the file that defined it. */
export interface KindEntry<S extends KindSpec = KindSpec> {
  readonly kind: S['kind'];
  /**
   * Validates the whole spec, `kind` included; the single source of its rules. Only decoding is
   * asked of it (definitions are never encoded back), so an entry of any settings is an entry.
   */
  readonly codec: t.Decoder<unknown, S>;
  /** The module that registered the kind; its bytes are part of a run's code fingerprint. */
  readonly source?: string;
}

/** A field of a spec that names a label block, and the width it needs (if any). */
export interface BlockUse {
  readonly field: string;
  readonly block: string;
  readonly width?: number;
}

// ---- data ---------------------------------------------------------------------------------

/** What a data source (after its transforms) yields, known before anything is loaded. */
export interface DataProvides {
  readonly splits: readonly Split[];
  /** Extra numeric columns for `column(...)` label blocks. */
  readonly columns: readonly string[];
}

export type RowsBySplit = Readonly<Partial<Record<Split, LabelledRows>>>;

/** Loaded splits before the label layout, and what identifies the data (file → sha256, …). */
export interface LoadedRows {
  readonly splits: RowsBySplit;
  readonly fingerprint: Readonly<Record<string, string>>;
  /** The names of the class ids, in id order, when the source knows them (image folders). */
  readonly classNames?: readonly string[];
}

export interface DataContext {
  /** Relative data paths start here: the definition file's folder (else the working directory). */
  readonly baseDir: string;
}

/** A file a data source reads: the spec field that names it and its absolute path. */
export interface DataFile {
  readonly field: string;
  readonly path: string;
  /** A folder the source reads (image folders), not a file. */
  readonly folder?: boolean;
}

export interface DataKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  provides(spec: S): DataProvides;
  /** Rules across fields that no codec can express, as `field: what is wrong`. */
  problems?(spec: S): readonly string[];
  /** The files `load` reads, checked before anything runs (a misspelt name never starts a run). */
  files?(spec: S, context: DataContext): readonly DataFile[];
  load(spec: S, context: DataContext): Promise<LoadedRows>;
  /**
   * The shape of one sample (without the batch axis) as `load` will give it, found without loading
   * (from a file header at most), so model shapes are checked before any run.
   */
  sampleShape?(spec: S, context: DataContext): Promise<readonly number[]>;
  /**
   * The fingerprint `load` gives, without loading (hashing the files, not decoding them): a queue
   * worker checks its data with it before every job. Absent: `load` is asked.
   */
  fingerprint?(spec: S, context: DataContext): Promise<Record<string, string>>;
}

/** What a transform is told about the run it draws for. */
export interface TransformContext {
  /**
   * The seed of this transform's random choices when its spec fixes none:
   * `deriveSeed(runSeed, 'data', position)`, so each run seed draws anew.
   */
  readonly seed: number;
}

export interface TransformKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  /** What the data provides after this transform; problems name fields of the transform. */
  provides(spec: S, input: DataProvides): { readonly provides: DataProvides; readonly problems: readonly string[] };
  /** A seeded transform draws from `spec.seed` when declared (a fixed draw), else from `context.seed`. */
  apply(spec: S, splits: RowsBySplit, context: TransformContext): RowsBySplit;
  /** What the transform measures on its input (e.g. statistics), recorded in the data fingerprint. */
  recorded?(spec: S, splits: RowsBySplit): Readonly<Record<string, string>>;
}

export interface LabelKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  width(spec: S): number;
  /** Names of the block's classes (a one-column block has two: without, with). */
  classNames?(spec: S): readonly string[];
  problems?(spec: S, provided: DataProvides): readonly string[];
  derive(spec: S, rows: LabelledRows): Float32Array;
}

// ---- model, loss, optimiser -----------------------------------------------------------------

export interface ModelKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  /** Output columns, checked against the loss's target block before anything runs. */
  outputUnits(spec: S): number;
  /** Where the output layer's settings are, for messages (default `output`; `layers.3` in a list of layers). */
  outputField?(spec: S): string;
  /** The output layer's activation, checked against what the loss reads (logits or probabilities); undefined when unknown. */
  outputActivation?(spec: S): string | undefined;
  build(spec: S, context: { readonly inputShape: readonly number[]; readonly seed: number }): tfl.LayersModel;
  /**
   * Each layer's kind, output shape and parameter count on samples shaped `inputShape`, known
   * before anything is built; throws `SHAPE_MISMATCH` naming the layer that cannot take its input.
   */
  summary?(spec: S, inputShape: readonly number[]): ModelSummary;
}

/** What building a loss may need: the layout, the train split (class counts) and its inner losses. */
export interface LossContext {
  readonly layout: LabelLayout;
  readonly train: ArrayDataset;
  /** The block an enclosing combinator targets (undefined: the whole label). */
  readonly target: string | undefined;
  /** Builds a wrapped loss; `target` is the block the wrapper hands it. */
  readonly build: (spec: LossSpec, target: string | undefined) => Loss;
  /** The element-wise form of a wrapped loss (for per-column weighting). */
  readonly elementwise: (spec: LossSpec, field: string) => ElementwiseLoss;
  /** Training rows per class of `block` (a one-column block has classes 0 and 1). */
  readonly classCounts: (block: string) => number[];
  /**
   * Class weights of `block` by a strategy, from its training counts; the run records them (and
   * the report shows them), so a loss computes its class weights here.
   */
  readonly classWeights: (block: string, strategy: ClassWeightsSpec) => number[];
  /** The block a wrapped loss targets itself (its kind's `target`), if any. */
  readonly targetOf: (spec: LossSpec) => string | undefined;
  /**
   * The training epoch (1-based) the loss is built for, for a loss that changes with the epoch
   * (deferred re-weighting); training builds the loss of every epoch. Absent: the loss after
   * training (its last form).
   */
  readonly epoch?: number;
}

/** What a loss kind's own checks may ask. */
export interface LossCheckContext {
  /** The entry of the wrapped loss, for combinators. */
  readonly inner: LossKind | undefined;
  /** Width of a label block, or undefined when the layout has no such block. */
  readonly blockWidth: (block: string) => number | undefined;
  /** The block an enclosing combinator hands this loss (undefined: the whole label). */
  readonly target: string | undefined;
  /** The width of the predictions this loss sees (the target block's, or the whole label's). */
  readonly width: number;
  /** The epochs the run trains (`train.epochs`), for a loss that changes with the epoch. */
  readonly epochs?: number;
}

export interface LossKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  /** Label blocks the loss reads; the last `target` decides the width the model must output. */
  blocks?(spec: S): readonly BlockUse[];
  /** The block handed to the wrapped loss and checked against the model output. */
  target?(spec: S): string | undefined;
  /** The wrapped loss of a combinator (walked by the checks). */
  inner?(spec: S): LossSpec;
  /** Problems only this kind can see, as `field: what is wrong`. */
  problems?(spec: S, context: LossCheckContext): readonly string[];
  build(spec: S, context: LossContext): Loss;
  /**
   * What the loss reads (Keras' `from_logits`): `true` logits (a `linear` output), `false`
   * probabilities (a `softmax` or `sigmoid` output). Without it the loss takes any output
   * (regression losses); a combinator's is its wrapped loss's.
   */
  fromLogits?(spec: S): boolean;
  /** The loss per column, `[batch, k] → [batch, k]`, for kinds that have one. */
  elementwise?(spec: S): ElementwiseLoss;
}

export interface OptimizerKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  build(spec: S): tf.Optimizer;
}

// ---- evaluation and metrics -------------------------------------------------------------

export interface EvaluationContext {
  readonly model: tfl.LayersModel;
  readonly data: ArrayDataset;
  readonly layout: LabelLayout;
  readonly loss: Loss;
  readonly train: TrainSpec;
  readonly reduction: ScalarReduction;
  /** Class names of a block (from its label kind, else "0", "1", …). */
  readonly classNames: (block: string) => readonly string[];
  readonly metrics: KindTable<MetricKind, MetricSpec>;
  /** The loss reads logits: the metrics see softmax(scores) per row, the loss the scores themselves. */
  readonly fromLogits?: boolean;
  /** Scores already predicted for `data` (row-major [size, outputs]), if any. */
  readonly scores?: Float32Array;
  /** Training rows per class of `block` (the training split after transforms): the class priors. */
  readonly classCounts?: (block: string) => number[];
  /**
   * Another loaded split with the model's scores on it, for a choice made there (the post-hoc τ
   * on the validation split); undefined when the data has no such split.
   */
  readonly splitScores?: (split: Split) => { readonly data: ArrayDataset; readonly scores: Float32Array } | undefined;
}

export interface EvaluationKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  /** The split of the final evaluation. */
  split(spec: S): Split;
  /** A split evaluated after every epoch (its metrics go into the history), if any. */
  validationSplit?(spec: S): Split | undefined;
  /** Other splits the final evaluation reads, by field (checked to exist before a run starts). */
  readsSplits?(spec: S): readonly { readonly field: string; readonly split: Split }[];
  blocks(spec: S): readonly BlockUse[];
  problems?(spec: S, blockWidth: (block: string) => number | undefined): readonly string[];
  /** Whole-split metrics after an epoch, on the validation split. */
  validate?(spec: S, context: EvaluationContext): Record<string, number>;
  evaluate(spec: S, context: EvaluationContext): Evaluation;
  /** The final evaluation's per-example class probabilities, kept in the run folder (see `PREDICTIONS_FILE`). */
  predictions?(spec: S, context: EvaluationContext): ExamplePredictions;
}

/** What a metric sees: true and predicted classes of the target block, and the raw scores. */
export interface MetricInput {
  readonly truth: Int32Array;
  readonly predicted: Int32Array;
  /** Row-major [size, numClasses] model outputs. */
  readonly scores: Float32Array;
  readonly numClasses: number;
}

export interface MetricKind<S extends KindSpec = KindSpec> extends KindEntry<S> {
  compute(spec: S, input: MetricInput): number;
}

// ---- the table --------------------------------------------------------------------------

/**
 * The entries of one part, by kind. Its `codec` is a union over the entries present when a value
 * is validated, so a kind registered after the codec was made still counts. `P` is the type of
 * the part's specs (built-in ones, or a user kind's `UserKindSpec`).
 */
export class KindTable<E extends KindEntry, P extends KindSpec = KindSpec> {
  private readonly entries = new Map<string, E>();
  readonly codec: t.Type<P, P>;

  constructor(readonly part: string) {
    const union = tagged(part, 'kind', () =>
      Object.fromEntries([...this.entries].map(([kind, entry]) => [kind, decoderType(entry.codec)])),
    );
    // Whatever an entry of this part accepts is one of the part's specs: a built-in's, or a user
    // kind's, whose brand exists for the compiler only.
    const validate = (u: unknown, c: t.Context) => union.validate(u, c) as t.Validation<P>;
    this.codec = new t.Type<P, P, unknown>(part, (u): u is P => E.isRight(validate(u, [])), validate, t.identity);
  }

  /**
   * Adds an entry of any settings `S` of this part. A kind already taken is an error unless it
   * comes from the same source file again (a module loaded twice, as a definition and as a run
   * child's import).
   */
  register<R extends E>(entry: R): R {
    const existing = this.entries.get(entry.kind);
    if (existing !== undefined && (existing.source === undefined || existing.source !== entry.source)) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `${this.part} kind "${entry.kind}" is already registered${existing.source ? ` by ${existing.source}` : ' (built in)'}; choose another name`,
      );
    }
    this.entries.set(entry.kind, entry);
    return entry;
  }

  /** The entry of `kind`; the codec has checked it exists, so a miss is an internal error. */
  get(kind: string): E {
    const entry = this.entries.get(kind);
    if (entry === undefined) {
      throw new LosslabError(
        'INVALID_DEFINITION',
        `${this.part}.kind: "${kind}" is not a known kind (known: ${this.kinds().join(', ')})`,
      );
    }
    return entry;
  }

  kinds(): string[] {
    return [...this.entries.keys()];
  }

  /** Source files of the user-registered entries. */
  sources(): string[] {
    return [...this.entries.values()].flatMap((entry) => (entry.source === undefined ? [] : [entry.source]));
  }
}

/** An entry's decoder as the full codec the union of a table is made of (only `validate` is used). */
const decoderType = <S extends KindSpec>(decoder: t.Decoder<unknown, S>): t.Type<S, S> =>
  new t.Type<S, S, unknown>(
    decoder.name,
    (u): u is S => E.isRight(decoder.validate(u, [])),
    decoder.validate,
    t.identity,
  );

/** Every part's table. */
export interface Registry {
  readonly data: KindTable<DataKind, DataSpec>;
  readonly transforms: KindTable<TransformKind, TransformSpec>;
  readonly labels: KindTable<LabelKind, LabelSpec>;
  readonly models: KindTable<ModelKind, ModelSpec>;
  readonly losses: KindTable<LossKind, LossSpec>;
  readonly optimizers: KindTable<OptimizerKind, OptimizerSpec>;
  readonly evaluations: KindTable<EvaluationKind, EvaluationSpec>;
  readonly metrics: KindTable<MetricKind, MetricSpec>;
}

/** Tables with no entries (`createRegistry` in kinds/index.ts fills them with the built-ins). */
export const emptyRegistry = (): Registry => ({
  data: new KindTable('data'),
  transforms: new KindTable('transform'),
  labels: new KindTable('label block'),
  models: new KindTable('model'),
  losses: new KindTable('loss'),
  optimizers: new KindTable('optimizer'),
  evaluations: new KindTable('evaluation'),
  metrics: new KindTable('metric'),
});
