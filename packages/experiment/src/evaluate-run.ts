import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import {
  formatErrors,
  RECORD_FILE,
  RunRecord,
  runSpecCodec,
  sourceSeeds,
  type Evaluation,
  type RunSpec,
  type Split,
} from '@losslab/schema';
import type * as tfl from '@tensorflow/tfjs-layers';
import { canonicalJson, LosslabError, sha256Hex } from '@losslab/runtime';
import { registry as defaultRegistry } from './kinds/index.js';
import type { Registry } from './kinds/table.js';
import { loadDefinitionFile } from './load-definition.js';
import { modelFromFiles, readModelFiles } from './model-files.js';
import { buildLoss, evaluate, loadData, type LoadedData } from './pipeline.js';
import { partCodecs } from './resolve.js';
import { readRunText } from './run-files.js';

/** What {@link evaluateRunFolder} found: the run's record, the new evaluation, and whether it equals the recorded one. */
export interface RunReevaluation {
  readonly record: RunRecord;
  readonly evaluation: Evaluation;
  /** Set when the split is the recorded evaluation's: true when every number is the same. */
  readonly matchesRecord?: boolean;
}

/** The run's settings decoded against the kinds known now; the problems by path when a kind is unknown. */
function decodeSpec(record: RunRecord, registry: Registry): E.Either<string[], RunSpec> {
  return E.mapLeft((errors: Parameters<typeof formatErrors>[0]) => formatErrors(errors, 'definition'))(
    runSpecCodec(partCodecs(registry)).decode(record.definition),
  );
}

/** The record of a complete run folder, checked by the run-record codec; errors name the file. */
export async function readRunRecord(folder: string): Promise<RunRecord> {
  const recordPath = join(folder, RECORD_FILE);
  if (!existsSync(recordPath))
    throw new LosslabError('INVALID_ARGUMENT', `${recordPath}: no such file; expected the folder of a complete run`);
  const decoded = RunRecord.decode(JSON.parse(await readRunText(recordPath)));
  if (E.isLeft(decoded))
    throw new LosslabError('INVALID_ARGUMENT', `${recordPath}: ${formatErrors(decoded.left).join('; ')}`);
  return decoded.right;
}

/** True when `path` is `folder` or lies inside it. */
const inside = (folder: string, path: string): boolean => {
  const rest = relative(folder, path);
  return rest === '' || (!rest.startsWith('..') && !isAbsolute(rest));
};

/**
 * The folder that holds the runs folder of `runFolder`, when `runFolder` is
 * `<runs>/<experiment>/<run id>` of its record (and that folder is not the file system's root).
 */
function projectOf(runFolder: string, record: RunRecord): string | undefined {
  const folder = resolve(runFolder);
  const experimentFolder = dirname(folder);
  if (basename(folder) !== record.runId || basename(experimentFolder) !== record.experiment) return undefined;
  const project = dirname(dirname(experimentFolder));
  return dirname(project) === project ? undefined : project;
}

/**
 * The definition file the record names, checked before it may be imported: it must lie (after
 * following links) in the folder `evaluate` runs in or in the run's project (see {@link projectOf}),
 * and its sha256 must be the recorded one. A record is data, so the file it names is code only
 * when both hold; otherwise the error names the file and the hashes.
 */
function trustedDefinitionFile(runFolder: string, record: RunRecord, file: string, recordedSha256: string): string {
  const recordPath = join(runFolder, RECORD_FILE);
  const project = projectOf(runFolder, record);
  const roots = [process.cwd(), ...(project === undefined ? [] : [project])].map((root) => realpathSync(root));
  const real = realpathSync(file);
  if (!roots.some((root) => inside(root, real)))
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${file}: the definition file ${recordPath} names lies outside ${roots.join(' and ')} (where the run was made from); losslab imports no file a record names from elsewhere`,
    );
  const found = sha256Hex(readFileSync(real));
  if (found !== recordedSha256)
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${file}: sha256 expected ${recordedSha256} (${recordPath}), found ${found}: not the definition file the run was made from, so it is not imported`,
    );
  return real;
}

/**
 * Re-evaluates the trained model a complete run saved (`model.json` + `weights.bin`) without
 * training: the run's own data, labels, loss and evaluation, on its evaluation split or on
 * `split`. The saved files' sha256s are checked against the record's before they are loaded. A
 * definition that used user kinds has its definition file imported first (the path the record
 * names, only where the run was made from and with the recorded sha256), so those kinds are
 * registered.
 *
 * @example const { evaluation, matchesRecord } = await evaluateRunFolder('runs/mnist-odd/<run-id>', { split: 'test' });
 */
export async function evaluateRunFolder(
  folder: string,
  options: { readonly split?: Split; readonly registry?: Registry } = {},
): Promise<RunReevaluation> {
  const registry = options.registry ?? defaultRegistry;
  const record = await readRunRecord(folder);
  const recordPath = join(folder, RECORD_FILE);
  if (record.model === undefined)
    throw new LosslabError('INVALID_ARGUMENT', `${recordPath}: the run saved no model (it predates saved models)`);

  // checked before anything else is read or imported: a changed or swapped file is named here
  const modelFiles = await readModelFiles(folder, record.model.files);
  const recordedFile = record.environment.definitionFile;
  const definitionFile = recordedFile === undefined ? undefined : resolve(recordedFile.path);
  let spec = decodeSpec(record, registry);
  if (E.isLeft(spec) && recordedFile !== undefined && definitionFile !== undefined && existsSync(definitionFile)) {
    // registers the user kinds it defines
    await loadDefinitionFile(trustedDefinitionFile(folder, record, definitionFile, recordedFile.sha256));
    spec = decodeSpec(record, registry);
  }
  if (E.isLeft(spec)) throw new LosslabError('INVALID_DEFINITION', `${recordPath}: ${spec.left.join('; ')}`);

  const entry = registry.evaluations.get(spec.right.evaluation.kind);
  const recordedSplit = entry.split(spec.right.evaluation);
  const split = options.split ?? recordedSplit;
  if (split !== recordedSplit && !('split' in spec.right.evaluation))
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `--split: evaluation kind "${spec.right.evaluation.kind}" has no split field to set`,
    );
  const runSpec = { ...spec.right, evaluation: { ...spec.right.evaluation, split } } as RunSpec;
  const baseDir = definitionFile === undefined ? process.cwd() : dirname(definitionFile);
  // The run's seed draws the same rows its transforms drew when it trained.
  const data = await loadData(runSpec, registry, { baseDir, seed: sourceSeeds(record.seed, runSpec.seeding).data });
  const train = data.splits.train;
  if (train === undefined) throw new LosslabError('INVALID_DEFINITION', 'the data has no train split');
  if (data.splits[split] === undefined)
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `--split: the run's data has no "${split}" split (it has ${Object.keys(data.splits).join(', ')})`,
    );
  const model = await modelFromFiles(modelFiles);
  try {
    // the loss of the run's last epoch, as the run evaluated with (deferred re-weighting depends on it)
    const lastEpoch = record.history.length;
    const loss = buildLoss(runSpec.loss, data.layout, train, registry, lastEpoch > 0 ? lastEpoch : undefined);
    const evaluation = evaluate(runSpec, registry, shapedFor(data, model), model, loss);
    return {
      record,
      evaluation,
      ...(split === recordedSplit
        ? { matchesRecord: canonicalJson(evaluation) === canonicalJson(record.evaluation) }
        : {}),
    };
  } finally {
    model.dispose();
  }
}

/**
 * The data shaped as the saved model's input when only the shape differs: a model saved before IDX
 * images had their channel axis takes `[28, 28]` where the data now gives `[28, 28, 1]` (same values).
 */
function shapedFor(data: LoadedData, model: tfl.LayersModel): LoadedData {
  const input = model.inputs[0]?.shape.slice(1) ?? [];
  if (input.some((dim) => dim === null)) return data;
  const shape = input as number[];
  const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
  const splits = Object.fromEntries(
    Object.entries(data.splits).map(([split, set]) => [
      split,
      set.featureShape.join() !== shape.join() && size(set.featureShape) === size(shape)
        ? { ...set, featureShape: shape }
        : set,
    ]),
  );
  return { ...data, splits };
}
