import { formatP, formatSigned, formatValue } from './format.js';
import type { TextTable } from './table.js';
import type { ReportModel } from './model.js';
import type { MetricVerdict } from './verdict.js';

/** More variants than this and a verdict's sentences fold into a table, one row per comparison. */
const SENTENCE_VARIANTS = 3;

/**
 * The majority-baseline and like-with-like warnings as one table, one row per variant that has
 * either (columns: final test accuracy, last validation accuracy, the settings it differs in),
 * instead of one box per warning; columns nobody fills are left out. Null when there is none.
 */
export function baselineWarningTable(model: ReportModel): TextTable | null {
  const several = model.experiments.length > 1;
  const key = (experiment: string, label: string): string => JSON.stringify([experiment, label]);
  const like = new Map(model.likeWithLikeByVariant.map((row) => [key(row.experiment, row.label), row.differing]));
  const rows = model.aggregates.flatMap((aggregate) => {
    const id = key(aggregate.experiment, aggregate.label);
    const findings = model.majority.filter((finding) => key(finding.experiment, finding.label) === id);
    const differing = like.get(id) ?? [];
    if (findings.length === 0 && differing.length === 0) return [];
    const split = (name: 'test' | 'validation'): string => {
      const finding = findings.find((candidate) => candidate.split === name);
      if (finding === undefined) return '—';
      const epoch = finding.epoch === null ? '' : ` at epoch ${finding.epoch}`;
      return `${formatValue(finding.accuracy)}${epoch} ≈ majority ${formatValue(finding.majority)}`;
    };
    return [
      [
        several ? `${aggregate.experiment}: ${aggregate.label}` : aggregate.label,
        split('test'),
        split('validation'),
        differing.length === 0 ? '—' : differing.join('; '),
      ],
    ];
  });
  if (rows.length === 0) return null;
  const header = [
    'Variant',
    'Final accuracy (test, mean over seeds)',
    'Validation accuracy (last epoch)',
    'Not like with like',
  ];
  const kept = header.map((_, column) => column === 0 || rows.some((row) => row[column] !== '—'));
  return {
    header: header.filter((_, column) => kept[column]),
    rows: rows.map((row) => row.filter((_, column) => kept[column])),
  };
}

/** The sentence above {@link baselineWarningTable}: what its cells mean. */
export function baselineWarningNote(model: ReportModel): string {
  const parts = [
    ...(model.majority.length > 0
      ? [
          `${model.majority.length} ${model.majority.length === 1 ? 'accuracy is' : 'accuracies are'} within 1 percentage point of the majority-class baseline (≈): such a model may only be predicting the majority class`,
        ]
      : []),
    ...(model.mismatches.length > 0
      ? [
          'variants not compared like with like: their differences may come from these settings rather than from their own overrides',
        ]
      : []),
  ];
  return `⚠ ${parts.join('; ')}.`;
}

/** True when a verdict compares more than {@link SENTENCE_VARIANTS} variants: it reads as a table. */
export const verdictAsTable = (verdict: MetricVerdict): boolean => verdict.lines.length + 1 > SENTENCE_VARIANTS;

/**
 * A verdict's comparisons as a table, one row per other variant: best vs other, the difference
 * with its 95% interval, the Holm-adjusted p, and whether it is decided.
 */
export function verdictTable(verdict: MetricVerdict): TextTable {
  const best = verdict.best ?? '';
  return {
    header: ['Comparison', 'Difference [95% CI]', 'Adjusted p', 'Decided'],
    rows: verdict.lines.map((line) => {
      const { comparison } = line;
      const ci = comparison?.test.ci ?? null;
      const difference =
        comparison === null
          ? 'not compared'
          : ci === null
            ? formatSigned(comparison.test.difference)
            : `${formatSigned(comparison.test.difference)} [${formatSigned(ci[0])}, ${formatSigned(ci[1])}]`;
      const p = comparison?.pAdjusted ?? null;
      const decided =
        line.outcome === 'beats'
          ? { text: `yes: ${best} beats ${line.other}`, strong: true as const }
          : line.outcome === 'tie'
            ? 'no: not distinguishable'
            : 'no: untestable';
      return [`${best} vs ${line.other}`, difference, p === null ? '—' : formatP(p).replace(/^p (= )?/, ''), decided];
    }),
  };
}
