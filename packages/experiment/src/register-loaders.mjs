// Loaders a losslab process registers before importing the CLI or a job body (bin/losslab.mjs,
// queue/sandbox.mjs). Run from a checkout's src/ (the tests): the hook that resolves @losslab
// packages to their sources, and tsx's loader, which those TypeScript sources need. Run from dist/
// (the `losslab` command, an installed package): nothing here; tsx's loader is registered only
// when a definition file is imported (load-definition.ts), so commands that import none skip it.
import { register } from 'node:module';

// True when this process runs losslab from its TypeScript sources (a checkout, not an install).
const fromSources = import.meta.url.endsWith('/src/register-loaders.mjs');

export async function registerLoaders() {
  if (!fromSources) return;
  register('./source-condition-hooks.mjs', import.meta.url);
  const { register: registerTypeScript } = await import('tsx/esm/api');
  registerTypeScript();
}
