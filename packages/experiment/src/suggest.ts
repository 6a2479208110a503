/** Levenshtein distance between two short strings (option names). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name closest to `name` when it is close enough to be a typo (at most 2 edits, or a
 * prefix of exactly one known name): `epoch` → `epochs`, `splt` → `split`; otherwise undefined.
 *
 * @example closestName('jbos', ['jobs', 'seeds']) // 'jobs'
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const prefixed = known.filter((candidate) => candidate.startsWith(name));
  if (name.length >= 2 && prefixed.length === 1) return prefixed[0];
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  return best !== undefined && best.distance <= Math.min(2, Math.ceil(name.length / 2)) ? best.name : undefined;
}

/**
 * `--epoch: unknown option; did you mean --epochs? (known: …)`, the suggestion only when one is
 * close. `written` is how the option was typed, when not `--name` (`-epoch`).
 */
export function unknownOption(name: string, known: readonly string[], written = `--${name}`): string {
  const closest = closestName(name, known);
  const hint = closest === undefined ? '' : `; did you mean --${closest}?`;
  return `${written}: unknown option${hint} (known: ${known.map((k) => `--${k}`).join(', ')})`;
}
