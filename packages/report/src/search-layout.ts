import { formatValue } from './format.js';
import type { TextTable } from './layout.js';
import type { ReportSearch } from './search.js';

/** The Searches section of a report (search.ts), as format-neutral text and tables. */

/** The sentence above the searches: what the comparison below them compares. */
export const searchesNote = (searches: readonly ReportSearch[]): string =>
  `The comparison is between tuned variants: ${searches.map((search) => search.variant).join(', ')} each ran with the settings its own search chose on the validation split (never on test), each trial trained on the search seed; the chosen settings then ran on the declared seeds.`;

/** One table per search: each trial's validation metric, the chosen trial in bold. */
export function searchTables(searches: readonly ReportSearch[]): { title: string; table: TextTable }[] {
  return searches.map((search) => ({
    title: `Search of ${search.variant}: ${search.scores.length} trial(s) on seed ${search.seed}, ${search.direction === 'max' ? 'highest' : 'lowest'} validation ${search.metric} chosen`,
    table: {
      header: ['trial', `validation ${search.metric}`, 'chosen'],
      rows: search.scores.map(({ name, value }) =>
        name === search.chosen
          ? [
              { text: name, strong: true },
              { text: formatValue(value), strong: true },
              { text: 'yes', strong: true },
            ]
          : [name, formatValue(value), ''],
      ),
    },
  }));
}
