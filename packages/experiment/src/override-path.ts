// Apart from resolve.ts, which loads every kind, so that parsing `--set` loads none of them.

/**
 * What is wrong with an override path, or undefined when it is field names joined by dots. An
 * empty name (`train..epochs`, `.train`, `train.`) would otherwise set the field before it whole.
 *
 * @example overridePathProblem('train..epochs') // 'expected field names joined by dots (e.g. train.epochs), got an empty name in "train..epochs"'
 */
export function overridePathProblem(path: string): string | undefined {
  if (path.split('.').every((name) => name.trim() !== '')) return undefined;
  return `expected field names joined by dots (e.g. train.epochs), got an empty name in ${JSON.stringify(path)}`;
}
