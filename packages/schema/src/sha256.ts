/**
 * SHA-256 (FIPS 180-4). Under Node it is `node:crypto`'s (about 40× faster: records, weights,
 * checkpoints and predictions are hashed on every run); elsewhere (a browser) the plain
 * TypeScript implementation below. `node:crypto` is reached through `process.getBuiltinModule`,
 * never imported, so the browser entries still bundle without Node built-ins.
 */

/** The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const ROUND_CONSTANTS = new Uint32Array(64);
/** The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const INITIAL_STATE = new Uint32Array(8);

(function computeConstants() {
  const primes: number[] = [];
  for (let candidate = 2; primes.length < 64; candidate++)
    if (primes.every((p) => candidate % p !== 0)) primes.push(candidate);
  const fraction32 = (x: number): number => ((x - Math.floor(x)) * 0x1_0000_0000) >>> 0;
  primes.forEach((p, i) => {
    ROUND_CONSTANTS[i] = fraction32(Math.cbrt(p));
    if (i < 8) INITIAL_STATE[i] = fraction32(Math.sqrt(p));
  });
})();

const rotateRight = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** Compresses one 64-byte block at `offset` of `bytes` into `state`; `w` is scratch space. */
function compress(state: Uint32Array, bytes: Uint8Array, offset: number, w: Uint32Array): void {
  for (let t = 0; t < 16; t++) {
    const i = offset + t * 4;
    w[t] = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  }
  for (let t = 16; t < 64; t++) {
    const a = w[t - 15]!;
    const b = w[t - 2]!;
    const s0 = rotateRight(a, 7) ^ rotateRight(a, 18) ^ (a >>> 3);
    const s1 = rotateRight(b, 17) ^ rotateRight(b, 19) ^ (b >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
  }
  let [a, b, c, d, e, f, g, h] = state as unknown as [number, number, number, number, number, number, number, number];
  for (let t = 0; t < 64; t++) {
    const sum1 = rotateRight(e, 6) ^ rotateRight(e, 11) ^ rotateRight(e, 25);
    const choose = (e & f) ^ (~e & g);
    const temp1 = (h + sum1 + choose + ROUND_CONSTANTS[t]! + w[t]!) >>> 0;
    const sum0 = rotateRight(a, 2) ^ rotateRight(a, 13) ^ rotateRight(a, 22);
    const majority = (a & b) ^ (a & c) ^ (b & c);
    const temp2 = (sum0 + majority) >>> 0;
    h = g;
    g = f;
    f = e;
    e = (d + temp1) >>> 0;
    d = c;
    c = b;
    b = a;
    a = (temp1 + temp2) >>> 0;
  }
  state[0] = (state[0]! + a) >>> 0;
  state[1] = (state[1]! + b) >>> 0;
  state[2] = (state[2]! + c) >>> 0;
  state[3] = (state[3]! + d) >>> 0;
  state[4] = (state[4]! + e) >>> 0;
  state[5] = (state[5]! + f) >>> 0;
  state[6] = (state[6]! + g) >>> 0;
  state[7] = (state[7]! + h) >>> 0;
}

/** The SHA-256 digest of `bytes` as 64 lowercase hex characters. */
function sha256HexOfBytes(bytes: Uint8Array): string {
  const state = INITIAL_STATE.slice();
  const w = new Uint32Array(64);
  const fullBlocks = Math.floor(bytes.length / 64);
  for (let block = 0; block < fullBlocks; block++) compress(state, bytes, block * 64, w);
  // The tail, a 1 bit, zeros, and the message length in bits as a 64-bit big-endian number.
  const rest = bytes.length - fullBlocks * 64;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(bytes.subarray(fullBlocks * 64));
  tail[rest] = 0x80;
  const bits = bytes.length * 8;
  const view = new DataView(tail.buffer);
  view.setUint32(tail.length - 8, Math.floor(bits / 0x1_0000_0000));
  view.setUint32(tail.length - 4, bits >>> 0);
  for (let offset = 0; offset < tail.length; offset += 64) compress(state, tail, offset, w);
  return Array.from(state, (word) => word.toString(16).padStart(8, '0')).join('');
}

const utf8 = new TextEncoder();

/**
 * The portable implementation: hex sha256 of bytes or of a string's UTF-8 encoding.
 *
 * @internal exported for the test that compares it with `node:crypto`
 */
export const portableSha256Hex = (data: Uint8Array | string): string =>
  sha256HexOfBytes(typeof data === 'string' ? utf8.encode(data) : data);

interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(data: Uint8Array | string): { digest(encoding: 'hex'): string } };
}

/** `node:crypto` when this runs under Node (≥ 20.16 has `process.getBuiltinModule`), else undefined. */
const nodeCrypto = ((): NodeCrypto | undefined => {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return typeof host?.getBuiltinModule === 'function'
    ? (host.getBuiltinModule('node:crypto') as NodeCrypto)
    : undefined;
})();

/**
 * Hex sha256 of bytes or of a string's UTF-8 encoding; `node:crypto` under Node, the portable
 * implementation in a browser (same digests).
 *
 * @example sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export const sha256Hex = (data: Uint8Array | string): string =>
  nodeCrypto === undefined ? portableSha256Hex(data) : nodeCrypto.createHash('sha256').update(data).digest('hex');
