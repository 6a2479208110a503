import * as t from 'io-ts';
import { NonNegativeInt } from '@losslab/schema';
import { hashOf } from '@losslab/runtime';
import type { CodeParts } from '../environment.js';

/**
 * The contract between `losslab run --queue` (the coordinator) and `losslab worker`: the data of
 * one queued run and the value a worker returns. Both cross Redis, so both are checked by codec
 * on arrival, like a record read from disk.
 */

/** Where the worker keeps its own runs (its reuse cache); set by `losslab worker --runs-dir` for its sandboxed children. */
export const WORKER_RUNS_DIR_ENV = 'LOSSLAB_WORKER_RUNS_DIR';

/** The worker's name (`losslab worker --name`), for its sandboxed children: it names the worker in a refusal. */
export const WORKER_NAME_ENV = 'LOSSLAB_WORKER_NAME';

/** The BullMQ queue every losslab coordinator and worker on one Redis database share. */
export const QUEUE_NAME = 'losslab-runs';

const StringMap = t.record(t.string, t.string);

/** A sha256 as lowercase hex, the form every losslab hash takes. */
const Sha256 = t.refinement(t.string, (text) => /^[0-9a-f]{64}$/.test(text), 'a sha256 (64 lowercase hex digits)');

/**
 * How many times a job may be refused by a worker whose code, data, definition file or backend
 * differs (a stale checkout beside up-to-date ones) before it fails for good: each refusal hands
 * it back to the queue for another worker; the last one names every refusal.
 */
export const MAX_REFUSALS = 3;

/** How long a refused job waits before another worker may take it: 2 s after the first refusal, 4 s after the second. */
export const refusalDelayMs = (refusals: number): number => 2000 * refusals;

/** A worker's refusal of a job, kept in the job so the next worker (and the coordinator) knows it. */
export const Refusal = t.exact(t.type({ worker: t.string, reason: t.string }));
export type Refusal = t.TypeOf<typeof Refusal>;

/** The code of a checkout as `codeParts` gives it; its canonical JSON hashes to the code fingerprint. */
export const CodeMap = t.exact(
  t.intersection([t.type({ sources: StringMap, versions: StringMap }), t.partial({ userSources: StringMap })]),
);

/** One (variant, seed) of a sweep, as a worker needs it to run exactly what the coordinator resolved. */
export const RunJobData = t.exact(
  t.intersection([
    t.type({
      schema: t.literal('losslab.job/2'),
      experiment: t.string,
      variant: t.string,
      seed: NonNegativeInt,
      /**
       * The definition file as the coordinator named it (relative paths start at the worker's working
       * folder). A worker imports it only from inside its working folder or an `--allow-definitions`
       * folder, and only when its bytes have `definitionSha256`.
       */
      definitionPath: t.string,
      definitionSha256: Sha256,
      /** `--set` overrides of the coordinator, in order (the seed and variant are given above). */
      sets: t.array(t.tuple([t.string, t.unknown])),
      /** What the worker must resolve to: the run's settings hash, backend and code. */
      definitionHash: Sha256,
      backend: t.string,
      codeFingerprint: Sha256,
      /** The data source's files (sha256 by path) as the coordinator read them. */
      dataFingerprint: StringMap,
      /** `--fresh`: the worker trains even when it holds a matching complete run. */
      fresh: t.boolean,
    }),
    t.partial({
      /**
       * The code map (source and package hashes) whose hash is `codeFingerprint`, so a worker can
       * name what differs. Absent when the sweep put it once into the artifact store, under
       * `codeFingerprint` (every job of a sweep shares it).
       */
      code: CodeMap,
      /** Added by workers that refused the job and handed it back (at most {@link MAX_REFUSALS}). */
      refusals: t.array(Refusal),
    }),
  ]),
);
/** The data of one queued run. */
export type RunJobData = t.TypeOf<typeof RunJobData>;

/**
 * What a worker returns: the run record (checked by the run-record codec on arrival) and the run
 * folder's other files, each either inline or by reference to the artifact store.
 */
export const RunJobResult = t.exact(
  t.intersection([
    t.type({
      record: t.unknown,
      /** Files of the run folder that the record does not already hold (model, started.json), base64 by relative path. */
      files: StringMap,
    }),
    /** Files put into the worker's artifact store (`--artifacts`): the sha256 of each, by relative path. */
    t.partial({ artifacts: t.record(t.string, Sha256) }),
  ]),
);
/** The return value of a run job. */
export type RunJobResult = t.TypeOf<typeof RunJobResult>;

/**
 * The job id of a run: the same sweep submitted twice maps to the same ids, so BullMQ adds each
 * run once (a second `add` with an existing id is a no-op). Everything that makes two runs
 * interchangeable is in it: experiment, variant, seed, settings hash, backend and code.
 * BullMQ refuses `:` in custom ids, hence the dots.
 *
 * @example runJobId(data) // 'blink.class-weighted.s2.3f9a1c0e4b7d.cpu.8e21aa90c3f1'
 */
export const runJobId = (data: RunJobData): string =>
  [
    data.experiment,
    data.variant,
    `s${data.seed}`,
    data.definitionHash.slice(0, 12),
    data.backend,
    data.codeFingerprint.slice(0, 12),
    // The short forms keep the id readable; the full key keeps it unique.
    hashOf([data.definitionHash, data.codeFingerprint, data.dataFingerprint, data.definitionSha256]).slice(0, 8),
  ].join('.');

/** The entries of two string maps that differ, as `name (here sha256 abc…, submitted def…)`. */
function differences(label: string, here: Readonly<Record<string, string>>, there: Readonly<Record<string, string>>) {
  const names = [...new Set([...Object.keys(here), ...Object.keys(there)])].sort();
  return names
    .filter((name) => here[name] !== there[name])
    .map(
      (name) =>
        `${label} ${name} (here ${here[name]?.slice(0, 12) ?? 'absent'}, submitted ${there[name]?.slice(0, 12) ?? 'absent'})`,
    );
}

/** The files and package versions whose code differs between this process and the submitter. */
export function codeDifferences(here: CodeParts, submitted: CodeParts): string[] {
  return [
    ...differences('source', here.sources, submitted.sources),
    ...differences('package', here.versions, submitted.versions),
    ...differences('user kind file', here.userSources ?? {}, submitted.userSources ?? {}),
  ];
}

/** The data files (or data settings) whose fingerprint differs between this process and the submitter. */
export const dataDifferences = (
  here: Readonly<Record<string, string>>,
  submitted: Readonly<Record<string, string>>,
): string[] => differences('data', here, submitted);
