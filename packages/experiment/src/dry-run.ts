import { constants, accessSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { defaultBlinkSplitConfig } from '@losslab/data';
import { layerWithDefaults } from '@losslab/models';
import { SequentialModel, type RunSpec } from '@losslab/schema';
import { ADAMW_DEFAULTS, RMSPROP_DEFAULTS } from '@losslab/train';
import { messageOf } from './message.js';
import { TRAIN_DEFAULTS, type ResolvedExperiment } from './resolve.js';
import type { Registry } from './kinds/table.js';
import { closestName } from './suggest.js';

/**
 * What `losslab run --dry-run` shows and checks beyond validation: each variant's settings with
 * the defaults the code applies filled in, and that every data file the runs would read is there.
 */

type Settings = Readonly<Record<string, unknown>>;

/**
 * The optional settings of built-in kinds and the value used when a definition leaves them out
 * (where each is applied: transforms in kinds/transforms.ts, `adam`, `rmsprop`, `adamw` in @losslab/train's optimizer.ts,
 * `focal`/`huber` in @losslab/losses, `lstm` in @losslab/models, schedules and early stopping in
 * @losslab/train's schedule.ts and fit.ts, `threshold` in kinds/evaluations.ts).
 */
/** What a seeded transform without `seed` draws from (kinds/transforms.ts): each run seed draws anew. */
const RUN_SEED_DRAW = "each run's: deriveSeed(runSeed, 'data', position)";

const KIND_DEFAULTS: Readonly<Record<string, Settings>> = {
  subsample: { split: 'train', seed: RUN_SEED_DRAW },
  longTail: { split: 'train', seed: RUN_SEED_DRAW },
  carveValidation: { seed: RUN_SEED_DRAW },
  blinkStream: {
    windowLength: defaultBlinkSplitConfig.windowLength,
    stride: defaultBlinkSplitConfig.stride,
    positiveRate: defaultBlinkSplitConfig.positiveRate,
    durationSeconds: defaultBlinkSplitConfig.durationSeconds,
    subjects: defaultBlinkSplitConfig.subjects,
    dataSeed: 0,
  },
  lstm: { dropout: 0 },
  huber: { delta: 1 },
  focal: { gamma: 2, alpha: 0.25 },
  adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  rmsprop: RMSPROP_DEFAULTS,
  adamw: ADAMW_DEFAULTS,
  cosine: { warmupEpochs: 0, minFraction: 0 },
  binaryDetection: { threshold: 0.5 },
};

/** `train` without these settings (resolve.ts's TRAIN_DEFAULTS): no schedule is a constant rate. */
const TRAIN_SHOWN_DEFAULTS: Settings = {
  shuffle: TRAIN_DEFAULTS.shuffle,
  remainder: TRAIN_DEFAULTS.remainder,
  reduction: TRAIN_DEFAULTS.reduction,
  schedule: { kind: 'constant' },
  checkpointEvery: TRAIN_DEFAULTS.checkpointEvery,
  keepCheckpoints: TRAIN_DEFAULTS.keepCheckpoints,
};
const EARLY_STOPPING_DEFAULTS: Settings = { minDelta: 0, restoreBest: false };

const isSettings = (value: unknown): value is Settings =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `settings` followed by each default it leaves out (its own keys first, in its order). */
const withMissing = (settings: Settings, defaults: Settings | undefined): Settings => ({
  ...settings,
  ...Object.fromEntries(Object.entries(defaults ?? {}).filter(([key]) => !(key in settings))),
});

const ofKind = (settings: unknown): unknown =>
  isSettings(settings) ? withMissing(settings, KIND_DEFAULTS[String(settings.kind)]) : settings;

/** A loss with its defaults, the losses inside combinators (`sliced`, `masked`, `weighted`) too. */
const lossWithDefaults = (loss: unknown): unknown => {
  const filled = ofKind(loss);
  return isSettings(filled) && isSettings(filled.loss) ? { ...filled, loss: lossWithDefaults(filled.loss) } : filled;
};

/** A model with its defaults; a `sequential` model's layers each with theirs (@losslab/models). */
const modelWithDefaults = (model: unknown): unknown =>
  SequentialModel.is(model) ? { ...model, layers: model.layers.map(layerWithDefaults) } : ofKind(model);

/** One variant's run settings with every default of a built-in kind written out (user kinds as given). */
export function settingsWithDefaults(spec: RunSpec): Settings {
  const train = withMissing(spec.train, TRAIN_SHOWN_DEFAULTS);
  return {
    data: ofKind(spec.data),
    transforms: (spec.transforms ?? []).map(ofKind),
    labels: spec.labels,
    model: modelWithDefaults(spec.model),
    loss: lossWithDefaults(spec.loss),
    optimizer: ofKind(spec.optimizer),
    train: {
      ...train,
      schedule: ofKind(train.schedule),
      ...(isSettings(train.earlyStopping)
        ? { earlyStopping: withMissing(train.earlyStopping, EARLY_STOPPING_DEFAULTS) }
        : {}),
    },
    evaluation: ofKind(spec.evaluation),
  };
}

/** Settings as indented JSON, each list of numbers or strings on one line. */
export const prettySettings = (settings: Settings): string =>
  JSON.stringify(settings, null, 2).replace(
    /\[\n\s*([^[\]{}]*?)\n\s*\]/g,
    (_, items: string) => `[${items.replace(/,\n\s*/g, ', ')}]`,
  );

/** Why `path` cannot be read as a data file (or folder), or undefined when it can. */
function unreadable(path: string, folder = false): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    if (folder) return statSync(path).isDirectory() ? undefined : 'a file, not a folder';
    return statSync(path).isFile() ? undefined : 'a folder, not a file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return 'not readable';
    if (code !== 'ENOENT') return messageOf(error);
    let names: string[];
    try {
      names = readdirSync(dirname(path));
    } catch {
      return `no such file (no folder ${dirname(path)})`;
    }
    const closest = closestName(basename(path), names);
    return closest === undefined ? 'no such file' : `no such file; did you mean "${closest}"?`;
  }
}

/**
 * Every data file of every variant that cannot be read, as `data.<field>: cannot read <path> (why)`,
 * prefixed with `variants.<name> → ` when not every variant has the problem. Reads no data.
 */
export function dataFileProblems(resolved: ResolvedExperiment, registry: Registry, baseDir: string): string[] {
  const byVariant = resolved.variants.map(({ spec }) => {
    const entry = registry.data.get(spec.data.kind);
    try {
      return (entry.files?.(spec.data, { baseDir }) ?? []).flatMap(({ field, path, folder }) => {
        const why = unreadable(path, folder);
        return why === undefined ? [] : [`data.${field}: cannot read ${path} (${why})`];
      });
    } catch (error) {
      // e.g. a data `package` that is not installed
      return [`data: ${messageOf(error).split('\n')[0] ?? ''}`];
    }
  });
  const everywhere = (problem: string) => byVariant.every((problems) => problems.includes(problem));
  const lines = resolved.variants.flatMap(({ name }, index) =>
    (byVariant[index] ?? []).map((problem) => (everywhere(problem) ? problem : `variants.${name} → ${problem}`)),
  );
  return [...new Set(lines)];
}
