// Node module resolve hook used only in a losslab checkout, where the packages run from their
// TypeScript sources with no build step: every @losslab package's `exports` has a
// `@losslab/source` condition pointing at its src/ (installed packages have only dist/, and their
// users never set the condition). Registered by register-loaders.mjs.

/**
 * @param {string} specifier
 * @param {{ conditions?: string[] }} context
 * @param {(specifier: string, context?: object) => Promise<{ url: string }>} nextResolve
 */
export function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions ?? [];
  if (conditions.includes('@losslab/source')) return nextResolve(specifier, context);
  return nextResolve(specifier, { ...context, conditions: ['@losslab/source', ...conditions] });
}
