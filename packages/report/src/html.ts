import type { RenderedChart } from './charts.js';
import { searchesNote, searchTables } from './search-layout.js';
import { sequentialNote, sequentialTable } from './sequential-layout.js';
import { claimSymbol } from './claims.js';
import {
  comparisonNote,
  comparisonSummary,
  comparisonTable,
  EPOCHS_NOTE,
  epochSummaryTable,
  evaluationGrid,
  otherWarnings,
  verdictBlocks,
  verdictNote,
  contextTable,
  definitionDiffTables,
  environmentTable,
  modelTable,
  failedRuns,
  failedRunsTable,
  finalMetricsNotes,
  finalMetricsTable,
  CONFUSION_NOTE,
  leadSentence,
  perClassTables,
  referenceTables,
  runsTable,
  skippedLines,
  type TextTable,
} from './layout.js';
import { certaintySections } from './certainty-layout.js';
import { varianceSections } from './variance-layout.js';
import { baselineWarningNote, baselineWarningTable } from './glance.js';
import { printable } from './format.js';
import type { ReportModel } from './model.js';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
:root { color-scheme: light; }
body { font-family: sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; background: #ffffff; }
h1 { font-size: 1.6rem; margin: 0 0 6px; }
h2 { font-size: 1.2rem; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #d9dde5; }
h3 { font-size: 1rem; margin: 20px 0 8px; }
p.lead { color: #4a5366; margin: 0 0 16px; }
.warning { background: #fff4d6; border-left: 4px solid #e0a100; padding: 8px 12px; margin: 6px 0; }
ul.claims { list-style: none; padding: 0; }
ul.claims > li { margin: 8px 0; padding: 8px 12px; border-radius: 4px; }
ul.claims > li.pass { background: #e8f6ec; border-left: 4px solid #2e8b57; }
ul.claims > li.fail { background: #fdeaea; border-left: 4px solid #c0392b; }
ul.claims > li.unknown { background: #f0f0f0; border-left: 4px solid #888888; }
ul.claims ul { margin: 4px 0 0; padding-left: 22px; font-size: 0.92rem; }
.mark { font-weight: bold; margin-right: 6px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.88rem; display: block; overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #d9dde5; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f6; }
td.num { font-variant-numeric: tabular-nums; }
figure { margin: 16px 0; padding: 8px; border: 1px solid #e3e6ec; border-radius: 4px; display: inline-block; max-width: calc(100% - 18px); vertical-align: top; }
figure svg { max-width: 100%; height: auto; display: block; }
/* width 0 + min-width 100%: the caption wraps to the chart's width instead of widening the figure. */
figcaption { font-size: 0.85rem; color: #4a5366; width: 0; min-width: 100%; margin-top: 4px; }
code { font-family: monospace; font-size: 0.9em; }
section#verdict { background: #f3f6fb; border: 1px solid #cfd8e6; border-radius: 6px; padding: 4px 16px 10px; margin-top: 12px; }
section#verdict h2 { margin-top: 10px; }
ul.verdict { list-style: none; padding: 0; }
ul.verdict > li { margin: 8px 0; }
ul.verdict > li > strong { display: block; }
ul.verdict ul { margin: 4px 0 0; padding-left: 22px; font-size: 0.92rem; }
ul.verdict li.beats::marker { content: '✓ '; }
ul.verdict li.tie::marker { content: '≈ '; }
ul.verdict li.untestable::marker { content: '? '; }
ul.verdict li.note::marker { content: '· '; }
p.note { font-size: 0.88rem; color: #4a5366; }
table.grid { display: table; }
table.grid td { vertical-align: top; }
table.grid figure { display: block; margin: 4px 0; }
details > summary { cursor: pointer; color: #2f4b7c; margin: 6px 0; }
div.forest figure { margin: 4px 8px 4px 0; padding: 4px; }
`;

function table(data: TextTable): string {
  const head = `<tr>${data.header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join('')}</tr>`;
  const body = data.rows
    .map((row) => {
      const cells = row.map((cell, index) => {
        const text = typeof cell === 'string' ? escapeHtml(cell) : `<strong>${escapeHtml(cell.text)}</strong>`;
        return index === 0 ? `<th scope="row">${text}</th>` : `<td class="num">${text}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Tables longer than this are folded under a one-line summary, so the report stays compact. */
const FOLD_ROWS = 20;

function folded(data: TextTable, summary = `${data.rows.length} rows`): string {
  return data.rows.length > FOLD_ROWS
    ? `<details><summary>${escapeHtml(summary)}</summary>\n${table(data)}\n</details>`
    : table(data);
}

function figure(chart: RenderedChart): string {
  return `<figure id="chart-${escapeHtml(chart.id)}" data-chart="${escapeHtml(chart.id)}">\n${chart.svg}\n<figcaption>${escapeHtml(chart.description)}</figcaption>\n</figure>`;
}

/** The verdict's forest plots side by side, above its sentences (none when nothing could be compared). */
function forestPlots(model: ReportModel): string {
  return model.forest.length === 0 ? '' : `<div class="forest">\n${model.forest.map(figure).join('\n')}\n</div>\n`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

/**
 * Renders the report as one self-contained HTML page: inline CSS and inline SVG charts, no
 * scripts, no external resources (fonts, images, styles), readable with JavaScript off.
 *
 * @example await writeFile('index.html', renderHtml(await buildReport(records)));
 */
export function renderHtml(model: ReportModel): string {
  const parts: string[] = [];
  parts.push(`<h1>${escapeHtml(model.title)}</h1>`);
  parts.push(`<p class="lead">${escapeHtml(leadSentence(model))}</p>`);
  const verdict = verdictBlocks(model);
  const baselineWarnings = baselineWarningTable(model);
  if (verdict.length > 0 || baselineWarnings !== null) {
    // the majority-baseline and like-with-like warnings: one box, one table, the details below it
    const mismatches =
      baselineWarnings === null
        ? ''
        : `<div class="warning" id="baseline-warnings"><p>${escapeHtml(baselineWarningNote(model))}</p>\n${table(baselineWarnings)}\n` +
          model.mismatches.map((line) => `<p class="note">${escapeHtml(line)}</p>\n`).join('') +
          '</div>';
    const items = verdict.map(
      (entry) =>
        `<li><strong>${escapeHtml(entry.headline)}</strong>` +
        (entry.table === undefined ? '' : table(entry.table)) +
        (entry.lines.length === 0
          ? ''
          : `<ul>${entry.lines.map((line, index) => `<li class="${entry.outcomes[index] ?? 'untestable'}">${escapeHtml(line)}</li>`).join('')}</ul>`) +
        '</li>',
    );
    parts.push(
      section(
        'verdict',
        'Verdict',
        `${mismatches}\n${forestPlots(model)}<ul class="verdict">\n${items.join('\n')}\n</ul>\n<p class="note">${escapeHtml(verdictNote(model))}</p>`,
      ),
    );
  }
  const warnings = otherWarnings(model);
  if (warnings.length > 0) {
    parts.push(
      `<section id="warnings">${warnings.map((warning) => `<div class="warning">⚠ ${escapeHtml(warning)}</div>`).join('\n')}</section>`,
    );
  }
  if (model.claims.length > 0) {
    const items = model.claims.map(
      (result) =>
        `<li class="${result.status}"><span class="mark">${claimSymbol(result.status)}</span>${escapeHtml(result.statement)}` +
        `<ul>${result.evidence.map((line) => `<li>${escapeHtml(line.trim())}</li>`).join('')}</ul></li>`,
    );
    parts.push(section('claims', 'Claims', `<ul class="claims">\n${items.join('\n')}\n</ul>`));
  }
  if (model.searches.length > 0) {
    const tables = searchTables(model.searches).map(
      (entry) => `<h3>${escapeHtml(entry.title)}</h3>\n${table(entry.table)}`,
    );
    parts.push(
      section('searches', 'Searches', [`<p>${escapeHtml(searchesNote(model.searches))}</p>`, ...tables].join('\n')),
    );
  }
  if (model.sequential !== null)
    parts.push(
      section(
        'sequential',
        'Seeds until decided',
        `<p>${escapeHtml(sequentialNote(model.sequential))}</p>\n${table(sequentialTable(model.sequential))}`,
      ),
    );
  if (model.comparisons.length > 0 || model.lossNotes.length > 0) {
    const notes =
      model.lossNotes.length > 0
        ? `<ul>${model.lossNotes.map((line) => `<li>${escapeHtml(line)}</li>`).join('\n')}</ul>`
        : '';
    parts.push(
      section(
        'comparison',
        'Variant comparison',
        (model.comparisons.length > 0
          ? `<p>${escapeHtml(comparisonNote(model))}</p>\n${folded(comparisonTable(model), comparisonSummary(model))}\n`
          : '') + notes,
      ),
    );
  }
  const metricNotes = finalMetricsNotes(model)
    .map((note) => `\n<p>${escapeHtml(note)}</p>`)
    .join('');
  parts.push(
    section(
      'metrics',
      'Final metrics',
      `<p>mean ± sample sd [95% CI] (n = runs) on the final evaluation.</p>\n${table(finalMetricsTable(model))}${metricNotes}`,
    ),
  );
  for (const entry of [...certaintySections(model), ...varianceSections(model)]) {
    const paragraphs = entry.paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`);
    parts.push(
      section(
        entry.id,
        entry.title,
        [...paragraphs, ...entry.tables.map((data) => folded(data)), ...entry.charts.map(figure)].join('\n'),
      ),
    );
  }
  if (model.epochSummaries.length > 0) {
    parts.push(
      section('epochs', 'Over the epochs', `<p>${escapeHtml(EPOCHS_NOTE)}</p>\n${folded(epochSummaryTable(model))}`),
    );
  }
  const perClass = perClassTables(model);
  const classConfusions = model.charts.filter((chart) => chart.kind === 'overallConfusion');
  if (perClass.length > 0 || classConfusions.length > 0) {
    const tables = perClass
      .map(
        (entry) =>
          `<h3>${escapeHtml(entry.title)}</h3>\n${entry.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join('\n')}\n` +
          // open: the per-class table is what a classification study is read for
          `<details open><summary>${entry.table.rows.length} rows: recall, precision, F1, support, predicted</summary>\n${table(entry.table)}\n</details>`,
      )
      .join('\n');
    const matrices =
      classConfusions.length > 0
        ? `\n<h3>Confusion matrices</h3>\n<p>${escapeHtml(CONFUSION_NOTE)}</p>\n${classConfusions.map(figure).join('\n')}`
        : '';
    parts.push(section('per-class', 'Per-class results', `${tables}${matrices}`));
  }
  if (model.trainingData.length > 0) {
    const tables = model.trainingData.map(
      (entry) =>
        `<h3>${escapeHtml(`${entry.experiment}: ${entry.block}`)}</h3>\n${entry.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join('\n')}\n${table(entry.table)}`,
    );
    parts.push(section('training-data', 'Training data', tables.join('\n')));
  }
  const references = referenceTables(model);
  if (references.length > 0 || model.crossGroup.length > 0) {
    const body = references
      .map(
        (reference) =>
          `<h3>${escapeHtml(reference.title)}</h3>\n<p>losslab evaluated on: ${escapeHtml(reference.split)}; means over seeds.</p>\n${table(reference.table)}` +
          reference.notes.map((note) => `<p>${escapeHtml(note)}</p>`).join('\n'),
      )
      .join('\n');
    const cross =
      model.crossGroup.length > 0
        ? `<ul>${model.crossGroup.map((line) => `<li>${escapeHtml(line)}</li>`).join('\n')}</ul>`
        : '';
    parts.push(
      section(
        'reference',
        references.length > 0 ? 'Reference results' : 'Predictions across groups',
        `${body}\n${cross}`,
      ),
    );
  }
  const charts = (kinds: readonly RenderedChart['kind'][]): string =>
    model.charts
      .filter((chart) => kinds.includes(chart.kind))
      .map(figure)
      .join('\n');
  if (model.charts.some((chart) => chart.kind === 'curve'))
    parts.push(section('curves', 'Learning curves', charts(['curve'])));
  const grid = evaluationGrid(model);
  if (grid !== null) {
    const head = `<tr><th scope="col">group</th>${grid.variants.map((variant) => `<th scope="col">${escapeHtml(variant)}</th>`).join('')}</tr>`;
    const body = grid.groups
      .map(
        (group, row) =>
          `<tr><th scope="row">${escapeHtml(group)}</th>${grid.variants
            .map((_, column) => `<td>${(grid.cells[row]?.[column] ?? []).map(figure).join('\n')}</td>`)
            .join('')}</tr>`,
      )
      .join('\n');
    parts.push(
      section(
        'groups',
        'Evaluation groups',
        `<p>One row per evaluation group, one column per variant.</p>\n<table class="grid">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`,
      ),
    );
  }
  if (model.charts.some((chart) => chart.kind === 'epochsToTarget'))
    parts.push(section('epochs-to-target', 'Epochs to target', charts(['epochsToTarget'])));

  const diffs = definitionDiffTables(model)
    .map(
      (diff) =>
        `<h3>Definition differences (${escapeHtml(diff.experiment)})</h3>\n${diff.table === null ? '<p>The variants have identical definitions.</p>' : table(diff.table)}`,
    )
    .join('\n');
  const models = modelTable(model);
  const modelPart = models === null ? '' : `\n<h3>Model</h3>\n${table(models)}`;
  parts.push(
    section(
      'context',
      'Context',
      `${table(contextTable(model))}${modelPart}\n${diffs}\n<h3>Environment</h3>\n${table(environmentTable(model))}\n<h3>Runs</h3>\n${table(runsTable(model))}`,
    ),
  );
  if (failedRuns(model).length > 0) parts.push(section('failed', 'Failed runs', table(failedRunsTable(model))));
  const skipped = skippedLines(model);
  if (skipped.length > 0)
    parts.push(
      section(
        'skipped',
        'Skipped runs',
        `<ul>${skipped.map((line) => `<li>${escapeHtml(line)}</li>`).join('\n')}</ul>`,
      ),
    );

  return printable(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(model.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${parts.join('\n')}
</main>
</body>
</html>
`);
}
