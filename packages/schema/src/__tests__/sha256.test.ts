import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { portableSha256Hex, sha256Hex } from '../sha256.js';

const nodeSha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Deterministic pseudo-random bytes (a linear congruential generator), so every run hashes the same input. */
function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

describe('sha256Hex', () => {
  it('gives the FIPS 180-4 digests of the standard messages, in both implementations', () => {
    const vectors: [string, string][] = [
      ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
      ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
      [
        'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      ],
    ];
    for (const [message, digest] of vectors) {
      expect(sha256Hex(message)).toBe(digest);
      expect(portableSha256Hex(message)).toBe(digest);
    }
  });

  it('the portable implementation equals node:crypto at every padding boundary and beyond 64 KiB', () => {
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65_536, 70_001]) {
      const input = bytes(length, length + 1);
      expect(portableSha256Hex(input), `${length} bytes`).toBe(nodeSha256(input));
      expect(sha256Hex(input), `${length} bytes`).toBe(nodeSha256(input));
    }
  });

  it('hashes a string as its UTF-8 bytes (a lone surrogate as U+FFFD, as node:crypto does)', () => {
    for (const text of ['losslab: Δ loss ≥ 0 🙂', 'a\uD800b', '{"b":1,"a":[2]}']) {
      expect(portableSha256Hex(text)).toBe(nodeSha256(text));
      expect(sha256Hex(text)).toBe(portableSha256Hex(new TextEncoder().encode(text)));
    }
  });

  it('hashes only the bytes a view shows, not its whole buffer', () => {
    const whole = bytes(300);
    const view = whole.subarray(37, 237);
    expect(portableSha256Hex(view)).toBe(nodeSha256(Buffer.from(view)));
    expect(sha256Hex(view)).toBe(portableSha256Hex(view.slice()));
  });
});
