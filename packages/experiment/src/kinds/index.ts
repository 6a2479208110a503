import { fileURLToPath } from 'node:url';
import type { KindSpec } from '@losslab/schema';
import { dataKinds } from './data.js';
import { openBuilderOf, type KindBuilder } from './define.js';
import { evaluationKinds } from './evaluations.js';
import { labelKinds } from './labels.js';
import { lossKinds } from './losses.js';
import { modelKinds } from './models.js';
import { optimizerKinds } from './optimizers.js';
import { transformKinds } from './transforms.js';
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
  dataKinds.forEach((entry) => tables.data.register(entry));
  transformKinds.forEach((entry) => tables.transforms.register(entry));
  labelKinds.forEach((entry) => tables.labels.register(entry));
  modelKinds.forEach((entry) => tables.models.register(entry));
  lossKinds(tables.losses.codec).forEach((entry) => tables.losses.register(entry));
  optimizerKinds.forEach((entry) => tables.optimizers.register(entry));
  evaluationKinds(tables.metrics.codec).forEach((entry) => tables.evaluations.register(entry));
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

/**
 * Registers `entry` in `table` of this process's registry, noting the file that defined it, and
 * returns its builder: the one path of every user kind.
 */
function define<E extends KindEntry, P extends KindSpec, S extends KindSpec>(
  table: KindTable<E, P>,
  entry: E & KindEntry<S>,
): KindBuilder<S> {
  const source = entry.source ?? callerFile();
  table.register(source === undefined ? entry : { ...entry, source });
  return openBuilderOf(entry);
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
export const defineDataKind = <S extends KindSpec>(entry: DataKind<S>): KindBuilder<S> => define(registry.data, entry);
/** Registers a transform of the loaded splits (applied in `transforms: [...]` order). */
export const defineTransform = <S extends KindSpec>(entry: TransformKind<S>): KindBuilder<S> =>
  define(registry.transforms, entry);
/** Registers a label block derivation (`labels: { name: myBlock({...}) }`). */
export const defineLabelKind = <S extends KindSpec>(entry: LabelKind<S>): KindBuilder<S> =>
  define(registry.labels, entry);
/** Registers a model. */
export const defineModelKind = <S extends KindSpec>(entry: ModelKind<S>): KindBuilder<S> =>
  define(registry.models, entry);
/**
 * Registers a loss: `build` returns a per-sample loss (`@losslab/losses`' `Loss`), `blocks` and
 * `target` name the label blocks it reads, so the checks know its width.
 */
export const defineLossKind = <S extends KindSpec>(entry: LossKind<S>): KindBuilder<S> =>
  define(registry.losses, entry);
/** Registers an optimiser. */
export const defineOptimizerKind = <S extends KindSpec>(entry: OptimizerKind<S>): KindBuilder<S> =>
  define(registry.optimizers, entry);
/** Registers an evaluation. */
export const defineEvaluationKind = <S extends KindSpec>(entry: EvaluationKind<S>): KindBuilder<S> =>
  define(registry.evaluations, entry);
/**
 * Registers a metric of classification evaluations (`metrics: [myMetric({})]`); its value is
 * recorded under its kind.
 */
export const defineMetric = <S extends KindSpec>(entry: MetricKind<S>): KindBuilder<S> =>
  define(registry.metrics, entry);
