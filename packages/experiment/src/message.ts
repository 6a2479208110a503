/** The message of anything thrown: an Error's message, otherwise the value as text. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
