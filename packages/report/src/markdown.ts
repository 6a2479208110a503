import { sha256Hex } from '@losslab/schema';
import { searchesNote, searchTables } from './search-layout.js';
import { sequentialNote, sequentialTable } from './sequential-layout.js';
import { slug, type RenderedChart } from './charts.js';
import {
  claimHeadline,
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
  cellText,
} from './layout.js';
import { certaintySections } from './certainty-layout.js';
import { varianceSections } from './variance-layout.js';
import { baselineWarningNote, baselineWarningTable } from './glance.js';
import { printable } from './format.js';
import type { ReportModel } from './model.js';

/** Backslash-escapes every character of `text` matched by `pattern`, after turning line breaks into spaces. */
function escapeWith(text: string, pattern: RegExp): string {
  return text.replace(/\r\n?|\n/g, ' ').replace(pattern, (char) => `\\${char}`);
}

/**
 * Escapes plain text for inline Markdown (CommonMark with GitHub's extensions), so text from
 * records (names, descriptions, notes, claims) shows as itself and never as markup: line breaks
 * become spaces (data cannot start a line); backslash, backtick, `*`, `_`, `~`, `#`, `|`, `<`, `>`
 * and `&` are backslash-escaped (no raw HTML, entities, emphasis, code, headings or table cells);
 * and so is a `]` that would close a link or image (`](`, `][`). A lone `[` is left alone: it links nothing, because the report defines no link
 * references and {@link escapeMarkdownBlock} escapes one that starts a block.
 *
 * @example escapeMarkdown('<b>x</b> ![y](http://host/z.png)') // '\\<b\\>x\\</b\\> ![y\\](http://host/z.png)'
 */
export function escapeMarkdown(text: string): string {
  return escapeWith(text, /[\\`*_~#|<>&]|\](?=[([])/g);
}

/**
 * {@link escapeMarkdown} for text that starts a block (a paragraph or a list item): also a
 * leading list, setext, ordered-list or link-definition marker, and leading spaces (code).
 *
 * @example escapeMarkdownBlock('- 1. x') // '\\- 1. x'
 */
export function escapeMarkdownBlock(text: string): string {
  return escapeMarkdown(text.trimStart())
    .replace(/^[-+=[]/, (char) => `\\${char}`)
    .replace(/^(\d{1,9})([.)])(?=\s|$)/, (_, digits: string, mark: string) => `${digits}\\${mark}`);
}

/** Escapes the text of a link or image (alt text): every bracket, so the link cannot end early. */
function linkText(text: string): string {
  return escapeWith(text, /[\\`*_~#|<>&[\]]/g);
}

/** Escapes text inside the report's own HTML tags (`<summary>`). */
function escapeHtmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A table cell: inline text, so pipes and line breaks cannot break the GitHub-flavoured table. */
const cell = escapeMarkdown;

function table(data: TextTable): string {
  const lines = [`| ${data.header.map(cell).join(' | ')} |`, `| ${data.header.map(() => '---').join(' | ')} |`];
  data.rows.forEach((row) => {
    const cells = row.map((entry) => {
      const text = cellText(entry);
      return typeof entry !== 'string' && text.trim() !== '' ? `**${cell(text)}**` : cell(text);
    });
    lines.push(`| ${cells.join(' | ')} |`);
  });
  return lines.join('\n');
}

/** Tables longer than this are folded under a one-line summary. */
const FOLD_ROWS = 20;

/** Longest slug kept in a chart's file name: with the hash and `.svg`, 53 characters at most. */
const MAX_SLUG = 40;

/**
 * The SVG file name of a chart, as written beside report.md by `writeReport`. Ids are built from
 * names in the records, which may be long or hold any character, so the name is bounded: an id
 * that is already a short slug (`[a-z0-9-]`, at most 40 characters) is kept as it is; any other
 * becomes the first 40 characters of its slug, a dash and the first 8 hex digits of the sha256 of
 * the whole id, so distinct ids keep distinct names.
 *
 * @example chartFileName('confusion-even-masked') // 'confusion-even-masked.svg'
 * @example chartFileName('mnist/odd-curve-training-loss') // 'mnist-odd-curve-training-loss-d13a1b40.svg'
 */
export function chartFileName(id: string): string {
  if (id.length <= MAX_SLUG && /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(id)) return `${id}.svg`;
  const hash = sha256Hex(id).slice(0, 8);
  const prefix = slug(id).slice(0, MAX_SLUG).replace(/-+$/, '');
  return `${prefix}-${hash}.svg`;
}

/** A chart as an image of its SVG file, with its description as caption. */
function chartLines(chart: RenderedChart): string[] {
  return [`![${linkText(chart.title)}](${chartFileName(chart.id)})`, '', `*${escapeMarkdown(chart.description)}*`, ''];
}

/**
 * Renders the report as GitHub-flavoured Markdown; charts are referenced as SVG files beside
 * `report.md` (see {@link chartFileName}, written by `writeReport`), so it reads well on a Git
 * host. Text from records is escaped ({@link escapeMarkdown}): the page never carries raw HTML,
 * remote images or headings that came from data.
 *
 * @example await writeFile('report.md', renderMarkdown(model));
 */
export function renderMarkdown(model: ReportModel): string {
  // Every piece of text below is data or built from data: it goes through escapeMarkdown (inline)
  // or escapeMarkdownBlock (where it starts a paragraph or list item); only the markup is ours.
  const inline = escapeMarkdown;
  const block = escapeMarkdownBlock;
  const out: string[] = [`# ${inline(model.title)}`, '', block(leadSentence(model)), ''];
  const verdict = verdictBlocks(model);
  const baselineWarnings = baselineWarningTable(model);
  if (verdict.length > 0 || baselineWarnings !== null) {
    out.push('## Verdict', '');
    if (baselineWarnings !== null) {
      // the majority-baseline and like-with-like warnings: one table, the details below it
      out.push(`> ${inline(baselineWarningNote(model))}`, '', table(baselineWarnings), '');
      for (const mismatch of model.mismatches) out.push(block(mismatch), '');
    }
    for (const entry of verdict) {
      out.push(`- **${inline(entry.headline)}**`);
      if (entry.table !== undefined) out.push('', table(entry.table), '');
      entry.lines.forEach((line, index) => {
        const outcome = entry.outcomes[index];
        const mark = outcome === 'beats' ? '✓' : outcome === 'tie' ? '≈' : outcome === 'note' ? '·' : '?';
        out.push(`  - ${mark} ${inline(line)}`);
      });
    }
    out.push('', `*${inline(verdictNote(model))}*`, '');
  }
  const warnings = otherWarnings(model);
  for (const warning of warnings) out.push(`> ⚠ ${inline(warning)}`, '>');
  if (warnings.length > 0) out.splice(out.length - 1, 1, '');
  if (model.claims.length > 0) {
    out.push('## Claims', '');
    for (const result of model.claims) {
      out.push(`- **${inline(claimHeadline(result).trim())}**`);
      for (const line of result.evidence) out.push(`  - ${block(line.trim())}`);
    }
    out.push('');
  }
  if (model.searches.length > 0) {
    out.push('## Searches', '', block(searchesNote(model.searches)), '');
    for (const entry of searchTables(model.searches))
      out.push(`### ${inline(entry.title)}`, '', table(entry.table), '');
  }
  if (model.sequential !== null)
    out.push(
      '## Seeds until decided',
      '',
      block(sequentialNote(model.sequential)),
      '',
      table(sequentialTable(model.sequential)),
      '',
    );
  if (model.comparisons.length > 0 || model.lossNotes.length > 0) {
    out.push('## Variant comparison', '');
    if (model.comparisons.length > 0) {
      const comparisons = comparisonTable(model);
      out.push(block(comparisonNote(model)), '');
      if (comparisons.rows.length > FOLD_ROWS) {
        const summary = escapeHtmlText(comparisonSummary(model));
        out.push('<details>', `<summary>${summary}</summary>`, '', table(comparisons), '', '</details>', '');
      } else out.push(table(comparisons), '');
    }
    for (const line of model.lossNotes) out.push(`- ${block(line)}`);
    out.push('');
  }
  out.push(
    '## Final metrics',
    '',
    'mean ± sample sd [95% CI] (n = runs) on the final evaluation.',
    '',
    table(finalMetricsTable(model)),
    '',
  );
  for (const note of finalMetricsNotes(model)) out.push(block(note), '');
  for (const section of [...certaintySections(model), ...varianceSections(model)]) {
    out.push(`## ${inline(section.title)}`, '');
    for (const paragraph of section.paragraphs) out.push(block(paragraph), '');
    for (const data of section.tables) out.push(table(data), '');
    for (const chart of section.charts) out.push(...chartLines(chart));
  }
  if (model.epochSummaries.length > 0) {
    const epochs = epochSummaryTable(model);
    out.push('## Over the epochs', '', block(EPOCHS_NOTE), '');
    // Many curves × variants: folded, so the report stays compact (the summary line says how much).
    if (epochs.rows.length > FOLD_ROWS)
      out.push('<details>', `<summary>${epochs.rows.length} rows</summary>`, '', table(epochs), '', '</details>', '');
    else out.push(table(epochs), '');
  }
  const perClass = perClassTables(model);
  const classConfusions = model.charts.filter((chart) => chart.kind === 'overallConfusion');
  if (perClass.length > 0 || classConfusions.length > 0) {
    out.push('## Per-class results', '');
    // Folded: ten classes × several variants is long; the summary line says what is inside.
    for (const entry of perClass) {
      out.push(`### ${inline(entry.title)}`, '');
      for (const note of entry.notes) out.push(block(note), '');
      out.push(
        '<details>',
        `<summary>${escapeHtmlText(`${entry.table.rows.length} rows: recall, precision, F1, support, predicted`)}</summary>`,
        '',
        table(entry.table),
        '',
        '</details>',
        '',
      );
    }
    if (classConfusions.length > 0) {
      out.push('### Confusion matrices', '', block(CONFUSION_NOTE), '');
      for (const chart of classConfusions) out.push(...chartLines(chart));
    }
  }
  if (model.trainingData.length > 0) {
    out.push('## Training data', '');
    for (const entry of model.trainingData) {
      out.push(`### ${inline(`${entry.experiment}: ${entry.block}`)}`, '');
      for (const note of entry.notes) out.push(block(note), '');
      out.push(table(entry.table), '');
    }
  }
  const references = referenceTables(model);
  if (references.length > 0 || model.crossGroup.length > 0) {
    out.push(references.length > 0 ? '## Reference results' : '## Predictions across groups', '');
    for (const reference of references) {
      out.push(
        `### ${inline(reference.title)}`,
        '',
        `losslab evaluated on: ${inline(reference.split)}; means over seeds.`,
        '',
        table(reference.table),
        '',
      );
      for (const note of reference.notes) out.push(block(note), '');
    }
    for (const line of model.crossGroup) out.push(`- ${block(line)}`);
    if (model.crossGroup.length > 0) out.push('');
  }
  const curves = model.charts.filter((chart) => chart.kind === 'curve');
  if (curves.length > 0) {
    out.push('## Learning curves', '');
    for (const chart of curves) out.push(...chartLines(chart));
  }
  const grid = evaluationGrid(model);
  if (grid !== null) {
    out.push('## Evaluation groups', '', 'One row per evaluation group, one column per variant.', '');
    // Built here rather than by table(): the cells are our image markup (alt text escaped, file names are slugs).
    out.push(
      `| group | ${grid.variants.map(cell).join(' | ')} |`,
      `| --- | ${grid.variants.map(() => '---').join(' | ')} |`,
    );
    grid.groups.forEach((group, row) => {
      const cells = grid.variants.map((_, column) =>
        (grid.cells[row]?.[column] ?? [])
          .map((chart) => `![${linkText(chart.title)}](${chartFileName(chart.id)})`)
          .join(' '),
      );
      out.push(`| ${cell(group)} | ${cells.join(' | ')} |`);
    });
    out.push('');
    for (const chart of grid.cells.flat(2)) out.push(`- ${inline(chart.title)}: ${inline(chart.description)}`);
    out.push('');
  }
  const toTarget = model.charts.filter((chart) => chart.kind === 'epochsToTarget');
  if (toTarget.length > 0) {
    out.push('## Epochs to target', '');
    for (const chart of toTarget) out.push(...chartLines(chart));
  }
  out.push('## Context', '', table(contextTable(model)), '');
  const models = modelTable(model);
  if (models !== null) out.push('### Model', '', table(models), '');
  for (const diff of definitionDiffTables(model)) {
    out.push(
      `### Definition differences (${inline(diff.experiment)})`,
      '',
      diff.table === null ? 'The variants have identical definitions.' : table(diff.table),
      '',
    );
  }
  out.push('### Environment', '', table(environmentTable(model)), '', '### Runs', '', table(runsTable(model)), '');
  if (failedRuns(model).length > 0) out.push('## Failed runs', '', table(failedRunsTable(model)), '');
  const skipped = skippedLines(model);
  if (skipped.length > 0) {
    out.push('## Skipped runs', '');
    for (const line of skipped) out.push(`- ${block(line)}`);
    out.push('');
  }
  return printable(
    `${out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd()}\n`,
  );
}
