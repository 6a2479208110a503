import * as t from 'io-ts';
import { hashOf } from '@losslab/runtime';
import type { CodeParts } from '../environment.js';

/**
 * The contract between `losslab run --queue` (the coordinator) and `losslab worker`: the data of
 * one queued run and the value a worker returns. Both cross Redis, so both are checked by codec
 * on arrival, like a record read from disk.
 */

/** Where the worker keeps its own runs (its reuse cache); set by `losslab worker --runs-dir` for its sandboxed children. */
export const WORKER_RUNS_DIR_ENV = 'LOSSLAB_WORKER_RUNS_DIR';

/** The BullMQ queue every losslab coordinator and worker on one Redis database share. */
export const QUEUE_NAME = 'losslab-runs';

const StringMap = t.record(t.string, t.string);

/** One (variant, seed) of a sweep, as a worker needs it to run exactly what the coordinator resolved. */
export const RunJobData = t.exact(
  t.type({
    schema: t.literal('losslab.job/1'),
    experiment: t.string,
    variant: t.string,
    seed: t.number,
    /** The definition file as the coordinator named it (relative paths start at the worker's working folder). */
    definitionPath: t.string,
    /** `--set` overrides of the coordinator, in order (the seed and variant are given above). */
    sets: t.array(t.tuple([t.string, t.unknown])),
    /** What the worker must resolve to: the run's settings hash, backend and code. */
    definitionHash: t.string,
    backend: t.string,
    codeFingerprint: t.string,
    code: t.exact(
      t.intersection([t.type({ sources: StringMap, versions: StringMap }), t.partial({ userSources: StringMap })]),
    ),
    /** The data source's files (sha256 by path) as the coordinator read them. */
    dataFingerprint: StringMap,
    /** `--fresh`: the worker trains even when it holds a matching complete run. */
    fresh: t.boolean,
  }),
);
/** The data of one queued run. */
export type RunJobData = t.TypeOf<typeof RunJobData>;

/** What a worker returns: the run record (checked by the run-record codec on arrival) and the run folder's other files. */
export const RunJobResult = t.exact(
  t.type({
    record: t.unknown,
    /** Files of the run folder that the record does not already hold (model, started.json), base64 by relative path. */
    files: StringMap,
  }),
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
    hashOf([data.definitionHash, data.codeFingerprint, data.dataFingerprint]).slice(0, 8),
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
