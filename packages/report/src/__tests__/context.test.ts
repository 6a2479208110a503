import { describe, expect, it } from 'vitest';
import { aggregateGroup } from '../aggregate.js';
import { diffDefinitions, flattenDefinition, majorityWarnings } from '../context.js';
import { groupRuns } from '../groups.js';
import { renderHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import { crossGroupPredictions, referenceTable } from '../reference.js';
import { blinkRecord, mnistRecord } from './fixtures.js';

describe('definition diff', () => {
  it('flattens JSON to paths and lists only paths that differ', () => {
    expect([...flattenDefinition({ a: { b: [1, 2] }, c: 'x', d: {} })]).toEqual([
      ['a.b[0]', '1'],
      ['a.b[1]', '2'],
      ['c', '"x"'],
      ['d', '{}'],
    ]);
    expect(
      diffDefinitions([blinkRecord('unweighted', 1).definition, blinkRecord('class-weighted', 1).definition]),
    ).toEqual([
      { path: 'loss.inner.kind', values: [null, '"l1"'] },
      { path: 'loss.kind', values: ['"l1"', '"classWeighted"'] },
      { path: 'loss.weights', values: [null, '"balanced"'] },
    ]);
  });
});

describe('majority baseline warnings', () => {
  it('warns when a final accuracy is within 1 percentage point of majorityAccuracy', () => {
    // unweighted fixture: accuracy ≈ 0.905 vs majority 0.9 → warn; class-weighted ≈ 0.96 → no warning.
    const records = [1, 2, 3].flatMap((seed) => [blinkRecord('unweighted', seed), blinkRecord('class-weighted', seed)]);
    const warnings = majorityWarnings(groupRuns(records).map((group) => aggregateGroup(group)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^unweighted: final accuracy \(mean over seeds\) 0\.91\d is within 1 percentage point of the majority-class baseline 0\.900/,
    );
  });
});

describe('mnist-odd reference', () => {
  it('sets the Keras numbers beside losslab and says whether every even sample became odd', () => {
    const record = mnistRecord();
    const groups = groupRuns([record]);
    const table = referenceTable('mnist-odd', record.reference!, groups);
    expect(table.labels).toEqual(['masked']);
    expect(table.rows.map((row) => [row.metric, row.reference, row.losslab[0]])).toEqual([
      ['even accuracy', '0.000', '0.000'],
      ['even true counts', '[5923, 0, 5958, 0, 5842, 0, 5918, 0, 5851]', '[50, 0, 48, 0, 52, 0, 47, 0, 51, 0]'],
      ['even predicted counts', 'every even image predicted as an odd class', '[0, 50, 0, 48, 0, 52, 0, 47, 0, 51]'],
      ['odd accuracy', '0.979', '0.980'],
    ]);
    // 50 + 48 + 52 + 47 + 51 = 248 even samples, all predicted as the next (odd) digit.
    expect(crossGroupPredictions(groups)[0]).toBe(
      'masked: every "even" sample was predicted as an "odd" class: yes, 248 of 248 (100.0%), 1 seed',
    );
    expect(crossGroupPredictions(groups)[1]).toMatch(
      /every "odd" sample was predicted as an "even" class: no, 0 of 253/,
    );
  });
});

describe('model summary in the context', () => {
  it('shows each layer with its output shape and parameters, and nothing for records without a summary', async () => {
    const modelSummary = {
      inputShape: [28, 28, 1],
      layers: [
        { kind: 'conv2d', outputShape: [26, 26, 8], parameters: 80 },
        { kind: 'flatten', outputShape: [5408], parameters: 0 },
        { kind: 'dense', outputShape: [10], parameters: 54090 },
      ],
      parameters: 54170,
    };
    const line = '[28, 28, 1] → conv2d [26, 26, 8] (80) → flatten [5408] (0) → dense [10] (54090): 54170 parameters';
    const described = await buildReport([{ ...mnistRecord(), modelSummary }]);
    expect(described.contexts.map((context) => context.models)).toEqual([[line]]);
    expect(renderMarkdown(described)).toContain(`### Model\n\n| variant | model: layer [output shape] (parameters) |`);
    expect(renderMarkdown(described)).toContain(`| masked | ${line} |`);
    expect(renderHtml(described)).toContain('<h3>Model</h3>');
    const older = await buildReport([mnistRecord()]);
    expect(renderMarkdown(older)).not.toContain('### Model');
    expect(renderHtml(older)).not.toContain('<h3>Model</h3>');
  });
});
