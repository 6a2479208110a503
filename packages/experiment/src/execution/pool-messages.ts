import * as t from 'io-ts';

/**
 * What a `--jobs=N` pool (worker-pool.ts) and its worker processes (worker-child.ts) say to each
 * other over IPC. Each side decodes what it receives: the other side is another program run.
 */

/** The environment variable that hands a worker its settings (JSON of {@link WorkerSettings}). */
export const WORKER_SETTINGS_ENV = 'LOSSLAB_POOL_WORKER';

/** What every run of one worker shares: set once when the worker process starts. */
export const WorkerSettings = t.intersection([
  t.type({
    /** `worker 2`: names the worker in its output lines between runs. */
    name: t.string,
    definitionPath: t.string,
    runsDir: t.string,
    fresh: t.boolean,
    debug: t.boolean,
  }),
  /** The backend this worker runs every run on; absent: chosen as `losslab run` chooses (env, auto). */
  t.partial({ backend: t.string }),
]);
export type WorkerSettings = t.TypeOf<typeof WorkerSettings>;

/**
 * Parent → worker: run one (variant, seed) of the definition with the overrides `sets` (the
 * command line's, and a search's chosen values), which the parent resolved to the settings `hash`,
 * on `backend`. `definition`: the definition file's default export as the parent loaded it, when
 * the worker may resolve it without importing the file (worker-pool.ts `definitionToHandOver`);
 * absent, the worker imports the file itself.
 */
export const RunRequest = t.intersection([
  t.type({
    kind: t.literal('run'),
    variant: t.string,
    seed: t.number,
    sets: t.array(t.tuple([t.string, t.unknown])),
    hash: t.string,
    backend: t.string,
  }),
  t.partial({ definition: t.unknown }),
]);
export type RunRequest = t.TypeOf<typeof RunRequest>;

/** Worker → parent: it cannot run anything (definition or backend does not load); it exits next. */
export const WorkerUnusable = t.type({ kind: t.literal('unusable'), problem: t.string });

/** Worker → parent: how a run ended, and the live tensors before and after it. */
export const RunReply = t.intersection([
  t.type({
    kind: t.literal('result'),
    tensorsBefore: t.number,
    tensorsAfter: t.number,
  }),
  t.partial({ record: t.unknown, ending: t.string }),
]);
export type RunReply = t.TypeOf<typeof RunReply>;
