import * as tf from '@tensorflow/tfjs-core';
import { BACKENDS, type BackendName } from '@losslab/schema';
import { LosslabError } from './errors.js';
import { installWasmConvKernels } from './wasm-conv-kernels.js';
import { installWasmMatMulKernels } from './wasm-kernels.js';

export { BACKENDS, type BackendName };

/** The environment variable that overrides the automatic backend choice. */
export const BACKEND_ENV_VAR = 'LOSSLAB_BACKEND';

/** What {@link selectBackend} chose, and why the faster ones were skipped. */
export interface BackendInfo {
  readonly name: BackendName;
  /** Version of `@tensorflow/tfjs-core` the backend runs under. */
  readonly version: string;
  /** Backends tried before `name` and why each could not be used. */
  readonly skipped: readonly { readonly name: BackendName; readonly reason: string }[];
}

/** How {@link selectBackend} chooses. */
export interface SelectBackendOptions {
  /** An explicit choice (`--backend`); wins over the environment variable. */
  readonly requested?: string | undefined;
  /** Where to read {@link BACKEND_ENV_VAR}; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * When the wasm backend is activated, install the explicit-transpose matMul kernels
   * ({@link installWasmMatMulKernels}); default true. `false` leaves the current kernels as they are.
   */
  readonly fastMatMul?: boolean;
}

/** True when `value` names a backend losslab knows. */
export const isBackendName = (value: string): value is BackendName => (BACKENDS as readonly string[]).includes(value);

// A variable specifier keeps bundlers and tsc from requiring the optional package.
const TFJS_NODE = '@tensorflow/tfjs-node';

async function register(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow':
      await import(/* @vite-ignore */ TFJS_NODE);
      return;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
  }
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type Listener = (...args: unknown[]) => void;
// The two events share one listener shape for what is done here: compare and remove.
const listenersOf = (event: (typeof PROCESS_EVENTS)[number]): Listener[] =>
  process.listeners(event as 'uncaughtException') as Listener[];

async function activate(name: BackendName, fastMatMul: boolean): Promise<void> {
  const before = PROCESS_EVENTS.map(listenersOf);
  try {
    await register(name);
    const ok = await tf.setBackend(name);
    if (!ok || tf.getBackend() !== name) {
      throw new Error(`tf.setBackend('${name}') did not activate it`);
    }
    await tf.ready();
    if (name === 'wasm') {
      // Needed to train convolutions at all (and right), so fastMatMul does not gate them.
      installWasmConvKernels();
      if (fastMatMul) installWasmMatMulKernels();
    }
  } finally {
    // The wasm module's Emscripten runtime adds process handlers that rethrow any uncaught error
    // from inside its own minified source, so Node printed the whole module instead of the
    // error. Removing them restores Node's usual message and exit code.
    PROCESS_EVENTS.forEach((event, i) => {
      for (const listener of listenersOf(event)) {
        if (!before[i]!.includes(listener)) process.removeListener(event, listener);
      }
    });
  }
}

/** The package each backend comes from: optional peers, installed by the application that wants it. */
const PACKAGE_OF: Record<BackendName, string> = {
  tensorflow: TFJS_NODE,
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

const reasonOf = (name: BackendName, error: unknown): string => {
  if ((error as { code?: string } | undefined)?.code === 'ERR_MODULE_NOT_FOUND')
    return `not installed (optional: npm install ${PACKAGE_OF[name]})`;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
};

/**
 * Chooses and activates the TF.js backend: the requested one (argument, then the
 * `LOSSLAB_BACKEND` environment variable), otherwise the first of tfjs-node → wasm → cpu that
 * loads. An explicit request that cannot load is an error, never a silent fallback. Activating
 * wasm also installs its explicit-transpose matMul kernels (see {@link SelectBackendOptions.fastMatMul})
 * and the convolution and pooling kernels it lacks or gets wrong (see {@link installWasmConvKernels}).
 *
 * @example
 * const backend = await selectBackend({ requested: 'cpu' });
 * console.log(describeBackend(backend)); // "backend: cpu (tfjs-core 4.22.0)"
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  const requested = options.requested ?? env[BACKEND_ENV_VAR] ?? undefined;
  const fast = options.fastMatMul ?? true;
  if (requested !== undefined && requested !== '' && requested !== 'auto') {
    if (!isBackendName(requested)) {
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `backend: expected one of ${BACKENDS.join(', ')} or auto, got "${requested}"`,
      );
    }
    try {
      await activate(requested, fast);
    } catch (error) {
      throw new LosslabError(
        'BACKEND_UNAVAILABLE',
        `backend "${requested}" could not be loaded: ${reasonOf(requested, error)}`,
      );
    }
    return { name: requested, version: tf.version_core, skipped: [] };
  }
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const name of BACKENDS) {
    try {
      await activate(name, fast);
      return { name, version: tf.version_core, skipped };
    } catch (error) {
      skipped.push({ name, reason: reasonOf(name, error) });
    }
  }
  throw new LosslabError(
    'BACKEND_UNAVAILABLE',
    `no TF.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

/** One line for logs: `backend: wasm (tfjs-core 4.22.0; skipped tensorflow: <reason>)`. */
export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => `skipped ${s.name}: ${s.reason}`);
  return `backend: ${info.name} (tfjs-core ${info.version}${skipped.length ? `; ${skipped.join('; ')}` : ''})`;
}
