/**
 * What a search decided for one variant (given by `losslab run`, which ran it): its trials with
 * their metric on the validation split, and the chosen one, whose settings the variant's runs used.
 */
export interface ReportSearch {
  readonly variant: string;
  readonly metric: string;
  readonly direction: 'min' | 'max';
  /** The seed the trials trained on. */
  readonly seed: number;
  readonly chosen: string;
  readonly scores: readonly { readonly name: string; readonly value: number }[];
}
