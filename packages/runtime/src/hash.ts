import { sha256Hex } from '@losslab/schema';

/**
 * JSON with object keys sorted at every level (and `undefined` fields dropped, as JSON does), so
 * equal data always gives equal text — the basis of definition hashes and data fingerprints.
 *
 * @example
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Hex sha256 of bytes or of a string's UTF-8 encoding: `@losslab/schema`'s (`node:crypto` under Node, portable in browsers). */
export { sha256Hex };

/** Hex sha256 of the canonical JSON of `value`: equal data, equal hash, whatever the key order. */
export const hashOf = (value: unknown): string => sha256Hex(canonicalJson(value));
