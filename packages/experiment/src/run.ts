import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { ArrayDataset } from '@losslab/data';
import type { Loss } from '@losslab/losses';
import { formatErrors, RunRecord, type ExperimentDefinition, type RunSpec } from '@losslab/schema';
import { deriveSeed, type BackendInfo } from '@losslab/runtime';
import { earlyStoppingState, fit, silentProgress, type EpochEntry, type ProgressReporter } from '@losslab/train';
import { hashOf } from './canonical.js';
import { captureEnvironment, codeFingerprint } from './environment.js';
import { messageOf } from './message.js';
import { saveModel } from './model-files.js';
import { currentProcess } from './run-files.js';
import { registry as defaultRegistry } from './kinds/index.js';
import type { Registry } from './kinds/table.js';
import {
  buildLoss,
  buildModel,
  buildOptimizer,
  evaluate,
  evaluationContext,
  loadData,
  type LoadedData,
} from './pipeline.js';
import type { ResolvedVariant } from './resolve.js';
import {
  completeRun,
  failRun,
  findResumableRun,
  findReusableRun,
  markResumed,
  newRunId,
  removeCheckpoints,
  runFolder,
  saveCheckpoint,
  startRun,
  type ResumableRun,
} from './store.js';

/** Where a run failed: each step of the pipeline has its own tag. */
export type RunFailure =
  | { readonly tag: 'RunStoreFailed'; readonly message: string }
  | { readonly tag: 'LoadDataFailed'; readonly message: string }
  | { readonly tag: 'BuildFailed'; readonly message: string }
  | { readonly tag: 'TrainFailed'; readonly message: string }
  | { readonly tag: 'EvaluateFailed'; readonly message: string }
  | { readonly tag: 'PersistFailed'; readonly message: string };

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
}

/** A completed run: its record and folder, and whether an earlier run was reused. */
export interface RunOutcome {
  readonly record: RunRecord;
  readonly folder: string;
  readonly reused: boolean;
}

/** One phase of a run: its body may be synchronous; a throw or a rejection becomes a `RunFailure` tagged `tag`. */
const step = <A>(tag: RunFailure['tag'], body: () => A | Promise<A>): TE.TaskEither<RunFailure, A> =>
  TE.tryCatch(
    async () => await body(),
    (error) => ({ tag, message: messageOf(error) }),
  );

/** The hash that identifies what a run computes: its resolved settings, nothing cosmetic. */
export const runHash = (spec: RunSpec): string => hashOf(spec);

interface Built {
  readonly data: LoadedData;
  readonly train: ArrayDataset;
  readonly model: tfl.LayersModel;
  readonly loss: Loss;
  readonly optimizer: tf.Optimizer;
}

/**
 * Runs one (variant, seed): resolve → load data → build model and loss → train → evaluate →
 * persist, each step a `TaskEither` whose failure says where it happened. A complete earlier run
 * with the same settings, seed, backend and code is reused instead of recomputed; failing that, a
 * killed one continues from its newest checkpoint, in its own folder, to the same result.
 */
export function runOne(job: RunJob, context: RunContext): TE.TaskEither<RunFailure, RunOutcome> {
  const { definition, variant, seed } = job;
  const spec = variant.spec;
  const definitionHash = runHash(spec);
  const log = context.log ?? (() => {});
  const now = new Date();

  const registry = context.registry ?? defaultRegistry;
  // Relative data paths start from the definition file's folder.
  const baseDir = context.definitionFile === undefined ? process.cwd() : dirname(resolve(context.definitionFile));
  const code = codeFingerprint(registry);
  const key = { definitionHash, seed, backend: context.backend.name, codeFingerprint: code };
  const earlier = step('RunStoreFailed', async () => {
    if (context.reuse === false) return {};
    const complete = await findReusableRun(context.runsDir, definition.name, key, log);
    if (complete !== undefined) return { complete };
    const killed = await findResumableRun(context.runsDir, definition.name, key);
    return killed === undefined ? {} : { killed };
  });

  const train = (resumable: ResumableRun | undefined): TE.TaskEither<RunFailure, RunOutcome> => {
    const runId = resumable?.started.runId ?? newRunId(variant.name, seed, now);
    const folder = resumable?.folder ?? runFolder(context.runsDir, definition.name, runId);
    const startedAt = resumable === undefined ? now : new Date(resumable.started.startedAt);
    const keepCheckpoints = spec.train.keepCheckpoints === true;
    let resumes: readonly { afterEpoch: number; at: string }[] = [];
    let built: Built | undefined;
    const release = () => {
      built?.model.dispose();
      built?.optimizer.dispose();
    };
    const pipeline = pipe(
      step('PersistFailed', async () => {
        if (resumable !== undefined) {
          resumes = (await markResumed(resumable, now)).resumes ?? [];
          return;
        }
        await startRun(folder, {
          runId,
          variant: variant.name,
          startedAt: startedAt.toISOString(),
          ...currentProcess(),
          ...key,
        });
      }),
      TE.chain(() => step('LoadDataFailed', () => loadData(spec, registry, baseDir))),
      TE.chain((data) =>
        step('BuildFailed', () => {
          const train = data.splits.train;
          if (train === undefined) throw new Error('the data has no train split');
          built = {
            data,
            train,
            model: buildModel(spec, registry, train.featureShape, deriveSeed(seed, 'model')),
            loss: buildLoss(spec.loss, data.layout, train, registry),
            optimizer: buildOptimizer(spec, registry),
          };
          return built;
        }),
      ),
      TE.chain((b) =>
        step('TrainFailed', async () => {
          const evaluation = registry.evaluations.get(spec.evaluation.kind);
          const validationSplit = evaluation.validationSplit?.(spec.evaluation);
          const validate =
            validationSplit === undefined || evaluation.validate === undefined
              ? undefined
              : () =>
                  evaluation.validate!(
                    spec.evaluation,
                    evaluationContext(spec, registry, b.data, validationSplit, b.model, b.loss),
                  );
          const history: EpochEntry[] = await fit({
            model: b.model,
            loss: b.loss,
            reduction: spec.train.reduction ?? 'sumOverBatchSize',
            optimizer: b.optimizer,
            data: b.train,
            plan: {
              batchSize: spec.train.batchSize,
              shuffle: spec.train.shuffle ?? true,
              remainder: spec.train.remainder ?? 'drop',
              seed: deriveSeed(seed, 'shuffle'),
            },
            epochs: spec.train.epochs,
            ...(spec.train.schedule === undefined ? {} : { schedule: spec.train.schedule }),
            ...(spec.train.earlyStopping === undefined ? {} : { earlyStopping: spec.train.earlyStopping }),
            progress: context.progress ?? silentProgress,
            ...(validate === undefined ? {} : { validate }),
            checkpoint: {
              every: spec.train.checkpointEvery ?? 1,
              save: (state) => saveCheckpoint(folder, state, { runId, ...key }, keepCheckpoints),
            },
            ...(resumable === undefined ? {} : { resume: resumable.checkpoint }),
          });
          return { built: b, history };
        }),
      ),
      TE.chain(({ built: b, history }) =>
        step('EvaluateFailed', () => ({
          built: b,
          history,
          evaluation: evaluate(spec, registry, b.data, b.model, b.loss),
        })),
      ),
      TE.chain(({ built: b, history, evaluation }) =>
        step('PersistFailed', async () => {
          const modelFiles = await saveModel(b.model, folder);
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
            definitionHash,
            codeFingerprint: code,
            environment: captureEnvironment(context.backend, process.cwd(), context.definitionFile),
            dataFingerprint: b.data.fingerprint,
            timing: {
              startedAt: startedAt.toISOString(),
              finishedAt: finishedAt.toISOString(),
              totalSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
            },
            history,
            evaluation,
            claims: [...(definition.claims ?? [])],
            model: { format: 'tfjs-layers', files: modelFiles },
            ...(resumes.length === 0 ? {} : { resumes: [...resumes] }),
            ...(stopping === undefined
              ? {}
              : {
                  earlyStopping: {
                    stoppedAt: history.length,
                    bestEpoch: earlyStoppingState(
                      history.map((h) => h.validation?.[stopping.metric] ?? Number.NaN),
                      stopping,
                    ).bestEpoch,
                    restoredBest: stopping.restoreBest === true,
                  },
                }),
            ...(definition.reference ? { reference: definition.reference } : {}),
            ...(definition.report ? { report: definition.report } : {}),
          };
          // A record the report would reject (a user metric that returned NaN, say) fails the run here, by path.
          const checked = RunRecord.decode(record);
          if (checked._tag === 'Left')
            throw new Error(`the run record would be invalid: ${formatErrors(checked.left).join('; ')}`);
          await completeRun(folder, record);
          if (!keepCheckpoints) await removeCheckpoints(folder);
          return { record, folder, reused: false };
        }),
      ),
    );
    return async () => {
      let result: Awaited<ReturnType<typeof pipeline>>;
      try {
        result = await pipeline();
      } finally {
        release();
      }
      // A failure after the folder exists leaves its reason beside started.json, so a report can
      // tell a failed run from a killed one. Failing to write it must not hide the first failure.
      if (result._tag === 'Left' && result.left.tag !== 'RunStoreFailed' && existsSync(folder)) {
        await failRun(folder, {
          schema: 'losslab.failed/1',
          runId,
          experiment: definition.name,
          variant: variant.name,
          seed,
          phase: result.left.tag,
          message: result.left.message,
          startedAt: startedAt.toISOString(),
          failedAt: new Date().toISOString(),
        }).catch((error: unknown) => log(`could not record the failure in ${folder}: ${messageOf(error)}`));
      }
      return result;
    };
  };

  return pipe(
    earlier,
    TE.chain(({ complete: previous, killed }) => {
      if (killed !== undefined)
        log(
          `resuming ${killed.started.runId} after epoch ${killed.checkpoint.epoch} from its checkpoint ${killed.checkpointFile}`,
        );
      if (previous !== undefined) {
        log(
          `reusing ${previous.runId}: same settings (${definitionHash.slice(0, 12)}), seed ${seed}, backend ${context.backend.name} and code (${code.slice(0, 12)})`,
        );
        return TE.right({
          record: previous,
          folder: runFolder(context.runsDir, definition.name, previous.runId),
          reused: true,
        });
      }
      return train(killed);
    }),
  );
}

/** Human-readable failure: `train failed (variant masked, seed 0): loss became NaN at epoch 2, step 17 of 468`. */
export function describeFailure(failure: RunFailure, job: { variant: string; seed: number }): string {
  const where = failure.tag
    .replace(/Failed$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `${where} failed (variant ${job.variant}, seed ${job.seed}): ${failure.message}`;
}
