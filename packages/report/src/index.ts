/**
 * `@losslab/report`: builds a report from run records and renders it (HTML, Markdown, SVG charts);
 * no Node import, so it also runs in browsers. Reading runs from disk and writing reports:
 * `@losslab/report/node`.
 */
export { ReportError } from './errors';
export type { ReportErrorCode } from './errors';
export {
  mean,
  sampleVariance,
  sampleStd,
  logGamma,
  regularizedIncompleteBeta,
  studentTCdf,
  studentTQuantile,
  summarize,
  welchTest,
  pairedTTest,
  hedgesG,
  holmAdjust,
  normalCdf,
  tTestPower,
  seedsNeeded,
  clipInterval,
  MAX_SEEDS,
} from './stats';
export type { Summary, WelchResult, DifferenceTest, TestMethod } from './stats';
export { groupRuns, commitState } from './groups';
export type { GroupBy, RunGroup } from './groups';
export { aggregateGroup, runCurves } from './aggregate';
export type { GroupAggregate, CurvePoint } from './aggregate';
export {
  compareGroups,
  comparePair,
  testDifference,
  adjustComparisons,
  reverseComparison,
  unadjustedComparisons,
  formatEffect,
  adviceText,
  testText,
  NEGLIGIBLE_RATE_DIFFERENCE,
  describeComparison,
  headlineMetrics,
  lossMismatch,
  lossMix,
  sortMetrics,
  uncomparedLosses,
} from './compare';
export type { MetricComparison, CompareOptions, ComparisonFamily, SeedsAdvice, SentenceExtras } from './compare';
export { primaryMetrics, verdicts, verdictComparisons, bestAggregate, DEFAULT_PRIMARY } from './verdict';
export type { DeclaredPrimary, Direction, MetricVerdict, PrimaryChoice, VerdictLine } from './verdict';
export { epochSummaries } from './epochs';
export type { CurveSummary, EpochSummary } from './epochs';
export {
  evaluateClaims,
  allClaimsPass,
  findComparison,
  DEFAULT_ALPHA,
  claimSymbol,
  describeClaim,
  firstEpochReaching,
  epochsToTarget,
  epochsToSettle,
  epochsToPlateauOf,
} from './claims';
export type { ClaimResult, ClaimStatus, EpochsToTarget, SeedEpochs, PlateauEpochs, SeedPlateau } from './claims';
export {
  diffDefinitions,
  flattenDefinition,
  groupContext,
  likeWithLike,
  majorityWarnings,
  nearMajority,
  MAJORITY_MARGIN,
} from './context';
export type { DefinitionDifference, GroupContext } from './context';
export { referenceTable, crossGroupPredictions, meanCounts, formatCounts } from './reference';
export type { ReferenceTable, ReferenceRow } from './reference';
export {
  learningCurveChart,
  confusionChart,
  overallConfusionChart,
  classCountsChart,
  epochsToTargetChart,
  renderChartSvg,
  renderCharts,
  metricTitle,
  metricUnit,
  slug,
} from './charts';
export type { ChartSpec, RenderedChart } from './charts';
export {
  formatValue,
  formatSigned,
  formatP,
  formatSd,
  formatSummary,
  plural,
  metricRange,
  defaultDirection,
} from './format';
export { perClassResults, overallConfusions, classEvaluation, isClassMetric, CLASS_METRICS } from './perclass';
export type { ClassMetric, ClassResults, ClassSummary, GroupConfusion, PerClassResults } from './perclass';
export { perClassTables, CONFUSION_NOTE } from './layout';
export type { TextTable } from './layout';
export { buildReport } from './model';
export type { BuildReportOptions, ReportModel, RunRow, DefinitionDiff } from './model';
export { renderHtml, escapeHtml } from './html';
export { renderMarkdown, chartFileName, escapeMarkdown, escapeMarkdownBlock } from './markdown';
export type { SkippedRun, SkipReason } from './load';
