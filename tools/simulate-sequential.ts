/**
 * Simulates studies run with `losslab run --until-decided` — without a difference, with one of
 * three comparisons differing, with all three differing — and reports the false-decision rate,
 * the power and the seeds used, beside the fixed design on the budget's seeds and beside the same
 * looks without alpha spending:
 * `npx tsx --conditions=@losslab/source tools/simulate-sequential.ts [--studies=2000]
 * [--difference=0.01] [--write]`. With `--write` the table replaces the one between the
 * sequential-simulation markers of STATISTICS.md. Deterministic: the same options give the same table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_SEQUENTIAL_SIMULATION, sequentialSimulationTable, simulateSequential } from '@losslab/report';

const option = (name: string, fallback: number): number => {
  const given = process.argv.find((argument) => argument.startsWith(`--${name}=`));
  const value = given === undefined ? fallback : Number(given.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number, got ${given}`);
  return value;
};

const studies = option('studies', DEFAULT_SEQUENTIAL_SIMULATION.studies);
const difference = option('difference', 0.01);
const scenarios = [
  [0, 0, 0],
  [difference, 0, 0],
  [difference, difference, difference],
];
const started = Date.now();
const results = scenarios.map((differences) =>
  simulateSequential({ ...DEFAULT_SEQUENTIAL_SIMULATION, studies, differences }),
);
const table = sequentialSimulationTable(results);
console.log(table);
console.log(`\n${scenarios.length * studies} studies in ${((Date.now() - started) / 1000).toFixed(0)} s`);

if (process.argv.includes('--write')) {
  const file = resolve(import.meta.dirname, '..', 'STATISTICS.md');
  const text = readFileSync(file, 'utf8');
  const begin = '<!-- sequential simulation table: written by tools/simulate-sequential.ts -->';
  const end = '<!-- end of sequential simulation table -->';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: no sequential simulation markers`);
  writeFileSync(file, `${text.slice(0, from + begin.length)}\n${table}\n${text.slice(to)}`);
  console.log(`wrote the table into ${file}`);
}
