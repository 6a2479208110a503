import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/**
 * Small io-ts building blocks for definitions: readable names ("a positive integer"), objects
 * that reject unknown keys, unions dispatched on a `kind` tag, and a reporter that prints
 * `train.epochs: expected a positive integer, got "abc"`.
 */

/** A number codec with a readable name and a predicate; its static type stays `number`. */
export const numberWhere = (name: string, predicate: (n: number) => boolean): t.Type<number, number> =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && predicate(u),
    (u, c) => (typeof u === 'number' && predicate(u) ? t.success(u) : t.failure(u, c)),
    (n) => n,
  );

// Primitive codecs whose names read well in errors: `expected a positive integer, got 0`.
export const Str = new t.Type<string, string, unknown>('a string', t.string.is, t.string.validate, t.identity);
export const NonEmptyString = new t.Type<string, string, unknown>(
  'a non-empty string',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);
export const Bool = new t.Type<boolean, boolean, unknown>('a boolean', t.boolean.is, t.boolean.validate, t.identity);
export const FiniteNumber = numberWhere('a finite number', Number.isFinite);
export const PositiveNumber = numberWhere('a positive number', (n) => Number.isFinite(n) && n > 0);
export const NonNegativeNumber = numberWhere('a non-negative number', (n) => Number.isFinite(n) && n >= 0);
export const PositiveInt = numberWhere('a positive integer', (n) => Number.isInteger(n) && n > 0);
export const NonNegativeInt = numberWhere('a non-negative integer', (n) => Number.isInteger(n) && n >= 0);
export const Fraction = numberWhere('a number in [0, 1)', (n) => n >= 0 && n < 1);
export const OpenUnit = numberWhere('a number in (0, 1)', (n) => n > 0 && n < 1);

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

type Required<P extends t.Props> = { [K in keyof P]: t.TypeOf<P[K]> };
type Optional<P extends t.Props> = { [K in keyof P]?: t.TypeOf<P[K]> };

/**
 * An object with required and optional fields that rejects any other key (io-ts' `exact` only
 * strips them, which would let a typo pass silently).
 *
 * @example
 * const Train = closed('train', { epochs: PositiveInt }, { shuffle: Bool });
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the default means "no optional fields": exactly {}
export function closed<R extends t.Props, O extends t.Props = {}>(
  name: string,
  required: R,
  optional?: O,
): t.Type<Required<R> & Optional<O>, Required<R> & Optional<O>> {
  const optionalProps: t.Props = optional ?? {};
  const known = new Set([...Object.keys(required), ...Object.keys(optionalProps)]);
  type A = Required<R> & Optional<O>;
  const validate = (u: unknown, c: t.Context): t.Validation<A> => {
    if (!isRecord(u)) return t.failure(u, c, `expected ${name}, an object`);
    const errors: t.Errors = [];
    const out: Record<string, unknown> = {};
    const check = (key: string, codec: t.Mixed, present: boolean) => {
      if (!present) return;
      const result = codec.validate(u[key], t.appendContext(c, key, codec, u[key]));
      if (E.isLeft(result)) errors.push(...result.left);
      else out[key] = result.right;
    };
    for (const [key, codec] of Object.entries(required)) check(key, codec, true);
    for (const [key, codec] of Object.entries(optionalProps)) check(key, codec, u[key] !== undefined);
    for (const key of Object.keys(u)) {
      if (!known.has(key)) {
        errors.push({
          value: u[key],
          context: t.appendContext(c, key, t.never, u[key]),
          message: `unknown key (expected one of: ${[...known].join(', ')})`,
        });
      }
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out as A);
  };
  return new t.Type<A, A, unknown>(name, (u): u is A => E.isRight(validate(u, [])), validate, t.identity);
}

/**
 * A union of object codecs chosen by the value of their `tag` field, so an error speaks about the
 * one member the value meant to be instead of listing every member's complaints. `members` may
 * be a function, read at every validation: a table that grows (user kinds) stays one codec.
 */
export function tagged<M extends Record<string, t.Mixed>>(
  name: string,
  tag: string,
  members: M | (() => M),
): t.Type<t.TypeOf<M[keyof M]>, t.TypeOf<M[keyof M]>> {
  type A = t.TypeOf<M[keyof M]>;
  const validate = (u: unknown, c: t.Context): t.Validation<A> => {
    // A function is asked at each validation, so kinds registered later (user kinds) count.
    const current = typeof members === 'function' ? members() : members;
    const kinds = Object.keys(current);
    if (!isRecord(u)) return t.failure(u, c, `expected ${name}, an object with "${tag}"`);
    const kind = u[tag];
    const member = typeof kind === 'string' && Object.hasOwn(current, kind) ? current[kind] : undefined;
    if (member === undefined) {
      return t.failure(
        kind,
        t.appendContext(c, tag, t.never, kind),
        `expected one of ${kinds.map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return member.validate(u, c) as t.Validation<A>;
  };
  return new t.Type<A, A, unknown>(name, (u): u is A => E.isRight(validate(u, [])), validate, t.identity);
}

/**
 * A record whose keys are names checked by `key` (io-ts' `record` drops a key that fails its
 * domain instead of reporting it). A bad key is reported at its own path with the key as value.
 *
 * @example
 * const Variants = namedRecord('variants', VariantName, t.UnknownRecord);
 */
export function namedRecord<V extends t.Mixed>(
  name: string,
  key: t.Type<string, string>,
  value: V,
): t.Type<Record<string, t.TypeOf<V>>, Record<string, t.TypeOf<V>>> {
  type A = Record<string, t.TypeOf<V>>;
  const validate = (u: unknown, c: t.Context): t.Validation<A> => {
    if (!isRecord(u)) return t.failure(u, c, `expected ${name}, an object`);
    const errors: t.Errors = [];
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(u)) {
      const entry = t.appendContext(c, k, key, k);
      if (!key.is(k)) {
        errors.push({ value: k, context: entry, message: undefined });
        continue;
      }
      const result = value.validate(v, t.appendContext(c, k, value, v));
      if (E.isLeft(result)) errors.push(...result.left);
      else out[k] = result.right;
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out);
  };
  return new t.Type<A, A, unknown>(name, (u): u is A => E.isRight(validate(u, [])), validate, t.identity);
}

/**
 * A value as a message shows it: JSON, except that NaN, Infinity and -Infinity (also 1e400, which
 * parses as Infinity) are written as such, alone or inside an object or array, where JSON would
 * say `null`.
 */
const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  // JSON.stringify gives undefined for a function or symbol and throws on a bigint: name those instead.
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol' || typeof value === 'bigint') return value.toString();
  return jsonText(value);
};

/** JSON.stringify for plain data, with non-finite numbers written bare instead of as `null`. */
const jsonText = (value: unknown): string => {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value))
    return `[${value.map((item: unknown) => (isOmitted(item) ? 'null' : jsonText(item))).join(',')}]`;
  if (isRecord(value) && Object.getPrototypeOf(value) === Object.prototype)
    return `{${Object.entries(value)
      .filter(([, item]) => !isOmitted(item))
      .map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`)
      .join(',')}}`;
  return JSON.stringify(value);
};

/** What JSON leaves out of an object (and writes as null in an array). */
const isOmitted = (value: unknown): boolean =>
  value === undefined || typeof value === 'function' || typeof value === 'symbol';

/** `a.b.0.c` from an io-ts context (its first entry is the root). */
export const errorPath = (error: t.ValidationError): string =>
  error.context
    .slice(1)
    .map((entry) => entry.key)
    .filter((key) => key !== '')
    .join('.');

/**
 * One line per problem: `train.epochs: expected a positive integer, got "abc"`.
 *
 * @example
 * formatErrors(result.left).forEach((line) => console.error(line));
 */
export function formatErrors(errors: t.Errors, root = ''): string[] {
  const lines = errors.map((error) => {
    const path = [root, errorPath(error)].filter((p) => p !== '').join('.') || '(root)';
    const last = error.context[error.context.length - 1];
    const expected = error.message ?? `expected ${last?.type.name ?? 'a valid value'}`;
    const got = error.message?.startsWith('unknown key') ? '' : `, got ${describeValue(error.value)}`;
    return `${path}: ${expected}${got}`;
  });
  return [...new Set(lines)];
}
