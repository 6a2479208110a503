import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import {
  formatErrors,
  RECORD_FILE,
  RunRecord,
  runSpecCodec,
  type Evaluation,
  type RunSpec,
  type Split,
} from '@losslab/schema';
import { canonicalJson, LosslabError } from '@losslab/runtime';
import { registry as defaultRegistry } from './kinds/index.js';
import type { Registry } from './kinds/table.js';
import { loadDefinitionFile } from './load-definition.js';
import { loadModel } from './model-files.js';
import { buildLoss, evaluate, loadData } from './pipeline.js';
import { partCodecs } from './resolve.js';

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
  const decoded = RunRecord.decode(JSON.parse(await readFile(recordPath, 'utf8')));
  if (E.isLeft(decoded))
    throw new LosslabError('INVALID_ARGUMENT', `${recordPath}: ${formatErrors(decoded.left).join('; ')}`);
  return decoded.right;
}

/**
 * Re-evaluates the trained model a complete run saved (`model.json` + `weights.bin`) without
 * training: the run's own data, labels, loss and evaluation, on its evaluation split or on
 * `split`. A definition that used user kinds has its definition file imported first (the path the
 * record names), so those kinds are registered.
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

  const definitionPath = record.environment.definitionFile?.path;
  const definitionFile = definitionPath === undefined ? undefined : resolve(definitionPath);
  let spec = decodeSpec(record, registry);
  if (E.isLeft(spec) && definitionFile !== undefined && existsSync(definitionFile)) {
    await loadDefinitionFile(definitionFile); // registers the user kinds it defines
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
  const data = await loadData(runSpec, registry, baseDir);
  const train = data.splits.train;
  if (train === undefined) throw new LosslabError('INVALID_DEFINITION', 'the data has no train split');
  if (data.splits[split] === undefined)
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `--split: the run's data has no "${split}" split (it has ${Object.keys(data.splits).join(', ')})`,
    );
  const model = await loadModel(folder);
  try {
    const evaluation = evaluate(runSpec, registry, data, model, buildLoss(runSpec.loss, data.layout, train, registry));
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
