/** The message of anything thrown: an Error's message, otherwise the value as text. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The first line of {@link messageOf}: one line for the terminal, never a stack or a dump. */
export const firstLineOf = (error: unknown): string => messageOf(error).split('\n')[0] ?? '';

/**
 * What `--debug` prints for `error`: its stack, then the stack of each `cause` (an error rethrown
 * to name a file keeps the one that says where the user's code failed).
 *
 * @example console.error(stackOf(new Error('def.ts: importing failed', { cause }))) // 'Error: def.ts: …\n    at …\ncaused by: TypeError: …\n    at def.ts:3:9'
 */
export function stackOf(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  for (let current: unknown = error; current !== undefined && !seen.has(current);) {
    seen.add(current);
    const text =
      current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : messageOf(current);
    lines.push(lines.length === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.join('\n');
}
