import type { Execution, RunCell } from './execution/execution.js';
import type { Overrides, ResolvedExperiment, VariantSearch } from './resolve.js';
import { selectTrial, type Selection } from './search.js';

/**
 * The tuning half of `losslab run` for variants with a search (search.ts): runs every trial on its
 * search seed (finished trials are reused like any run), chooses each variant's trial on the
 * validation split, and returns the chosen values as overrides of the variants
 * (`variants.<name>.<path>`), so the definition resolves again — here, in children and on queue
 * workers alike — to the tuned variants.
 */

/** What one variant's search decided, for the console and the report. */
export interface SearchOutcome extends Selection {
  readonly variant: string;
  readonly metric: string;
  readonly direction: 'min' | 'max';
  readonly seed: number;
  /** The chosen trial's values. */
  readonly values: Overrides;
}

/** Each variant's search in plain lines: its trials with their metric, the chosen one marked. */
function searchLines(outcome: SearchOutcome): string[] {
  return [
    `search of ${outcome.variant}: ${outcome.scores.length} trial(s) on seed ${outcome.seed}, ${outcome.metric} on validation (${outcome.direction === 'max' ? 'higher' : 'lower'} is better)`,
    ...outcome.scores.map(
      ({ name, value }) => `  ${name === outcome.chosen ? '*' : ' '} ${name}: ${outcome.metric} ${value.toFixed(4)}`,
    ),
  ];
}

/** Runs and selects every search of `resolved`; undefined when a trial failed or the execution could not start (said on stderr). */
export async function runSearches(
  resolved: ResolvedExperiment,
  execution: Execution,
): Promise<readonly SearchOutcome[] | undefined> {
  const cells: RunCell[] = resolved.searches.flatMap((search) =>
    search.trials.map(({ variant }) => ({ variant, seed: search.seed })),
  );
  if (cells.length === 0) return [];
  console.log(`search: ${cells.length} trial run(s) of ${resolved.searches.length} variant(s)`);
  const results = await execution.run(cells);
  if (results === undefined) return undefined;
  // A trial that failed (a learning rate too large may make the loss NaN) is left out of the
  // selection and said so; a search none of whose trials finished tunes nothing.
  results
    .filter((result) => result.record === undefined)
    .forEach((result) =>
      console.error(`trial failed, left out of its search: ${result.label} (${result.ending ?? 'no record'})`),
    );
  const outcomes: SearchOutcome[] = [];
  let next = 0;
  const searches: readonly VariantSearch[] = resolved.searches;
  for (const search of searches) {
    const trials = search.trials.map(({ variant }) => ({ name: variant.name, record: results[next++]?.record }));
    let selection: Selection;
    try {
      selection = selectTrial(
        search.select,
        trials.flatMap(({ name, record }) => (record === undefined ? [] : [{ name, record }])),
      );
    } catch (error) {
      console.error(`error: search of ${search.variant}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    const chosen = search.trials.find(({ variant }) => variant.name === selection.chosen);
    outcomes.push({
      ...selection,
      variant: search.variant,
      metric: search.select.metric,
      direction: search.select.direction,
      seed: search.seed,
      values: (chosen?.values ?? []).map(([path, value]) => [`variants.${search.variant}.${path}`, value] as const),
    });
  }
  outcomes.flatMap(searchLines).forEach((line) => console.log(line));
  return outcomes;
}
