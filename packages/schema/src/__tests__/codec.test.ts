import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { closed, FiniteNumber, formatErrors, PositiveInt } from '../index.js';

const problemsOf = (codec: t.Mixed, value: unknown): string[] => {
  const decoded = codec.decode(value);
  return decoded._tag === 'Left' ? formatErrors(decoded.left) : [];
};

describe('formatErrors names non-finite numbers as they are (issue 22 case 19)', () => {
  it('prints NaN, Infinity and -Infinity, not "null"', () => {
    const Train = closed('train', { epochs: PositiveInt, rate: FiniteNumber, decay: FiniteNumber });
    // JSON.parse('1e400') is Infinity: what a definition or --set with 1e400 holds.
    expect(problemsOf(Train, { epochs: Number.NaN, rate: JSON.parse('1e400') as number, decay: -Infinity })).toEqual([
      'epochs: expected a positive integer, got NaN',
      'rate: expected a finite number, got Infinity',
      'decay: expected a finite number, got -Infinity',
    ]);
  });

  it('prints them inside an object or array too, and plain data exactly as JSON', () => {
    const Pair = closed('pair', { a: PositiveInt });
    expect(problemsOf(Pair, { a: { x: [1, Number.NaN, null], y: -Infinity, z: 'NaN', gone: undefined } })).toEqual([
      'a: expected a positive integer, got {"x":[1,NaN,null],"y":-Infinity,"z":"NaN"}',
    ]);
    expect(problemsOf(Pair, { a: [{ b: 'c\u001b[31m' }, true, undefined] })).toEqual([
      `a: expected a positive integer, got ${JSON.stringify([{ b: 'c\u001b[31m' }, true, undefined])}`,
    ]);
  });
});
