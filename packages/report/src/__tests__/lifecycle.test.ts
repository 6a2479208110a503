import { describe, expect, it } from 'vitest';
import type { RunRecord } from '@losslab/schema';
import { buildReport, renderMarkdown, runCurves } from '../index.js';
import { blinkRecord } from './fixtures.js';

/** A blink run trained with a schedule (rates 0.1, 0.05, …) that early stopping ended at `stoppedAt` of 14. */
function scheduledRun(seed: number, stoppedAt: number, resumedAfter?: number): RunRecord {
  const base = blinkRecord('class-weighted', seed);
  return {
    ...base,
    definition: { ...base.definition, train: { epochs: 14 } },
    history: base.history.slice(0, stoppedAt).map((entry) => ({ ...entry, learningRate: 0.1 / entry.epoch })),
    earlyStopping: { stoppedAt, bestEpoch: stoppedAt - 3, restoredBest: true },
    ...(resumedAfter === undefined ? {} : { resumes: [{ afterEpoch: resumedAfter, at: '2025-01-01T00:00:00.000Z' }] }),
  };
}

describe('the training lifecycle in the report', () => {
  const records = [
    blinkRecord('unweighted', 1),
    blinkRecord('unweighted', 2),
    scheduledRun(1, 9, 4),
    scheduledRun(2, 14),
  ];

  it('the learning rate of each epoch is a curve of the runs whose schedule set it', () => {
    expect(runCurves(records[2]!).get('training.learningRate')).toEqual([
      0.1,
      0.05,
      0.1 / 3,
      0.025,
      0.02,
      0.1 / 6,
      0.1 / 7,
      0.0125,
      0.1 / 9,
    ]);
    expect(runCurves(records[0]!).has('training.learningRate')).toBe(false);
  });

  it('draws the learning rate per epoch, and does not treat it as an outcome to summarise', async () => {
    const model = await buildReport(records);
    const chart = model.charts.find((c) => c.id === 'curve-training-learningrate');
    expect(chart?.title).toBe('training learning rate per epoch');
    expect(chart?.svg).toContain('<svg');
    expect(model.epochSummaries.map((summary) => summary.key)).not.toContain('training.learningRate');
  });

  it('says for each run where it stopped, which epoch it kept, and when it was resumed', async () => {
    const markdown = renderMarkdown(await buildReport(records));
    expect(markdown).toContain('epochs (where it stopped)');
    expect(markdown).toContain('| 9 of 14: stopped early, kept epoch 6; resumed after epoch 4 |');
    expect(markdown).toContain('| 14: ran to the end, kept epoch 11 |');
    // a run without early stopping shows its epoch count alone
    expect(markdown).toMatch(/\| unweighted \| 1 \| [^|]+ \| [^|]+ \| 14 \|/);
  });
});
