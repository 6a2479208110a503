import type { KindSpec, UserKindSpec } from '@losslab/schema';
import type { KindEntry } from './table.js';

/**
 * How a kind becomes usable in a definition, for built-in and user kinds alike: its entry goes
 * into its part's table (`KindTable.register`) and its builder is made here from its tag. A
 * built-in entry is declared in its family file beside its builder and registered by
 * `createRegistry`; a user's entry is registered by a `define…Kind` call of `kinds/index.ts`.
 */

/** Settings of a kind without its tag: what its builder takes. */
export type Settings<S extends KindSpec> = Omit<S, 'kind'>;

/** The spec a builder returns: the settings with the tag (the same fields as `S`). */
export type Tagged<S extends KindSpec> = Pick<S, 'kind'> & Settings<S>;

/** The builder of a registered kind: settings in, plain definition data out. */
export type KindBuilder<S extends KindSpec> = (settings: Settings<S>) => UserKindSpec;

/** The builder of the kind tagged `kind`: settings in, plain definition data out (no functions). */
export const specBuilder =
  <S extends KindSpec>(kind: S['kind']) =>
  (settings: Settings<S>): Tagged<S> => ({ ...settings, kind }); // the tag last: settings never replace it

/** The builder of `entry`'s kind. */
export const builderOf = <S extends KindSpec>(entry: KindEntry<S>): ((settings: Settings<S>) => Tagged<S>) =>
  specBuilder<S>(entry.kind);

/**
 * The builder of a kind no static union of `@losslab/schema` names (a user's kind, or a built-in
 * declared only in its family file): its specs are typed as `UserKindSpec`, which every part
 * accepts, while its settings are still checked by the compiler.
 */
export const openBuilderOf =
  <S extends KindSpec>(entry: KindEntry<S>): KindBuilder<S> =>
  (settings) =>
    userKindSpec(builderOf(entry)(settings));

// The brand of a user kind's spec exists only for the compiler; nothing at run time changes.
const userKindSpec = (spec: KindSpec): UserKindSpec => spec as UserKindSpec;
