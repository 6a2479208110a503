import type { CertaintySection } from './certainty-layout.js';
import type { TextTable } from './layout.js';
import type { ReportModel } from './model.js';
import type { VarianceEstimate } from './variance-sources.js';

/** A variance: 0 as such, tiny values with two significant digits in exponent form. */
const formatVariance = (value: number): string =>
  value === 0 ? '0' : value < 0.001 ? value.toExponential(1) : value.toPrecision(2);

const formatPercent = (value: number): string => {
  const percent = 100 * value;
  if (!Number.isFinite(percent)) return '∞';
  return `${percent === 0 ? '0' : percent >= 10 ? Math.round(percent) : percent.toPrecision(2)} %`;
};

const varianceCell = (estimate: VarianceEstimate | null): string =>
  estimate === null
    ? '— (fewer than 2 runs)'
    : `${formatVariance(estimate.variance)} [${formatVariance(estimate.interval[0])}, ${formatVariance(estimate.interval[1])}]`;

const sdCell = (estimate: VarianceEstimate | null): string =>
  estimate === null ? '—' : formatVariance(Math.sqrt(estimate.variance));

const VARIANCE_NOTE =
  'Each studied variant ran once per seed with only one source of randomness following the seed (init: initial weights and dropout masks; order: batch order and augmentation; data: the data draw of transforms), the others fixed at the base seed, beside its ordinary runs in which every source varies. Variance: sample variance over seeds with its 95% chi-square interval; share: that variance over the all-vary variance, with the 95% F interval of a ratio of two variances. Sources interact, so the shares need not add up to 100 %; with few seeds the intervals are wide. Formulas: STATISTICS.md, "Variance by source".';

/** One row per source (and one for all sources) of each studied variant and primary metric. */
function varianceTable(model: ReportModel): TextTable {
  const several = model.experiments.length > 1;
  return {
    header: ['variant', 'metric', 'varies', 'runs (seeds)', 'sd', 'variance [95%]', 'share of all-vary [95%]'],
    rows: model.varianceBySource.flatMap((result) => {
      const variant = several ? `${result.experiment}: ${result.variant}` : result.variant;
      return [
        [
          variant,
          result.metric,
          'all sources',
          String(result.all?.n ?? 0),
          sdCell(result.all),
          varianceCell(result.all),
          '100 %',
        ],
        ...result.sources.map((source) => [
          variant,
          result.metric,
          `only ${source.source}`,
          `${source.seeds.length} (${source.seeds.join(', ')})`,
          sdCell(source.estimate),
          varianceCell(source.estimate),
          source.share === null
            ? '—'
            : `${formatPercent(source.share.share)} [${formatPercent(source.share.interval[0])}, ${formatPercent(source.share.interval[1])}]`,
        ]),
      ];
    }),
  };
}

/**
 * The report's "Variance by source" section, or none without a variance study: the table, then
 * per studied variant and metric which source to vary, and any mismatch of settings.
 */
export function varianceSections(model: ReportModel): CertaintySection[] {
  if (model.varianceBySource.length === 0) return [];
  const advice = model.varianceBySource.map((result) => `${result.variant}, ${result.metric}: ${result.advice}`);
  const mismatches = [...new Set(model.varianceBySource.flatMap((result) => result.mismatch ?? []))];
  return [
    {
      id: 'variance-by-source',
      title: 'Variance by source',
      paragraphs: [VARIANCE_NOTE, ...advice, ...mismatches.map((line) => `⚠ ${line}`)],
      tables: [varianceTable(model)],
      charts: [],
    },
  ];
}
