/**
 * `@losslab/report`: builds a report from run records and renders it (HTML, Markdown, SVG charts);
 * no Node import, so it also runs in browsers. Reading runs from disk and writing reports:
 * `@losslab/report/node`.
 */
export { ReportError } from './errors.js';
export type { ReportErrorCode } from './errors.js';
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
} from './stats.js';
export type { Summary, WelchResult, DifferenceTest, TestMethod } from './stats.js';
export { groupRuns, commitState } from './groups.js';
export type { GroupBy, RunGroup } from './groups.js';
export { aggregateGroup, runCurves } from './aggregate.js';
export type { GroupAggregate, CurvePoint } from './aggregate.js';
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
  uncomparedLosses,
} from './compare.js';
export type { MetricComparison, CompareOptions, ComparisonFamily, SeedsAdvice, SentenceExtras } from './compare.js';
export { primaryMetrics, verdicts, verdictComparisons, bestAggregate, DEFAULT_PRIMARY } from './verdict.js';
export { classGroupAccuracies, groupClasses, LONG_TAIL_RATIO } from './long-tail.js';
export type { ClassGrouping } from './long-tail.js';
export type { DeclaredPrimary, Direction, MetricVerdict, PrimaryChoice, VerdictLine } from './verdict.js';
export { metricTitle, metricUnit, metricRange, defaultDirection, sortMetrics } from './metrics.js';
export { epochSummaries } from './epochs.js';
export { printOutcome } from './outcome.js';
export type { OutcomeOutput, ReportOutcome } from './outcome.js';
export type { CurveSummary, EpochSummary } from './epochs.js';
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
} from './claims.js';
export type { ClaimResult, ClaimStatus, EpochsToTarget, SeedEpochs, PlateauEpochs, SeedPlateau } from './claims.js';
export {
  diffDefinitions,
  flattenDefinition,
  groupContext,
  likeWithLike,
  majorityWarnings,
  nearMajority,
  MAJORITY_MARGIN,
} from './context.js';
export type { DefinitionDifference, GroupContext } from './context.js';
export { referenceTable, crossGroupPredictions, meanCounts, formatCounts } from './reference.js';
export type { ReferenceTable, ReferenceRow } from './reference.js';
export {
  learningCurveChart,
  confusionChart,
  overallConfusionChart,
  classCountsChart,
  epochsToTargetChart,
  renderChartSvg,
  renderCharts,
  slug,
} from './charts.js';
export type { ChartSpec, RenderedChart, SvgRenderer } from './charts.js';
export { formatValue, formatSigned, formatP, formatSd, formatSummary, plural, printable } from './format.js';
export { perClassResults, overallConfusions, classEvaluation, isClassMetric, CLASS_METRICS } from './perclass.js';
export type { ClassMetric, ClassResults, ClassSummary, GroupConfusion, PerClassResults } from './perclass.js';
export { perClassTables, cellText, CONFUSION_NOTE } from './layout.js';
export type { TableCell, TextTable } from './layout.js';
export { buildReport } from './model.js';
export type { BuildReportOptions, ReportModel, RunRow, DefinitionDiff } from './model.js';
export { renderHtml, escapeHtml } from './html.js';
export { renderMarkdown, chartFileName, escapeMarkdown, escapeMarkdownBlock } from './markdown.js';
export type { SkippedRun, SkipReason } from './load.js';
export { DEFAULT_SIMULATION, simulateIntervals, simulationTable } from './simulate.js';
export type { SimulationResult, SimulationSettings } from './simulate.js';
export type { ReportSearch } from './search.js';
export {
  DEFAULT_SMALLEST_EFFECT,
  lookLines,
  nominalLevels,
  normalLevels,
  obrienFlemingSpending,
  openVariants,
  sequentialFamily,
  sequentialLook,
  sequentialPlan,
  spendingBoundaries,
} from './sequential.js';
export type {
  ComparisonStanding,
  LookSummary,
  SequentialComparison,
  SequentialDecision,
  SequentialOutcome,
  SequentialPlan,
  SequentialPlanOptions,
} from './sequential.js';
export {
  DEFAULT_SEQUENTIAL_SIMULATION,
  simulateSequential,
  sequentialSimulationTable,
} from './sequential-simulation.js';
export type { SequentialSimulationResult, SequentialSimulationSettings } from './sequential-simulation.js';
