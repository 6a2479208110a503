import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.js';
import { renderHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';
import type { ReportSearch } from '../search.js';
import { blinkRecords } from './fixtures.js';

const searches: ReportSearch[] = [
  {
    variant: 'unweighted',
    metric: 'prAuc',
    direction: 'max',
    seed: 100,
    chosen: 'unweighted~optimizer.learningRate=0.01',
    scores: [
      { name: 'unweighted~optimizer.learningRate=0.01', value: 0.175 },
      { name: 'unweighted~optimizer.learningRate=0.25', value: 0.115 },
    ],
  },
];

describe('the Searches section', () => {
  it('lists each trial with its validation metric, marks the chosen one and says the variants are tuned', async () => {
    const model = await buildReport(blinkRecords(), { searches });
    const markdown = renderMarkdown(model);
    expect(markdown).toContain('## Searches');
    expect(markdown).toContain('The comparison is between tuned variants: unweighted each ran');
    expect(markdown).toContain('| **unweighted\\~optimizer.learningRate=0.01** | **0.175** | **yes** |');
    expect(markdown).toContain('| unweighted\\~optimizer.learningRate=0.25 | 0.115 |  |');
    const html = renderHtml(model);
    expect(html).toContain('<section id="searches">');
    expect(html).toContain('<strong>unweighted~optimizer.learningRate=0.01</strong>');
  });

  it('is absent when no search tuned the variants', async () => {
    const model = await buildReport(blinkRecords());
    expect(renderMarkdown(model)).not.toContain('## Searches');
    expect(renderHtml(model)).not.toContain('id="searches"');
  });
});
