import { hashOf } from '@losslab/runtime';
import type { LoadedRows, Registry } from '../kinds/table.js';
import type { SourceLoader } from '../pipeline.js';

/**
 * The data source of a worker process's last run, kept for its next runs: the runs of a sweep
 * usually share their data settings, so a worker reads and decodes the files once. Kept under its
 * settings, its folder and the sha256 of every file as hashed now (file-hash.ts remembers a hash
 * while a file's size, times and inode are unchanged), so a changed file is read again, never
 * served stale. Sources whose kind cannot fingerprint without loading (generators, user kinds
 * without `fingerprint`) are loaded for every run. The rows are typed arrays that runs read and
 * never write.
 */
export function keptSourceLoader(registry: Registry): SourceLoader {
  let kept: { key: string; rows: Promise<LoadedRows> } | undefined;
  return async (data, baseDir) => {
    const kind = registry.data.get(data.kind);
    if (kind.fingerprint === undefined) return kind.load(data, { baseDir });
    const files = await kind.fingerprint(data, { baseDir });
    const key = hashOf([data, baseDir, files]);
    if (kept?.key !== key) {
      const entry = { key, rows: kind.load(data, { baseDir }) };
      kept = entry;
      // A failed load, or one that read other bytes than were hashed (a file replaced meanwhile),
      // is not kept: the next run tries again.
      const forget = () => {
        if (kept === entry) kept = undefined;
      };
      entry.rows.then((rows) => {
        if (Object.entries(files).some(([name, sha256]) => rows.fingerprint[name] !== sha256)) forget();
      }, forget);
    }
    return kept.rows;
  };
}
