import { LosslabError, createRng, deriveSeed, requireInteger } from '@losslab/runtime';
import { type LabelledRows, checkRows, classCountsOf, requireClassList, selectRows } from './rows.js';

// Seeded, deterministic transforms of LabelledRows. Each draws its random choices from
// createRng(deriveSeed(seed, <transform name>, ...)) and keeps the surviving rows in their
// original order, extra columns included.

/** Options of {@link subsampleClasses}. */
export interface SubsampleClassesOptions {
  /** Class ids to thin out (distinct integers ≥ 0); other classes are untouched. */
  readonly classes: readonly number[];
  /** Fraction of each listed class to keep, in (0, 1]. */
  readonly keep: number;
  readonly seed: number;
}

/** Options of {@link longTail}. */
export interface LongTailOptions {
  /** Imbalance ratio n_0 / n_{C−1} (≥ 1; 1 keeps every class at the smallest count). */
  readonly ratio: number;
  readonly seed: number;
  /** Number of classes C (default: max class id + 1). */
  readonly numClasses?: number | undefined;
}

/** Options of {@link carveSplit}. */
export interface CarveSplitOptions {
  /** Fraction of the rows to carve out, in (0, 1); round(fraction · size) rows are carved. */
  readonly fraction: number;
  readonly seed: number;
}

/** The two parts of {@link carveSplit}, each in the original row order. */
export interface CarvedSplit {
  readonly rest: LabelledRows;
  readonly carved: LabelledRows;
}

function requireFraction(what: string, value: number, includeOne: boolean): number {
  const ok = Number.isFinite(value) && value > 0 && (includeOne ? value <= 1 : value < 1);
  if (!ok) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `${what}: expected a number in (0, 1${includeOne ? ']' : ')'}, got ${String(value)}`,
    );
  }
  return value;
}

/** Row indices of each class, in row order. */
function rowsByClass(rows: LabelledRows): Map<number, number[]> {
  const byClass = new Map<number, number[]>();
  for (let row = 0; row < rows.size; row++) {
    const id = rows.classIds[row]!;
    let list = byClass.get(id);
    if (list === undefined) byClass.set(id, (list = []));
    list.push(row);
  }
  return byClass;
}

/** Marks `count` of `candidates` as kept, chosen by a Fisher–Yates shuffle seeded with `seed`. */
function keepRandom(keep: Uint8Array, candidates: readonly number[], count: number, seed: number): void {
  const order = createRng(seed).shuffle(Int32Array.from(candidates));
  for (let i = 0; i < count; i++) keep[order[i]!] = 1;
}

/** The rows whose `keep` flag is set, in their original order. */
function keptRows(rows: LabelledRows, keep: Uint8Array, flag = 1): LabelledRows {
  const indices: number[] = [];
  for (let row = 0; row < rows.size; row++) if (keep[row] === flag) indices.push(row);
  return selectRows(rows, indices);
}

/**
 * Thins out the listed classes: for each class c in `classes` with n_c > 0 rows it keeps
 * k_c = max(1, round(keep · n_c)) of them (`Math.round`: halves round up), chosen by a shuffle
 * drawn from `deriveSeed(seed, 'subsampleClasses', c)`; rows of other classes are all kept. The
 * result keeps the original row order. Each class has its own random stream, so adding a class to
 * the list never changes which rows of another class survive. A listed class with no rows is left
 * as it is (nothing to keep).
 *
 * @example
 * // MNIST with 10 % of the even digits (5923 zeros → 592, ...), odd digits untouched:
 * const thin = subsampleClasses(rows, { classes: [0, 2, 4, 6, 8], keep: 0.1, seed: 1 });
 */
export function subsampleClasses(rows: LabelledRows, options: SubsampleClassesOptions): LabelledRows {
  checkRows(rows);
  requireFraction('options.keep', options.keep, true);
  requireInteger('options.seed', options.seed, 0);
  requireClassList('options.classes', options.classes, 0);
  const byClass = rowsByClass(rows);
  const keep = new Uint8Array(rows.size).fill(1);
  for (const c of options.classes) {
    const members = byClass.get(c);
    if (members === undefined) continue;
    for (const row of members) keep[row] = 0;
    const count = Math.max(1, Math.round(options.keep * members.length));
    keepRandom(keep, members, count, deriveSeed(options.seed, 'subsampleClasses', c));
  }
  return keptRows(rows, keep);
}

/**
 * Per-class row counts of a long-tailed profile (Cui et al. 2019, "Class-Balanced Loss Based on
 * Effective Number of Samples"): class i of C keeps
 *
 *   n_i = round(nMax · ratio^(−i / (C − 1)))        (n_0 = nMax, n_{C−1} = round(nMax / ratio))
 *
 * an exponential decay from the head (class 0) to the tail (class C − 1); C = 1 gives [nMax].
 * (The widely copied CIFAR-LT script truncates with int(); this rounds.) A profile in which a
 * class would get 0 rows is an error: use a ratio ≤ 2·nMax.
 *
 * @example
 * longTailCounts(100, 3, 4);     // [100, 50, 25]
 * longTailCounts(5421, 10, 100); // [5421, 3250, 1948, 1168, 700, 420, 252, 151, 90, 54]
 */
export function longTailCounts(nMax: number, numClasses: number, ratio: number): number[] {
  requireInteger('nMax', nMax, 1);
  requireInteger('numClasses', numClasses, 1);
  if (!Number.isFinite(ratio) || ratio < 1) {
    throw new LosslabError('INVALID_ARGUMENT', `ratio: expected a finite number >= 1, got ${String(ratio)}`);
  }
  if (numClasses === 1) return [nMax];
  const counts = Array.from({ length: numClasses }, (_, i) => Math.round(nMax * ratio ** (-i / (numClasses - 1))));
  const empty = counts.indexOf(0);
  if (empty >= 0) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `ratio: ${ratio} with nMax ${nMax} leaves class ${empty} of ${numClasses} with round(${nMax} · ${ratio}^(−${empty}/${numClasses - 1})) = 0 rows; expected every class to keep at least 1 (ratio <= ${2 * nMax})`,
    );
  }
  return counts;
}

/**
 * Makes `rows` long-tailed over all C classes: class i (in class-id order, class 0 the head) keeps
 * n_i = round(n_max · ratio^(−i/(C−1))) rows ({@link longTailCounts}), chosen by a shuffle drawn
 * from `deriveSeed(seed, 'longTail', i)`, in their original order.
 *
 * n_max is the SMALLEST class count in the input, so that every class can supply its target; the
 * head class is therefore cut down too (on MNIST train, whose smallest class is the 5,421 fives,
 * class 0 keeps 5,421 of its 5,923 rows and class 9 keeps 54). Every class 0 … C − 1 must have
 * rows (the error lists the counts); C = `numClasses` when given, else max class id + 1.
 *
 * @example
 * const lt = longTail(rows, { ratio: 100, seed: 3 });
 * classCountsOf(lt); // [5421, 3250, 1948, 1168, 700, 420, 252, 151, 90, 54] for MNIST train
 */
export function longTail(rows: LabelledRows, options: LongTailOptions): LabelledRows {
  checkRows(rows);
  requireInteger('options.seed', options.seed, 0);
  const counts = classCountsOf(rows, options.numClasses);
  if (counts.length === 0) throw new LosslabError('INVALID_ARGUMENT', 'rows: expected at least one row, got 0');
  const missing = counts.indexOf(0);
  if (missing >= 0) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `rows: class ${missing} has no rows; a long tail over ${counts.length} classes needs rows of every class (counts: [${counts.join(', ')}])`,
    );
  }
  const targets = longTailCounts(Math.min(...counts), counts.length, options.ratio);
  const keep = new Uint8Array(rows.size);
  for (const [c, members] of rowsByClass(rows)) {
    keepRandom(keep, members, targets[c]!, deriveSeed(options.seed, 'longTail', c));
  }
  return keptRows(rows, keep);
}

/**
 * Carves a random part out of `rows`, e.g. a validation split out of a training set:
 * round(fraction · size) rows, chosen by a shuffle drawn from `deriveSeed(seed, 'carveSplit')`,
 * go to `carved`, the others to `rest`; both keep the original row order. The parts are disjoint
 * and together hold every row once. Not stratified by class. Either part being empty is an error.
 *
 * @example
 * const { rest: train, carved: validation } = carveSplit(trainRows, { fraction: 0.1, seed: 7 });
 * // 60,000 rows → train 54,000, validation 6,000
 */
export function carveSplit(rows: LabelledRows, options: CarveSplitOptions): CarvedSplit {
  checkRows(rows);
  requireFraction('options.fraction', options.fraction, false);
  requireInteger('options.seed', options.seed, 0);
  const count = Math.round(options.fraction * rows.size);
  if (count === 0 || count === rows.size) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `options.fraction: ${options.fraction} of ${rows.size} rows carves round(${options.fraction} · ${rows.size}) = ${count}; expected at least 1 row in each part`,
    );
  }
  const carve = new Uint8Array(rows.size);
  keepRandom(
    carve,
    Array.from({ length: rows.size }, (_, i) => i),
    count,
    deriveSeed(options.seed, 'carveSplit'),
  );
  return { rest: keptRows(rows, carve, 0), carved: keptRows(rows, carve, 1) };
}
