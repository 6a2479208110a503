export * from './builders';
export {
  createRegistry,
  registry,
  defineDataKind,
  defineTransform,
  defineLabelKind,
  defineModelKind,
  defineLossKind,
  defineOptimizerKind,
  defineEvaluationKind,
  defineMetric,
} from './kinds';
export type { KindBuilder, Settings } from './kinds';
export { KindTable } from './kinds/table';
export type {
  KindEntry,
  BlockUse,
  DataProvides,
  RowsBySplit,
  LoadedRows,
  DataContext,
  DataKind,
  TransformKind,
  LabelKind,
  ModelKind,
  LossContext,
  LossCheckContext,
  LossKind,
  OptimizerKind,
  EvaluationContext,
  EvaluationKind,
  MetricInput,
  MetricKind,
  Registry,
} from './kinds/table';
export { datasetLoss, blockClasses, predictAll } from './kinds/evaluations';
export { canonicalJson, hashOf } from './canonical';
export { checkRunSpec } from './checks';
export { resolveExperiment, mergeOverride, setPath, applyOverrides, partCodecs } from './resolve';
export type { DefinitionProblem, Overrides, ResolveOptions, ResolvedExperiment, ResolvedVariant } from './resolve';
export { parseRunArguments, parseValue } from './overrides';
export type { RunOptions } from './overrides';
export { runOne, runHash, describeFailure } from './run';
export type { RunFailure, RunJob, RunContext, RunOutcome } from './run';
export { loadData, buildLoss, buildModel, buildOptimizer, evaluate } from './pipeline';
export type { LoadedData } from './pipeline';
export { completeRecords, findReusableRun, newRunId, STARTED_FILE } from './store';
export { captureEnvironment, codeFingerprint, definitionFileState, gitState } from './environment';
export type { ReuseKey } from './store';
// The contract, for definition files and user kinds: one import gives the builders, the codec
// helpers a kind's settings are written with, and the definition types.
export {
  closed,
  tagged,
  formatErrors,
  errorPath,
  numberWhere,
  Str,
  NonEmptyString,
  Bool,
  FiniteNumber,
  PositiveNumber,
  NonNegativeNumber,
  PositiveInt,
  NonNegativeInt,
  Fraction,
  OpenUnit,
} from '@losslab/schema';
export type {
  ExperimentDefinition,
  RunSpec,
  DataSpec,
  TransformSpec,
  LabelSpec,
  ModelSpec,
  LossSpec,
  OptimizerSpec,
  EvaluationSpec,
  MetricSpec,
  KindSpec,
  UserKindSpec,
  ClassWeightsSpec,
  TrainSpec,
  Split,
  Claim,
  Evaluation,
  RunRecord,
} from '@losslab/schema';
export { saveModel, loadModel, MODEL_FILE } from './model-files';
export { evaluateRunFolder, readRunRecord } from './evaluate-run';
export type { RunReevaluation } from './evaluate-run';
export type { SavedFile } from './model-files';
