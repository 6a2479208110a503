import { describeBackend, selectBackend } from '@losslab/runtime';
import type { EvaluateOptions } from './command-options.js';
import { evaluateRunFolder, readRunRecord } from './evaluate-run.js';
import { messageOf } from './message.js';

const formatNumber = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4));

/** `losslab evaluate <run-folder> [--split] [--backend] [--json]`: resolves to exit code 0, or 1 when it could not evaluate. */
export async function evaluateCommand(options: EvaluateOptions): Promise<number> {
  const { folder, split, backend: requested } = options;
  try {
    // The record names the backend the run used; evaluating there gives the recorded numbers.
    const recorded = (await readRunRecord(folder)).environment.backend;
    const backend = await selectBackend({ requested: requested ?? recorded });
    const { record, evaluation, matchesRecord } = await evaluateRunFolder(folder, {
      ...(split === undefined ? {} : { split }),
    });
    if (options.json) {
      console.log(JSON.stringify(evaluation, null, 2));
      return 0;
    }
    console.log(
      `${record.experiment} / ${record.variant} / seed ${record.seed}: the saved model on ${evaluation.split} (${evaluation.size} samples), ${describeBackend(backend)}`,
    );
    for (const [metric, value] of Object.entries(evaluation.metrics)) console.log(`  ${metric} ${formatNumber(value)}`);
    for (const group of evaluation.groups ?? [])
      console.log(`  ${group.name}: accuracy ${formatNumber(group.accuracy)}`);
    if (matchesRecord === true) console.log('identical to the recorded evaluation');
    if (matchesRecord === false)
      console.log(
        `differs from the recorded evaluation (recorded on ${record.environment.backend}, evaluated on ${backend.name})`,
      );
    return 0;
  } catch (error) {
    console.error(`error: ${messageOf(error).split('\n')[0] ?? ''}`);
    return 1;
  }
}
