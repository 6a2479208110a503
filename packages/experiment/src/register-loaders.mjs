// Loaders every losslab process registers before importing the CLI or a job body (bin/losslab.mjs,
// queue/sandbox.mjs): tsx's, because definition files and user kinds are TypeScript; and, when
// this file runs from a checkout's src/ (an installed package runs from dist/), the hook that
// resolves @losslab packages to their sources.
import { register } from 'node:module';
import { register as registerTypeScript } from 'tsx/esm/api';

// True when this process runs losslab from its TypeScript sources (a checkout, not an install).
const fromSources = import.meta.url.endsWith('/src/register-loaders.mjs');

export function registerLoaders() {
  if (fromSources) register('./source-condition-hooks.mjs', import.meta.url);
  registerTypeScript();
}
