import { describe, expect, it } from 'vitest';
import { buildReport } from '../index.js';
import { blinkRecord } from './fixtures.js';

describe('report settings recorded with the runs', () => {
  const records = [1, 2, 3].flatMap((seed) =>
    (['unweighted', 'class-weighted'] as const).map((variant) => ({
      ...blinkRecord(variant, seed),
      report: { primary: [{ metric: 'prAuc' }], alpha: 0.01 },
    })),
  );

  it('a report rebuilt from records decides on the primary metrics and level the definition declared', async () => {
    const model = await buildReport(records);
    expect(model.primary.get('blink')).toEqual([{ metric: 'prAuc', direction: 'higher', source: 'declared' }]);
    expect(model.alpha).toBe(0.01);
  });

  it('options given to the report win over the recorded ones', async () => {
    const model = await buildReport(records, { primary: [{ metric: 'f1' }], alpha: 0.05 });
    expect(model.primary.get('blink')?.map((choice) => choice.metric)).toEqual(['f1']);
    expect(model.alpha).toBe(0.05);
  });

  it('without recorded settings the evaluation kind decides', async () => {
    const plain = records.map(({ report: _report, ...record }) => record);
    const model = await buildReport(plain);
    // The fixture's definition names no evaluation kind: accuracy, the default of other kinds.
    expect(model.primary.get('blink')).toEqual([{ metric: 'accuracy', direction: 'higher', source: 'default' }]);
  });
});
