import { describe, expect, it } from 'vitest';
import { formatErrors, RecordedDefinition } from '../index.js';

/** A resolved definition as a record of mnist-odd holds it (only the parts that matter here). */
const definition = {
  name: 'mnist-odd',
  model: { kind: 'mlp', units: [64] },
  loss: { kind: 'masked', inner: { kind: 'categoricalCrossentropy' } },
  train: { epochs: 3, batchSize: 64, reduction: 'sum', shuffle: true },
  evaluation: { kind: 'classification', groups: [{ name: 'odd', classes: [1, 3, 5, 7, 9] }] },
};

describe('RecordedDefinition: the parts of a recorded definition the report reads', () => {
  it('keeps the definition as written, keys it does not name included', () => {
    const decoded = RecordedDefinition.decode(definition);
    expect(decoded).toEqual({ _tag: 'Right', right: definition });
    // Same keys in the same order: the report diffs and hashes this JSON.
    expect(decoded._tag === 'Right' && JSON.stringify(decoded.right)).toBe(JSON.stringify(definition));
  });

  it('loads a definition without the parts it reads (older records)', () => {
    expect(RecordedDefinition.decode({ name: 'tiny', epochs: 3 })._tag).toBe('Right');
  });

  it('rejects a part that is present with the wrong type, by path', () => {
    const decoded = RecordedDefinition.decode({ ...definition, train: { epochs: 0, reduction: 'sum' } });
    expect(decoded._tag === 'Left' && formatErrors(decoded.left)).toEqual([
      'train.epochs: expected a positive integer, got 0',
    ]);
    const kind = RecordedDefinition.decode({ evaluation: { kind: 7 } });
    expect(kind._tag === 'Left' && formatErrors(kind.left)).toEqual(['evaluation.kind: expected string, got 7']);
  });
});
