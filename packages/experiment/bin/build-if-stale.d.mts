/** sha256 of the listing (path, size, mtime) of every build input of the workspace at `root`. */
export function sourceStamp(root: string): string;
/** Runs `tsc -b tsconfig.build.json` in `root` when a build input changed since the last build. */
export function buildIfStale(root: string): void;
/** The workspace root of this checkout. */
export const WORKSPACE_ROOT: string;
