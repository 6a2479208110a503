import type { ResolvedExperiment, ResolvedTrial } from './resolve.js';

/**
 * What `--dry-run` says of each search: its trials (name and settings hash), the seed they train
 * on and how the chosen one is selected. A sweep's trials are variants and are listed as such.
 */
export function searchPlanLines(resolved: ResolvedExperiment): string[] {
  return resolved.searches.flatMap((search) => [
    `  search of ${search.variant}: ${search.trials.length} trial(s) on seed ${search.seed}, evaluated on ${search.select.split}; the ${search.select.direction === 'max' ? 'highest' : 'lowest'} ${search.select.metric} is chosen and runs on the declared seeds`,
    ...search.trials.map(({ variant }: ResolvedTrial) => `    trial ${variant.name} (${variant.hash.slice(0, 12)})`),
  ]);
}

/**
 * A tuning search whose seed is also a declared seed: its trials would train exactly like the final
 * run of that seed, so that run would carry the selection's luck. Checked by `losslab run` on the
 * definition's own seeds (a `run-one` child is given one seed of its own).
 */
export function searchSeedProblems(resolved: ResolvedExperiment): string[] {
  const { seeds } = resolved.definition;
  return resolved.searches
    .filter((search) => seeds.includes(search.seed))
    .map(
      (search) =>
        `search of ${search.variant}: seed ${search.seed} is also a declared seed; trials train on the search seed, so choose one outside seeds (${seeds.join(', ')}) to keep the final runs independent of the selection`,
    );
}
