/**
 * Simulates studies with and without a true difference and reports how often the report's
 * intervals hold the true value (coverage) and how often each method declares a difference:
 * `npx tsx --conditions=@losslab/source tools/simulate-statistics.ts [--studies=2000] [--seeds=5]
 * [--examples=100] [--difference=0.03] [--write]`. With `--write` the table replaces the one between
 * the simulation markers of STATISTICS.md. Deterministic: the same options give the same table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_SIMULATION, simulateIntervals, simulationTable } from '@losslab/report';

const option = (name: string, fallback: number): number => {
  const given = process.argv.find((argument) => argument.startsWith(`--${name}=`));
  const value = given === undefined ? fallback : Number(given.slice(name.length + 3));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name}: expected a non-negative number, got ${given}`);
  return value;
};

const settings = {
  ...DEFAULT_SIMULATION,
  studies: option('studies', DEFAULT_SIMULATION.studies),
  seeds: option('seeds', DEFAULT_SIMULATION.seeds),
  examples: option('examples', DEFAULT_SIMULATION.examples),
};
const difference = option('difference', 0.03);
const started = Date.now();
const results = [0, difference].map((value) => simulateIntervals({ ...settings, difference: value }));
const table = simulationTable(results);
console.log(table);
console.log(`\n${2 * settings.studies} studies in ${((Date.now() - started) / 1000).toFixed(0)} s`);

if (process.argv.includes('--write')) {
  const file = resolve(import.meta.dirname, '..', 'STATISTICS.md');
  const text = readFileSync(file, 'utf8');
  const begin = '<!-- simulation table: written by tools/simulate-statistics.ts -->';
  const end = '<!-- end of simulation table -->';
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: no simulation markers`);
  writeFileSync(file, `${text.slice(0, from + begin.length)}\n${table}\n${text.slice(to)}`);
  console.log(`wrote the table into ${file}`);
}
