// Node module resolve hook for definition files that live outside the losslab workspace.
// Registered by `loadDefinitionFile` (load-definition.ts) with `module.register` before it imports
// a definition; runs on Node's loader thread, so it is plain JavaScript with no imports of losslab.
//
// Node resolves a bare import (`@losslab/experiment`) from the importing file's own folder upwards,
// so `/tmp/study/def.ts` cannot see the workspace's node_modules. For files outside the workspace,
// this hook resolves the packages losslab shares with a definition as if they were imported from
// inside the workspace (from the `anchor` file given to `initialize`):
//
//   - `@losslab/*`: the definition's builders, losses and kinds are losslab's own;
//   - `@tensorflow/*`: TF.js keeps its backends, kernels and tensor registry in one engine per copy
//     of tfjs-core, so a loss or layer built with a second copy would see no backend and its tensors
//     would be foreign to the engine that trains the model;
//   - `io-ts`, `fp-ts`: codecs and Either values are checked by identity and `_tag`, and a user
//     kind's codec must compose with losslab's (`t.union`, `t.intersection`) from the same copy.
//
// Everything else (the definition's own relative files, other packages, node: builtins) is
// resolved normally, and so is every import made from inside the workspace. The one other change:
// the user's TypeScript files load as ES modules (see `resolve`).

/** Bare specifiers redirected to the workspace: the package and any subpath (`fp-ts/lib/Either.js`). */
const SHARED = /^(?:@losslab\/|@tensorflow\/|(?:io-ts|fp-ts)(?:\/|$))/;

/** `file:` URL of a file inside the workspace that shared packages are resolved from. */
let anchor;
/** `file:` URL of the workspace root folder, ending in `/`. */
let workspace;

/** @param {{ anchor: string; workspace: string }} data */
export function initialize(data) {
  anchor = data.anchor;
  workspace = data.workspace.endsWith('/') ? data.workspace : `${data.workspace}/`;
}

/** Outside the workspace: the definition, its own files, and whatever the user installed beside them. */
const isOutside = (url) => url.startsWith('file:') && !url.startsWith(workspace);

/**
 * @param {string} specifier
 * @param {{ parentURL?: string }} context
 * @param {(specifier: string, context?: object) => Promise<{ url: string; format?: string | null }>} nextResolve
 */
export async function resolve(specifier, context, nextResolve) {
  if (anchor === undefined) return nextResolve(specifier, context);
  const parent = context.parentURL;
  if (parent !== undefined && isOutside(parent) && SHARED.test(specifier))
    return nextResolve(specifier, { ...context, parentURL: anchor });
  const resolved = await nextResolve(specifier, context);
  // A definition is an ES module (`import`, `export default`), but a folder such as /tmp has no
  // package.json saying `"type": "module"`, so tsx would compile it to CommonJS, whose `require`
  // calls never reach this hook. The user's own TypeScript files (outside the workspace and outside
  // node_modules) therefore load as ES modules; `.cts` stays CommonJS.
  if (
    isOutside(resolved.url) &&
    !resolved.url.includes('/node_modules/') &&
    /\.(?:ts|tsx|mts)(?:\?|$)/.test(resolved.url)
  )
    return { ...resolved, format: 'module' };
  return resolved;
}
