import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LosslabError } from '@losslab/runtime';

/** Element types an IDX file can hold (the third byte of its magic number). */
export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array that holds each {@link IdxDtype}. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: element type, dimensions (outermost first) and the row-major values. */
export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly shape: number[];
  readonly data: IdxData;
}

/** A file that was read, with the sha256 of its bytes as stored (for run-record fingerprints). */
export interface DataFile {
  readonly path: string;
  readonly sha256: string;
}

interface DtypeInfo {
  readonly dtype: IdxDtype;
  readonly code: number;
  readonly bytes: number;
}

// Type codes from the IDX format description (LeCun et al., the MNIST page).
const DTYPES: readonly DtypeInfo[] = [
  { dtype: 'uint8', code: 0x08, bytes: 1 },
  { dtype: 'int8', code: 0x09, bytes: 1 },
  { dtype: 'int16', code: 0x0b, bytes: 2 },
  { dtype: 'int32', code: 0x0c, bytes: 4 },
  { dtype: 'float32', code: 0x0d, bytes: 4 },
  { dtype: 'float64', code: 0x0e, bytes: 8 },
];

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

const hex2 = (byte: number): string => `0x${byte.toString(16).padStart(2, '0')}`;

const formatError = (path: string, what: string): LosslabError =>
  new LosslabError('DATA_FORMAT', `IDX file ${path}: ${what}`);

/** Reads a whole file, turning a missing or unreadable file into an `IO` error naming the path. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new LosslabError('IO', `cannot read ${path}: ${reason}`);
  }
}

/** True when `bytes` starts with the gzip magic number 1f 8b. */
const isGzip = (bytes: Uint8Array): boolean =>
  bytes.length >= 2 && bytes[0] === GZIP_MAGIC_0 && bytes[1] === GZIP_MAGIC_1;

/**
 * Decodes the bytes of an IDX file (already gunzipped). `path` only labels error messages.
 *
 * Layout: bytes 0–1 are zero, byte 2 is the type code, byte 3 the rank r ≥ 1, then r big-endian
 * uint32 dimensions, then prod(dims) big-endian elements.
 *
 * @example
 * const { shape, data } = decodeIdx(bytes, 'labels.idx'); // shape [n], data Uint8Array
 */
export function decodeIdx(bytes: Uint8Array, path: string): IdxArray {
  if (bytes.length < 4) {
    throw formatError(path, `expected at least a 4-byte magic number, got ${bytes.length} bytes`);
  }
  const [zero0, zero1, code, rank] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (zero0 !== 0 || zero1 !== 0) {
    throw formatError(
      path,
      `bad magic number: expected the first two bytes to be 0x00 0x00, got ${hex2(zero0)} ${hex2(zero1)} (not an IDX file)`,
    );
  }
  const info = DTYPES.find((d) => d.code === code);
  if (info === undefined) {
    throw formatError(
      path,
      `bad magic number: unknown type code ${hex2(code)} (expected one of ${DTYPES.map((d) => `${hex2(d.code)} ${d.dtype}`).join(', ')})`,
    );
  }
  if (rank < 1) throw formatError(path, 'bad magic number: rank must be >= 1, got 0');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw formatError(path, `expected a ${headerBytes}-byte header for rank ${rank}, got ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const dim = view.getUint32(4 + 4 * axis, false);
    if (dim === 0) throw formatError(path, `dimension ${axis} is 0; every dimension must be > 0`);
    shape.push(dim);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const expectedBytes = headerBytes + count * info.bytes;
  if (bytes.length !== expectedBytes) {
    throw formatError(
      path,
      `expected ${expectedBytes} bytes for ${shape.join('×')} ${info.dtype}, got ${bytes.length}` +
        (bytes.length < expectedBytes ? ' (truncated)' : ' (trailing bytes)'),
    );
  }
  return { dtype: info.dtype, shape, data: decodeElements(view, headerBytes, count, info) };
}

function decodeElements(view: DataView, offset: number, count: number, info: DtypeInfo): IdxData {
  switch (info.dtype) {
    case 'uint8':
      // Copy so the result does not pin the (possibly much larger) file buffer.
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Gunzips `bytes` when they start with the gzip magic; a corrupt stream is a `DATA_FORMAT` error. */
function maybeGunzip(bytes: Uint8Array, path: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw formatError(path, `starts with the gzip magic 1f 8b but does not gunzip: ${(error as Error).message}`);
  }
}

/**
 * Reads an IDX file (plain or gzip-compressed; gzip is detected by its magic bytes 1f 8b).
 * Multi-byte elements are big-endian on disk and decoded to native typed arrays.
 *
 * Errors: a missing or unreadable file → `IO`; a bad magic number, a zero dimension or a file
 * whose length is not header + prod(dims) × element size → `DATA_FORMAT`, naming the path and
 * e.g. `expected 7840016 bytes for 10000×28×28 uint8, got 5000 (truncated)`.
 *
 * @example
 * const images = await readIdx('data/t10k-images-idx3-ubyte');
 * images.shape; // [10000, 28, 28]; images.data is a Uint8Array of 7,840,000 pixels
 */
export async function readIdx(path: string): Promise<IdxArray> {
  return decodeIdx(maybeGunzip(await readFileBytes(path), path), path);
}

/**
 * Reads an IDX file like {@link readIdx} and fingerprints it: `file.sha256` hashes the bytes as
 * stored (a gzip file hashes its compressed bytes), read once.
 *
 * @example
 * const { array, file } = await readIdxWithFile('data/train-labels-idx1-ubyte');
 */
export async function readIdxWithFile(path: string): Promise<{ array: IdxArray; file: DataFile }> {
  const stored = await readFileBytes(path);
  const array = decodeIdx(maybeGunzip(stored, path), path);
  // node:crypto, not runtime's portable sha256: data files are tens of megabytes.
  return { array, file: { path, sha256: createHash('sha256').update(stored).digest('hex') } };
}

/**
 * Encodes an {@link IdxArray} as IDX bytes (big-endian), the inverse of {@link decodeIdx}.
 * Used to write fixtures; `data.length` must equal prod(shape).
 *
 * @example
 * const bytes = encodeIdx({ dtype: 'uint8', shape: [3], data: Uint8Array.of(7, 2, 1) });
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const info = DTYPES.find((d) => d.dtype === array.dtype);
  if (info === undefined) throw new LosslabError('INVALID_ARGUMENT', `array.dtype: unknown IDX dtype "${array.dtype}"`);
  if (array.shape.length < 1 || array.shape.length > 255) {
    throw new LosslabError('INVALID_ARGUMENT', `array.shape: expected rank 1..255, got ${array.shape.length}`);
  }
  for (const [axis, dim] of array.shape.entries()) {
    if (!Number.isInteger(dim) || dim < 1 || dim > 0xffffffff) {
      throw new LosslabError('INVALID_ARGUMENT', `array.shape[${axis}]: expected an integer in 1..2^32-1, got ${dim}`);
    }
  }
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new LosslabError(
      'INVALID_ARGUMENT',
      `array.data: expected ${count} elements for shape [${array.shape.join(', ')}], got ${array.data.length}`,
    );
  }
  const header = 4 + 4 * array.shape.length;
  const bytes = new Uint8Array(header + count * info.bytes);
  const view = new DataView(bytes.buffer);
  bytes[2] = info.code;
  bytes[3] = array.shape.length;
  array.shape.forEach((dim, axis) => view.setUint32(4 + 4 * axis, dim, false));
  for (let i = 0; i < count; i++) {
    const value = array.data[i]!;
    const at = header + i * info.bytes;
    switch (info.dtype) {
      case 'uint8':
        view.setUint8(at, value);
        break;
      case 'int8':
        view.setInt8(at, value);
        break;
      case 'int16':
        view.setInt16(at, value, false);
        break;
      case 'int32':
        view.setInt32(at, value, false);
        break;
      case 'float32':
        view.setFloat32(at, value, false);
        break;
      case 'float64':
        view.setFloat64(at, value, false);
        break;
    }
  }
  return bytes;
}

/**
 * Writes an {@link IdxArray} to `path`, gzip-compressed when `options.gzip` is true.
 *
 * @example
 * await writeIdx('/tmp/labels.idx.gz', { dtype: 'uint8', shape: [2], data: Uint8Array.of(0, 9) }, { gzip: true });
 */
export async function writeIdx(path: string, array: IdxArray, options: { gzip?: boolean } = {}): Promise<void> {
  const bytes = encodeIdx(array);
  try {
    await writeFile(path, options.gzip === true ? gzipSync(bytes) : bytes);
  } catch (error) {
    throw new LosslabError('IO', `cannot write ${path}: ${(error as Error).message}`);
  }
}

/**
 * Hex sha256 of a file's bytes as stored (a gzip file hashes its compressed bytes); used as a
 * data fingerprint in run records. A missing file is an `IO` error naming the path.
 *
 * @example
 * const fingerprint = await fileSha256('data/train-labels-idx1-ubyte'); // 64 hex characters
 */
export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('error', (error: NodeJS.ErrnoException) => {
        const reason = error.code === 'ENOENT' ? 'file not found' : error.message;
        reject(new LosslabError('IO', `cannot read ${path}: ${reason}`));
      })
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}
