export * from './builders';
export {
  ExperimentDefinition,
  RunSpec,
  DataSpec,
  ModelSpec,
  LossSpec,
  OptimizerSpec,
  TrainSpec,
  EvaluationSpec,
  ClassWeightsSpec,
  LabelsSpec,
  Split,
  SPLITS,
  ExperimentName,
  VariantName,
  RUN_FIELDS,
} from './definition';
export { closed, tagged, formatErrors, errorPath, numberWhere } from '@losslab/schema';
export { canonicalJson, hashOf } from './canonical';
export { checkRunSpec, dataProvides, lossTarget } from './checks';
export { resolveExperiment, mergeOverride, setPath, applyOverrides } from './resolve';
export type { DefinitionProblem, Overrides, ResolveOptions, ResolvedExperiment, ResolvedVariant } from './resolve';
export { parseRunArguments, parseValue } from './overrides';
export type { RunOptions } from './overrides';
export { runOne, runHash, describeFailure } from './run';
export type { RunFailure, RunJob, RunContext, RunOutcome } from './run';
export { loadData, buildLoss, buildModel, evaluate, blockClasses, detection } from './registry';
export type { LoadedData } from './registry';
export { completeRecords, findReusableRun, newRunId, STARTED_FILE } from './store';
export { captureEnvironment, codeFingerprint, definitionFileState, gitState } from './environment';
export type { ReuseKey } from './store';
