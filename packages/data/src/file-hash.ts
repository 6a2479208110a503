import { createHash } from 'node:crypto';

/** Hex sha256 of bytes already in memory (a data file as stored). */
export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
