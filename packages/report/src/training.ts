import type { RunRecord } from '@losslab/schema';
import { CLASS_GROUP_NAMES, runClassGrouping } from './long-tail.js';
import type { ExperimentView } from './view.js';

/**
 * What each variant trained on: rows per class of the train split after its transforms, the class
 * weights its loss computed from them, and (long-tailed data) each class's group. One table per
 * label block; a column that every variant shares is shown once.
 */

/** One table of the training-data section (the shape of layout's `TextTable`). */
export interface TrainingDataTable {
  readonly experiment: string;
  readonly block: string;
  readonly notes: readonly string[];
  readonly table: { readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] };
}

/** The values of one class over runs: `v`, or `min–max` when the runs differ. */
function spanCell(values: readonly number[], format: (value: number) => string): string {
  if (values.length === 0) return '—';
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? format(low) : `${format(low)}–${format(high)}`;
}

const formatWeight = (value: number): string => String(Number(value.toPrecision(4)));

/** `effectiveNumber, beta 0.999` from the canonical JSON of a strategy's settings. */
function strategyText(json: string): string {
  try {
    const { kind, ...rest } = JSON.parse(json) as { kind?: unknown } & Record<string, unknown>;
    const settings = Object.entries(rest)
      .filter(([, value]) => typeof value !== 'object')
      .map(([key, value]) => `${key} ${String(value)}`);
    return [String(kind), ...settings].join(', ');
  } catch {
    return json;
  }
}

/** A column of one or more variants: its heading part and one cell per class. */
interface Column {
  readonly labels: string[];
  readonly what: string;
  readonly cells: readonly string[];
}

/** Merges columns whose cells and kind agree, so a value every variant shares is shown once. */
function mergeColumns(columns: readonly Column[]): Column[] {
  const merged: Column[] = [];
  for (const column of columns) {
    const same = merged.find(
      (other) => other.what === column.what && other.cells.join('\u0000') === column.cells.join('\u0000'),
    );
    if (same === undefined) merged.push({ ...column, labels: [...column.labels] });
    else same.labels.push(...column.labels);
  }
  return merged;
}

function blockTable(view: ExperimentView, block: string): TrainingDataTable | null {
  const groups = view.groups.map(({ group }) => group);
  const records = groups.flatMap((group) => group.records);
  const width = Math.max(0, ...records.map((record) => record.training?.classCounts[block]?.length ?? 0));
  if (width === 0) return null;
  const evaluated = (record: RunRecord): boolean => record.definition.evaluation?.target === block;
  const names =
    records.find((record) => evaluated(record) && record.evaluation.classNames?.length === width)?.evaluation
      .classNames ?? Array.from({ length: width }, (_, index) => String(index));
  const perClass = (values: (record: RunRecord, index: number) => number | undefined, own: readonly RunRecord[]) =>
    names.map((_, index) => own.flatMap((record) => values(record, index) ?? []));
  const allLabels = groups.map((group) => group.label);

  const countColumns = mergeColumns(
    groups.map((group) => ({
      labels: [group.label],
      what: 'training rows',
      cells: perClass((record, index) => record.training?.classCounts[block]?.[index], group.records).map((values) =>
        spanCell(values, String),
      ),
    })),
  );
  const weightColumns = mergeColumns(
    groups.flatMap((group) => {
      const strategies = [
        ...new Set(
          group.records.flatMap((record) =>
            (record.training?.classWeights ?? []).filter((entry) => entry.block === block).map((e) => e.strategy),
          ),
        ),
      ];
      return strategies.map((strategy) => ({
        labels: [group.label],
        what: `weight (${strategyText(strategy)})`,
        cells: perClass(
          (record, index) =>
            record.training?.classWeights?.find((entry) => entry.block === block && entry.strategy === strategy)
              ?.weights[index],
          group.records,
        ).map((values) => spanCell(values, formatWeight)),
      }));
    }),
  );
  // Each class's group in every long-tailed run that evaluated this block.
  const groupings = records.filter(evaluated).flatMap((record) => runClassGrouping(record) ?? []);
  const groupCells = names.map((_, index) => {
    const among = CLASS_GROUP_NAMES.filter((name) => groupings.some((grouping) => grouping[name].includes(index)));
    return among.length === 0 ? '—' : among.join(' / ');
  });
  const heading = (column: Column): string =>
    column.labels.length === allLabels.length && groups.length > 0
      ? column.what
      : `${column.what}: ${column.labels.join(', ')}`;
  const columns = [...countColumns, ...weightColumns];
  const showGroups = groupings.length > 0;
  const rules = [...new Set(groupings.map((grouping) => grouping.rule))];
  return {
    experiment: view.experiment,
    block,
    notes: [
      `Label block "${block}": rows per class of the train split after the transforms (min–max over seeds when the draws differ)${weightColumns.length > 0 ? ', and the class weights each loss computed from them' : ''}; a column every variant shares is shown once.`,
      ...(showGroups
        ? [
            `Class groups (${rules.join('; ')}): head / medium / tail accuracy in the final metrics is the accuracy on the evaluated samples of each group's classes.`,
          ]
        : []),
    ],
    table: {
      header: ['class', ...(showGroups ? ['group'] : []), ...columns.map(heading)],
      rows: names.map((name, index) => [
        name,
        ...(showGroups ? [groupCells[index] ?? '—'] : []),
        ...columns.map((column) => column.cells[index] ?? '—'),
      ]),
    },
  };
}

/**
 * The training-data tables of one experiment: one per label block any run recorded counts of
 * (`training.classCounts`), in first-seen order; empty for runs that predate them.
 *
 * @example trainingDataTables(view)[0]?.table.header // ['class', 'group', 'training rows', 'weight (balanced): cb-ce']
 */
export function trainingDataTables(view: ExperimentView): TrainingDataTable[] {
  const blocks = [...new Set(view.records.flatMap((record) => Object.keys(record.training?.classCounts ?? {})))];
  return blocks.flatMap((block) => blockTable(view, block) ?? []);
}
