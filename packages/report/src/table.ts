/**
 * Shared, format-neutral pieces of the two renderings: tables as header + rows of plain text,
 * so HTML and Markdown show the same numbers.
 */
export interface TextTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
}

/**
 * A cell of a {@link TextTable}: its text, or its text emphasised (bold in both renderings; never
 * colour alone), e.g. the best value of a class among the variants.
 */
export type TableCell = string | { readonly text: string; readonly strong: true };
