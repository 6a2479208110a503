export * from './builders.js';
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
} from './kinds/index.js';
export type { KindBuilder, Settings } from './kinds/define.js';
export { KindTable } from './kinds/table.js';
export type {
  KindEntry,
  BlockUse,
  DataProvides,
  RowsBySplit,
  LoadedRows,
  DataContext,
  DataFile,
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
} from './kinds/table.js';
export { datasetLoss, blockClasses, predictAll } from './kinds/evaluations.js';
export { canonicalJson, hashOf } from './canonical.js';
export { checkRunSpec } from './checks.js';
export { resolveExperiment, mergeOverride, setPath, applyOverrides, partCodecs } from './resolve.js';
export type { DefinitionProblem, Overrides, ResolveOptions, ResolvedExperiment, ResolvedVariant } from './resolve.js';
export { parseRunArguments, parseValue } from './command-options.js';
export type { RunOptions } from './command-options.js';
export { runOne, runHash, describeFailure } from './run.js';
export type { RunFailure, RunJob, RunContext, RunOutcome } from './run.js';
export { loadData, buildLoss, buildModel, buildOptimizer, evaluate } from './pipeline.js';
export type { LoadedData } from './pipeline.js';
export { completeRecords, findReusableRun, newRunId, STARTED_FILE } from './store.js';
export { captureEnvironment, codeFingerprint, definitionFileState, gitState } from './environment.js';
export type { ReuseKey } from './store.js';
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
export { saveModel, loadModel, MODEL_FILE } from './model-files.js';
export { evaluateRunFolder, readRunRecord } from './evaluate-run.js';
export type { RunReevaluation } from './evaluate-run.js';
export type { SavedFile } from './model-files.js';
