import type { RunSpec } from '@losslab/schema';
import { hashOf } from '@losslab/runtime';
import type { Registry } from '../kinds/table.js';

/**
 * The fingerprint of a run's data as its source reads it (the sha256 of each file, a generator's
 * settings) plus its transforms: the part of a record's `dataFingerprint` that can be known before
 * training (the row counts are left out; they follow from these). The coordinator computes it
 * once per data source and each worker again before training, so a worker with other files
 * refuses the job and names the file.
 */
export async function sourceFingerprint(
  spec: RunSpec,
  registry: Registry,
  baseDir: string,
): Promise<Record<string, string>> {
  const kind = registry.data.get(spec.data.kind);
  // Hashing the files (cached while they are unchanged) where the kind can; loading them otherwise.
  const files =
    kind.fingerprint === undefined
      ? (await kind.load(spec.data, { baseDir })).fingerprint
      : await kind.fingerprint(spec.data, { baseDir });
  // As pipeline.ts loadData keys them, so the worker's record can be checked against it too.
  const transforms: Record<string, string> =
    spec.transforms === undefined || spec.transforms.length === 0 ? {} : { transforms: hashOf(spec.transforms) };
  return { ...files, ...transforms };
}
