import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as E from 'fp-ts/lib/Either.js';
import type { Loss } from '@losslab/losses';
import {
  formatErrors,
  RunRecord,
  type ComputedClassWeights,
  type ExperimentDefinition,
  type ModelSummary,
  type RunSpec,
  sourceSeeds,
} from '@losslab/schema';
import { deriveSeed, LosslabError, type BackendInfo } from '@losslab/runtime';
import { batchAugmenter } from '@losslab/data';
import { fit, silentProgress, type FitResult, type ProgressReporter } from '@losslab/train';
import { captureEnvironmentSoon, codeFingerprint } from './environment.js';
import { messageOf } from './message.js';
import { saveModel } from './model-files.js';
import { modelSummary, summaryLines } from './model-shapes.js';
import { savePredictions } from './prediction-files.js';
import { currentProcess } from './run-files.js';
import { blockCounts } from './drawn.js';
import { progressFile } from './live-progress.js';
import { registry as defaultRegistry } from './kinds/index.js';
import type { Registry } from './kinds/table.js';
import {
  buildLoss,
  buildLossNoting,
  buildModel,
  buildOptimizer,
  evaluateWithPredictions,
  evaluationContext,
  loadData,
  type LoadedData,
  type SourceLoader,
} from './pipeline.js';
import { settingsHash, type ResolvedVariant } from './resolve.js';
import type { RunIndex } from './run-index.js';
import {
  completeRun,
  failRun,
  findResumableRun,
  findReusableRun,
  markResumed,
  newRunId,
  removeCheckpoints,
  reuseKey,
  runFolder,
  saveCheckpoint,
  startRun,
  type ResumableRun,
} from './store.js';

/** The phases of a run, each named in the failure it ends with (and in `failed.json`'s `phase`). */
type RunPhase =
  'RunStoreFailed' | 'LoadDataFailed' | 'BuildFailed' | 'TrainFailed' | 'EvaluateFailed' | 'PersistFailed';

/** Where a run failed and why. */
export interface RunFailure {
  readonly tag: RunPhase;
  readonly message: string;
}

/** One cell of the run matrix. */
export interface RunJob {
  readonly definition: ExperimentDefinition;
  readonly variant: ResolvedVariant;
  readonly seed: number;
}

/** Where a run writes, on which backend, and how it reports progress. */
export interface RunContext {
  readonly runsDir: string;
  readonly backend: BackendInfo;
  readonly progress?: ProgressReporter;
  /**
   * Reuse a complete run with the same definition hash, seed, backend and code, or else resume
   * an incomplete (killed) one from its newest checkpoint (default true; false is `--fresh`).
   */
  readonly reuse?: boolean;
  readonly log?: (line: string) => void;
  /** The definition file the run came from; its path, sha256 and git state go into the record. */
  readonly definitionFile?: string;
  /** The kinds the definition may use (default: the built-ins plus every kind registered in this process). */
  readonly registry?: Registry;
  /** The complete runs of `runsDir`, read once and kept between runs (a worker's); absent: the folder is read. */
  readonly runIndex?: RunIndex;
  /** Reads the data source (a worker's keeps the rows between jobs); absent: the data kind loads it. */
  readonly loadSource?: SourceLoader;
}

/** A completed run: its record and folder, and whether an earlier run was reused. */
export interface RunOutcome {
  readonly record: RunRecord;
  readonly folder: string;
  readonly reused: boolean;
}

/** A failure of one phase of a run, carried out of the run's code to its one `catch`. */
class PhaseFailure extends Error {
  constructor(
    readonly phase: RunPhase,
    cause: unknown,
  ) {
    super(messageOf(cause));
  }
}

/** Runs one phase: a throw or a rejection becomes a failure named after `phase`. */
async function phase<A>(name: RunPhase, body: () => A | Promise<A>): Promise<A> {
  try {
    return await body();
  } catch (error) {
    throw error instanceof PhaseFailure ? error : new PhaseFailure(name, error);
  }
}

/** The hash that identifies what a run computes (kept for the package's users: a resolved variant carries it as `hash`). */
export const runHash = settingsHash;

interface Built {
  readonly data: LoadedData;
  readonly model: tfl.LayersModel;
  readonly loss: Loss;
  /** The class weights the loss computed from the train split. */
  readonly classWeights: readonly ComputedClassWeights[];
  readonly optimizer: tf.Optimizer;
}

/**
 * Runs one (variant, seed): load data → build model and loss → train → evaluate → persist, each a
 * named phase whose failure says where it happened. A complete earlier run with the same reuse key
 * (settings, seed, backend and code) is reused instead of recomputed; failing that, a killed one
 * continues from its newest checkpoint, in its own folder, to the same result.
 */
export async function runOne(job: RunJob, context: RunContext): Promise<E.Either<RunFailure, RunOutcome>> {
  const { definition, variant, seed } = job;
  const log = context.log ?? (() => {});
  const registry = context.registry ?? defaultRegistry;
  const code = codeFingerprint(registry);
  const key = reuseKey(variant, seed, context.backend.name, code);
  try {
    const { complete, killed } = await phase('RunStoreFailed', async () => {
      if (context.reuse === false) return {};
      const found =
        context.runIndex === undefined
          ? await findReusableRun(context.runsDir, definition.name, key, log)
          : context.runIndex.find(key);
      if (found !== undefined) return { complete: found };
      return { killed: await findResumableRun(context.runsDir, definition.name, key) };
    });
    if (complete !== undefined) {
      log(
        `reusing ${complete.runId}: same settings (${variant.hash.slice(0, 12)}), seed ${seed}, backend ${context.backend.name} and code (${code.slice(0, 12)})`,
      );
      return E.right({
        record: complete,
        folder: runFolder(context.runsDir, definition.name, complete.runId),
        reused: true,
      });
    }
    if (killed !== undefined)
      log(
        `resuming ${killed.started.runId} after epoch ${killed.checkpoint.epoch} from its checkpoint ${killed.checkpointFile}`,
      );
    return E.right(await train(job, context, { registry, code, key }, killed));
  } catch (error) {
    if (error instanceof PhaseFailure) return E.left({ tag: error.phase, message: error.message });
    throw error;
  }
}

/** Trains, evaluates and persists a new run (or continues a killed one); a failure after its folder exists is written beside it. */
async function train(
  job: RunJob,
  context: RunContext,
  { registry, code, key }: { registry: Registry; code: string; key: ReturnType<typeof reuseKey> },
  resumable: ResumableRun | undefined,
): Promise<RunOutcome> {
  const { definition, variant, seed } = job;
  const { spec } = variant;
  const now = new Date();
  const runId = resumable?.started.runId ?? newRunId(variant.name, seed, now);
  const folder = resumable?.folder ?? runFolder(context.runsDir, definition.name, runId);
  const startedAt = resumable === undefined ? now : new Date(resumable.started.startedAt);
  // Relative data paths start from the definition file's folder.
  const baseDir = context.definitionFile === undefined ? process.cwd() : dirname(resolve(context.definitionFile));
  let built: Built | undefined;
  let summary: ModelSummary | undefined;
  // git runs in child processes while this one trains; awaited for the record (handled here so
  // that a run failing before then leaves no unhandled rejection).
  const environment = captureEnvironmentSoon(context.backend, process.cwd(), context.definitionFile);
  environment.catch(() => undefined);
  try {
    const resumes = await phase('PersistFailed', async () => {
      if (resumable !== undefined) return (await markResumed(resumable, now)).resumes ?? [];
      await startRun(folder, {
        runId,
        variant: variant.name,
        startedAt: startedAt.toISOString(),
        ...currentProcess(),
        ...key,
      });
      return [];
    });
    const data = await phase('LoadDataFailed', () =>
      loadData(spec, registry, {
        baseDir,
        seed: sourceSeeds(seed, spec.seeding).data,
        ...(context.loadSource === undefined ? {} : { source: context.loadSource }),
      }),
    );
    const trainSplit = data.splits.train;
    const b = await phase('BuildFailed', () => {
      if (trainSplit === undefined) throw new Error('the data has no train split');
      const described = modelSummary(spec, registry, trainSplit.featureShape);
      if (described !== undefined && 'problem' in described)
        throw new LosslabError('SHAPE_MISMATCH', described.problem);
      summary = described?.summary;
      if (summary !== undefined) summaryLines(summary).forEach((line) => context.log?.(`  ${line}`));
      const loss = buildLossNoting(spec.loss, data.layout, trainSplit, registry);
      built = {
        data,
        model: buildModel(
          spec,
          registry,
          trainSplit.featureShape,
          deriveSeed(sourceSeeds(seed, spec.seeding).init, 'model'),
        ),
        loss: loss.loss,
        classWeights: loss.classWeights,
        optimizer: buildOptimizer(spec, registry),
      };
      return built;
    });
    const fitted = await phase('TrainFailed', () =>
      fitVariant(job, context, registry, b, trainSplit!, folder, { runId, ...key }, resumable),
    );
    // the loss of the last epoch trained (it differs from b.loss only for a loss that changes with the epoch)
    const { evaluation, predictions } = await phase('EvaluateFailed', () =>
      evaluateWithPredictions(spec, registry, b.data, b.model, lossOfEpoch(spec, registry, b.data, fitted.stoppedAt)),
    );
    return await phase('PersistFailed', async () => {
      const modelFiles = await saveModel(b.model, folder);
      const savedPredictions =
        predictions === undefined ? undefined : await savePredictions(predictions, evaluation.split, folder);
      const stopping = spec.train.earlyStopping;
      const finishedAt = new Date();
      const record: RunRecord = {
        schema: 'losslab.run/1',
        runId,
        experiment: definition.name,
        variant: variant.name,
        seed,
        description: definition.description,
        definition: spec,
        definitionHash: variant.hash,
        codeFingerprint: code,
        environment: await environment,
        dataFingerprint: b.data.fingerprint,
        timing: {
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          totalSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
        },
        history: fitted.history,
        evaluation,
        claims: [...(definition.claims ?? [])],
        model: { format: 'tfjs-layers', files: modelFiles },
        ...(summary === undefined ? {} : { modelSummary: summary }),
        ...(resumes.length === 0 ? {} : { resumes: [...resumes] }),
        ...trainingData(b),
        ...(savedPredictions === undefined ? {} : { predictions: savedPredictions }),
        ...(spec.seeding === undefined ? {} : { seeding: spec.seeding }),
        ...(stopping === undefined || fitted.bestEpoch === undefined
          ? {}
          : {
              earlyStopping: {
                stoppedAt: fitted.stoppedAt,
                bestEpoch: fitted.bestEpoch,
                restoredBest: stopping.restoreBest === true,
              },
            }),
        ...(definition.reference ? { reference: definition.reference } : {}),
        ...(definition.report ? { report: definition.report } : {}),
      };
      // A record the report would reject (a user metric that returned NaN, say) fails the run here, by path.
      const checked = RunRecord.decode(record);
      if (E.isLeft(checked))
        throw new Error(`the run record would be invalid: ${formatErrors(checked.left).join('; ')}`);
      await completeRun(folder, record);
      context.runIndex?.add(record);
      if (!variant.train.keepCheckpoints) await removeCheckpoints(folder);
      return { record, folder, reused: false };
    });
  } catch (error) {
    // A failure after the folder exists leaves its reason beside started.json, so a report can
    // tell a failed run from a killed one. Failing to write it must not hide the first failure.
    if (error instanceof PhaseFailure && error.phase !== 'RunStoreFailed' && existsSync(folder)) {
      await failRun(folder, {
        schema: 'losslab.failed/1',
        runId,
        experiment: definition.name,
        variant: variant.name,
        seed,
        phase: error.phase,
        message: error.message,
        startedAt: startedAt.toISOString(),
        failedAt: new Date().toISOString(),
      }).catch((failure: unknown) => context.log?.(`could not record the failure in ${folder}: ${messageOf(failure)}`));
    }
    throw error;
  } finally {
    built?.model.dispose();
    built?.optimizer.dispose();
  }
}

/** The record's `training`: rows per class of the train split (the weighted blocks' too) and the computed class weights. */
function trainingData(b: Built): Pick<RunRecord, 'training'> {
  const train = b.data.splits.train;
  const classCounts = Object.fromEntries(
    Object.entries(b.data.trainingCounts).map(([block, counts]) => [block, [...counts]]),
  );
  for (const { block } of b.classWeights)
    if (train !== undefined) classCounts[block] ??= blockCounts(train, b.data.layout, block);
  if (Object.keys(classCounts).length === 0 && b.classWeights.length === 0) return {};
  return {
    training: { classCounts, ...(b.classWeights.length === 0 ? {} : { classWeights: [...b.classWeights] }) },
  };
}

/** The loss of training epoch `epoch` (see `buildLoss`). */
const lossOfEpoch = (spec: RunSpec, registry: Registry, data: LoadedData, epoch: number): Loss =>
  buildLoss(spec.loss, data.layout, data.splits.train!, registry, epoch);

/** The training of a built run: its declared settings with the defaults resolved beside them, validated per epoch when its evaluation asks. */
function fitVariant(
  { variant, seed }: RunJob,
  context: RunContext,
  registry: Registry,
  b: Built,
  trainSplit: NonNullable<LoadedData['splits']['train']>,
  folder: string,
  run: Parameters<typeof saveCheckpoint>[2],
  resumable: ResumableRun | undefined,
): Promise<FitResult> {
  const { spec, train } = variant;
  const evaluation = registry.evaluations.get(spec.evaluation.kind);
  const validationSplit = evaluation.validationSplit?.(spec.evaluation);
  const validate = evaluation.validate?.bind(evaluation);
  const live = progressFile(folder, run.runId, resumable?.checkpoint.history ?? []);
  return fit({
    model: b.model,
    loss: b.loss,
    lossAt: (epoch) => lossOfEpoch(spec, registry, b.data, epoch),
    reduction: train.reduction,
    optimizer: b.optimizer,
    data: trainSplit,
    plan: {
      batchSize: spec.train.batchSize,
      shuffle: train.shuffle,
      remainder: train.remainder,
      seed: deriveSeed(sourceSeeds(seed, spec.seeding).order, 'shuffle'),
    },
    epochs: spec.train.epochs,
    ...(spec.train.augment === undefined || spec.train.augment.length === 0
      ? {}
      : {
          augment: batchAugmenter(
            spec.train.augment,
            deriveSeed(sourceSeeds(seed, spec.seeding).order, 'augment'),
            trainSplit.featureShape,
          ),
        }),
    ...(spec.train.schedule === undefined ? {} : { schedule: spec.train.schedule }),
    ...(spec.train.earlyStopping === undefined ? {} : { earlyStopping: spec.train.earlyStopping }),
    progress: live.reporter(context.progress ?? silentProgress),
    onBatchEnd: live.onBatchEnd,
    onEpochEnd: live.onEpochEnd,
    ...(validationSplit === undefined || validate === undefined
      ? {}
      : {
          validate: (epoch) =>
            validate(
              spec.evaluation,
              evaluationContext(
                spec,
                registry,
                b.data,
                validationSplit,
                b.model,
                lossOfEpoch(spec, registry, b.data, epoch),
              ),
            ),
        }),
    checkpoint: {
      every: train.checkpointEvery,
      save: (state) => saveCheckpoint(folder, state, run, train.keepCheckpoints),
    },
    ...(resumable === undefined ? {} : { resume: resumable.checkpoint }),
  });
}

/** Human-readable failure: `train failed (variant masked, seed 0): loss became NaN at epoch 2, step 17 of 468`. */
export function describeFailure(failure: RunFailure, job: { variant: string; seed: number }): string {
  const where = failure.tag
    .replace(/Failed$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `${where} failed (variant ${job.variant}, seed ${job.seed}): ${failure.message}`;
}
