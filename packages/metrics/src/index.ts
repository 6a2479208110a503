export { accuracy, bincount, confusionMatrix } from './classification';
export { StreamingClassification } from './streaming';
export { argMax, argMaxRows, columnOf } from './argmax';
export { predictClasses, predictScores } from './predict';
export type { Predictor, FeatureRows } from './predict';
export { evaluateGroups, groupByClass, groupByPredicate } from './groups';
export type { BlockPredicate, BlockRule, GroupAssignment, GroupDefinition, GroupEvaluation } from './groups';
export { averagePrecision, binaryMetrics, StreamingBinary } from './binary';
export type { BinaryMetrics } from './binary';
