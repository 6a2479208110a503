import { fileURLToPath } from 'node:url';
import type * as t from 'io-ts';
import type { KindSpec, LossSpec, MetricSpec, UserKindSpec } from '@losslab/schema';
import {
  blinkStreamData,
  carveValidationTransform,
  columnLabel,
  csvData,
  flagLabel,
  idxData,
  longTailTransform,
  oneHotLabel,
  subsampleTransform,
} from './data.js';
import { binaryDetectionEvaluation, classificationEvaluation } from './evaluations.js';
import { BASE_LOSSES, focalLoss, maskedLoss, slicedLoss, weightedLoss } from './losses.js';
import { adamOptimizer, lstmModel, mlpModel, sgdOptimizer } from './models.js';
import {
  emptyRegistry,
  type DataKind,
  type EvaluationKind,
  type KindEntry,
  type KindTable,
  type LabelKind,
  type LossKind,
  type MetricKind,
  type ModelKind,
  type OptimizerKind,
  type Registry,
  type TransformKind,
} from './table.js';

/**
 * A registry holding the built-in kinds. Tests and embedders may make their own; definition
 * files register into {@link registry}, the one the CLI validates and runs with.
 */
export function createRegistry(): Registry {
  const tables = emptyRegistry();
  [idxData, csvData, blinkStreamData].forEach((entry) => tables.data.register(entry as unknown as DataKind));
  [carveValidationTransform, subsampleTransform, longTailTransform].forEach((entry) =>
    tables.transforms.register(entry as unknown as TransformKind),
  );
  [oneHotLabel, flagLabel, columnLabel].forEach((entry) => tables.labels.register(entry as unknown as LabelKind));
  [mlpModel, lstmModel].forEach((entry) => tables.models.register(entry as unknown as ModelKind));
  const anyLoss = tables.losses.codec as t.Type<LossSpec, LossSpec>;
  [...BASE_LOSSES, focalLoss, slicedLoss(anyLoss), maskedLoss(anyLoss), weightedLoss(anyLoss)].forEach((entry) =>
    tables.losses.register(entry as unknown as LossKind),
  );
  [adamOptimizer, sgdOptimizer].forEach((entry) => tables.optimizers.register(entry as unknown as OptimizerKind));
  const anyMetric = tables.metrics.codec as unknown as t.Type<MetricSpec, MetricSpec>;
  [classificationEvaluation(anyMetric), binaryDetectionEvaluation].forEach((entry) =>
    tables.evaluations.register(entry as unknown as EvaluationKind),
  );
  return tables;
}

/** The registry of this process: built-ins plus every kind a loaded definition module registered. */
export const registry: Registry = createRegistry();

/**
 * The file that called a `define…Kind` function (the first stack frame outside this file), so a
 * user kind's source becomes part of a run's code fingerprint without the user naming it.
 */
function callerFile(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const frame of frames) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(frame.trim());
    const file = match?.[1];
    if (file === undefined) continue;
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    if (path !== here) return path;
  }
  return undefined;
}

/** Settings of a kind without its tag: what its builder takes. */
export type Settings<S extends KindSpec> = Omit<S, 'kind'>;

/** The builder of a registered kind: settings in, plain definition data out. */
export type KindBuilder<S extends KindSpec> = (settings: Settings<S>) => UserKindSpec;

function define<S extends KindSpec>(table: KindTable<KindEntry>, entry: KindEntry<S>): KindBuilder<S> {
  const source = entry.source ?? callerFile();
  table.register({ ...entry, ...(source === undefined ? {} : { source }) } as unknown as KindEntry);
  return (settings) => ({ ...settings, kind: entry.kind }) as unknown as UserKindSpec;
}

/**
 * Registers a data source: its codec validates the settings, `provides` says which splits (and
 * extra columns) it yields, `load` reads them as labelled rows. Returns its builder.
 *
 * @example
 * const Settings = closed('ring data', { kind: t.literal('ring'), size: PositiveInt });
 * export const ring = defineDataKind({ kind: 'ring', codec: Settings, provides: () => ({ splits: ['train', 'test'], columns: [] }), load: ... });
 * // in the definition: data: ring({ size: 200 })
 */
export const defineDataKind = <S extends KindSpec>(entry: DataKind<S>): KindBuilder<S> =>
  define(registry.data as unknown as KindTable<KindEntry>, entry);
/** Registers a transform of the loaded splits (applied in `transforms: [...]` order). */
export const defineTransform = <S extends KindSpec>(entry: TransformKind<S>): KindBuilder<S> =>
  define(registry.transforms as unknown as KindTable<KindEntry>, entry);
/** Registers a label block derivation (`labels: { name: myBlock({...}) }`). */
export const defineLabelKind = <S extends KindSpec>(entry: LabelKind<S>): KindBuilder<S> =>
  define(registry.labels as unknown as KindTable<KindEntry>, entry);
/** Registers a model. */
export const defineModelKind = <S extends KindSpec>(entry: ModelKind<S>): KindBuilder<S> =>
  define(registry.models as unknown as KindTable<KindEntry>, entry);
/**
 * Registers a loss: `build` returns a per-sample loss (`@losslab/losses`' `Loss`), `blocks` and
 * `target` name the label blocks it reads, so the checks know its width.
 */
export const defineLossKind = <S extends KindSpec>(entry: LossKind<S>): KindBuilder<S> =>
  define(registry.losses as unknown as KindTable<KindEntry>, entry);
/** Registers an optimiser. */
export const defineOptimizerKind = <S extends KindSpec>(entry: OptimizerKind<S>): KindBuilder<S> =>
  define(registry.optimizers as unknown as KindTable<KindEntry>, entry);
/** Registers an evaluation. */
export const defineEvaluationKind = <S extends KindSpec>(entry: EvaluationKind<S>): KindBuilder<S> =>
  define(registry.evaluations as unknown as KindTable<KindEntry>, entry);
/**
 * Registers a metric of classification evaluations (`metrics: [myMetric({})]`); its value is
 * recorded under its kind.
 */
export const defineMetric = <S extends KindSpec>(entry: MetricKind<S>): KindBuilder<S> =>
  define(registry.metrics as unknown as KindTable<KindEntry>, entry);
