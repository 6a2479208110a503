import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closed, formatErrors, PositiveInt, RunRecord } from '../index.js';

describe('the README example', () => {
  it('prints what the README says it prints', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const Train = closed('train settings', { epochs: PositiveInt });
    const result = Train.decode({ epochs: 0, epoch: 3 });
    expect(result._tag).toBe('Left');
    const lines = result._tag === 'Left' ? formatErrors(result.left) : [];
    expect(lines).toEqual([
      'epochs: expected a positive integer, got 0',
      'epoch: unknown key (expected one of: epochs)',
    ]);
    for (const line of lines) expect(readme).toContain(`// ${line}`);
    expect(RunRecord.is({})).toBe(false);
  });
});
