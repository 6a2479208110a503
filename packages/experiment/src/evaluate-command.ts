import { parseArgs } from 'node:util';
import { Split } from '@losslab/schema';
import { BACKENDS, describeBackend, isBackendName, selectBackend } from '@losslab/runtime';
import { evaluateRunFolder, readRunRecord } from './evaluate-run.js';
import { messageOf } from './message.js';
import { unknownOption } from './suggest.js';

const EVALUATE_USAGE = `usage: losslab evaluate <run-folder> [--split=train|validation|test] [--backend=…] [--json]

Re-evaluates the model a complete run saved (model.json + weights.bin) on the run's own data,
without training. Default split: the one the run was evaluated on, and then the result is
compared with the recorded evaluation. Default backend: the run's own (the same numbers).
  --json   print the evaluation as JSON (the shape of evaluation.json)`;

const formatNumber = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4));

/** `losslab evaluate <run-folder> [--split] [--backend] [--json]`: exit 0, 1 (could not evaluate) or 2 (bad arguments). */
export async function evaluateCommand(argv: readonly string[]): Promise<number> {
  const options = {
    split: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let parsed;
  try {
    // Not strict about names, so an unknown option can be answered with the closest known one.
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: false, options });
  } catch (error) {
    console.error(`error: ${messageOf(error)}\n${EVALUATE_USAGE}`);
    return 2;
  }
  const unknown = Object.keys(parsed.values).filter((name) => !(name in options));
  if (unknown.length > 0) {
    console.error(`error: ${unknownOption(unknown[0]!, Object.keys(options))}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    console.log(EVALUATE_USAGE);
    return 0;
  }
  const [folder, ...extra] = positionals;
  if (folder === undefined || extra.length > 0) {
    console.error(`error: expected one run folder, got ${positionals.length}\n${EVALUATE_USAGE}`);
    return 2;
  }
  // Without strict parsing a string option given no value arrives as `true`.
  for (const name of ['split', 'backend'] as const)
    if (typeof values[name] === 'boolean') {
      console.error(`error: --${name}: expected a value`);
      return 2;
    }
  const split = values.split as string | undefined;
  const requested = values.backend as string | undefined;
  if (split !== undefined && !Split.is(split)) {
    console.error(`error: --split: expected one of "train", "validation", "test", got "${split}"`);
    return 2;
  }
  if (requested !== undefined && !isBackendName(requested)) {
    console.error(`error: --backend: expected one of ${BACKENDS.join(', ')}, got "${requested}"`);
    return 2;
  }
  try {
    // The record names the backend the run used; evaluating there gives the recorded numbers.
    const recorded = (await readRunRecord(folder)).environment.backend;
    const backend = await selectBackend({ requested: requested ?? recorded });
    const { record, evaluation, matchesRecord } = await evaluateRunFolder(folder, {
      ...(split === undefined ? {} : { split }),
    });
    if (values.json === true) {
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
