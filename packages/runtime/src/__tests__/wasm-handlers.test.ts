import { describe, expect, it } from 'vitest';
import { selectBackend } from '../index.js';

describe('activating the wasm backend', () => {
  // Its Emscripten runtime installs handlers that rethrow uncaught errors from inside the
  // minified module, which buries the real error under megabytes of source text.
  it('leaves no process handlers of its own behind', async () => {
    const before = {
      uncaught: process.listeners('uncaughtException').length,
      rejection: process.listeners('unhandledRejection').length,
    };
    await selectBackend({ requested: 'wasm' });
    expect(process.listeners('uncaughtException')).toHaveLength(before.uncaught);
    expect(process.listeners('unhandledRejection')).toHaveLength(before.rejection);
  });
});
