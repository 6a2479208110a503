import {
  claimHeadline,
  comparisonTable,
  contextTable,
  definitionDiffTables,
  environmentTable,
  failedRuns,
  failedRunsTable,
  finalMetricsTable,
  leadSentence,
  referenceTables,
  runsTable,
  skippedLines,
  type TextTable,
} from './layout';
import type { ReportModel } from './model';

/** Escapes a table cell: pipes and line breaks would break the GitHub-flavoured table. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(data: TextTable): string {
  const lines = [`| ${data.header.map(cell).join(' | ')} |`, `| ${data.header.map(() => '---').join(' | ')} |`];
  for (const row of data.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

/** The SVG file name of a chart, as written beside report.md by `writeReport`. */
export function chartFileName(id: string): string {
  return `${id}.svg`;
}

/**
 * Renders the report as GitHub-flavoured Markdown; charts are referenced as `<id>.svg` files
 * beside `report.md` (written by `writeReport`), so it reads well on a Git host.
 *
 * @example await writeFile('report.md', renderMarkdown(model));
 */
export function renderMarkdown(model: ReportModel): string {
  const out: string[] = [`# ${model.title}`, '', leadSentence(model), ''];
  for (const warning of model.warnings) out.push(`> ⚠ ${warning}`, '>');
  if (model.warnings.length > 0) out.splice(out.length - 1, 1, '');
  if (model.claims.length > 0) {
    out.push('## Claims', '');
    for (const result of model.claims) {
      out.push(`- **${claimHeadline(result)}**`);
      for (const line of result.evidence) out.push(`  - ${line.trim()}`);
    }
    out.push('');
  }
  if (model.comparisons.length > 0) {
    out.push('## Variant comparison', '');
    out.push("Difference of means over seeds, with its 95% confidence interval and two-sided p-value from Welch's t-test (Welch–Satterthwaite degrees of freedom).", '');
    for (const comparison of model.comparisons) out.push(`- ${comparison.sentence}`);
    out.push('', table(comparisonTable(model)), '');
  }
  out.push('## Final metrics', '', 'mean ± sample sd [95% CI] (n = runs) on the final evaluation.', '', table(finalMetricsTable(model)), '');
  const references = referenceTables(model);
  if (references.length > 0 || model.crossGroup.length > 0) {
    out.push(references.length > 0 ? '## Reference results' : '## Predictions across groups', '');
    for (const reference of references) {
      out.push(`### ${reference.title}`, '', `losslab evaluated on: ${reference.split}; means over seeds.`, '', table(reference.table), '');
      for (const note of reference.notes) out.push(note, '');
    }
    for (const line of model.crossGroup) out.push(`- ${line}`);
    if (model.crossGroup.length > 0) out.push('');
  }
  const sections: [string, readonly string[]][] = [
    ['Learning curves', ['curve']],
    ['Evaluation groups', ['confusion', 'counts']],
    ['Epochs to target', ['epochsToTarget']],
  ];
  for (const [title, kinds] of sections) {
    const charts = model.charts.filter((chart) => kinds.includes(chart.kind));
    if (charts.length === 0) continue;
    out.push(`## ${title}`, '');
    for (const chart of charts) out.push(`![${chart.title}](${chartFileName(chart.id)})`, '', `*${chart.description}*`, '');
  }
  out.push('## Context', '', table(contextTable(model)), '');
  for (const diff of definitionDiffTables(model)) {
    out.push(`### Definition differences (${diff.experiment})`, '', diff.table === null ? 'The variants have identical definitions.' : table(diff.table), '');
  }
  out.push('### Environment', '', table(environmentTable(model)), '', '### Runs', '', table(runsTable(model)), '');
  if (failedRuns(model).length > 0) out.push('## Failed runs', '', table(failedRunsTable(model)), '');
  const skipped = skippedLines(model);
  if (skipped.length > 0) {
    out.push('## Skipped runs', '');
    for (const line of skipped) out.push(`- ${line}`);
    out.push('');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
