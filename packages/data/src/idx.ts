import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { LosslabError } from '@losslab/runtime';
import { fileIdentity, fileSha256, knownFileSha256, rememberFileSha256 } from './file-hash.js';

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

/** Options of {@link readIdx} and {@link readIdxWithFile}. */
export interface IdxReadOptions {
  /**
   * Keep only the first `limit` items (along the first dimension): only their bytes are kept and
   * decoded; the rest of the file is streamed through the checks and the sha256, never stored.
   */
  readonly limit?: number;
  /**
   * The most bytes of elements a header may declare (default {@link DEFAULT_MAX_IDX_BYTES}); a
   * larger file is refused as soon as its header is read, and a gzip file is never decompressed
   * past its header's size.
   */
  readonly maxBytes?: number;
}

/** Default of {@link IdxReadOptions.maxBytes}: 2 GiB (MNIST's largest file holds 47 MB of pixels). */
export const DEFAULT_MAX_IDX_BYTES = 2 ** 31;

interface IdxLayout {
  readonly info: DtypeInfo;
  readonly shape: readonly number[];
  readonly headerBytes: number;
  /** Header plus every element, as the header declares. */
  readonly totalBytes: number;
  /** The items kept (first dimension) and their bytes. */
  readonly keptItems: number;
  readonly keptBytes: number;
}

const positiveIntegerOption = (name: string, value: number | undefined): void => {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0))
    throw new LosslabError('INVALID_ARGUMENT', `options.${name}: expected a positive integer, got ${value}`);
};

/**
 * Decodes IDX bytes as they arrive, keeping only what {@link IdxReadOptions} asks for: the header
 * is checked as soon as it is complete (magic, rank, dimensions, declared size against
 * `maxBytes`), then only the first `limit` items' bytes are kept; every byte is counted so that a
 * truncated file or trailing bytes are still found.
 *
 * Layout: bytes 0–1 are zero, byte 2 is the type code, byte 3 the rank r ≥ 1, then r big-endian
 * uint32 dimensions, then prod(dims) big-endian elements.
 */
class IdxParser {
  private header = new Uint8Array(0);
  private layout: IdxLayout | undefined;
  private readonly kept: Uint8Array[] = [];
  private keptSoFar = 0;
  /** Every byte fed so far. */
  received = 0;

  constructor(
    private readonly path: string,
    private readonly options: IdxReadOptions,
  ) {
    positiveIntegerOption('limit', options.limit);
    positiveIntegerOption('maxBytes', options.maxBytes);
  }

  /** The header's total size once it is known: more bytes than that are trailing bytes. */
  get declaredBytes(): number | undefined {
    return this.layout?.totalBytes;
  }

  /** The shape and type the header declares, as messages show them (`10×28×28 uint8`). */
  get declared(): string {
    return this.layout === undefined ? 'its header' : `${this.layout.shape.join('×')} ${this.layout.info.dtype}`;
  }

  feed(chunk: Uint8Array): void {
    let offset = 0;
    while (this.layout === undefined && offset < chunk.length) {
      const needed = this.header.length < 4 ? 4 : 4 + 4 * this.header[3]!;
      const take = Math.min(needed - this.header.length, chunk.length - offset);
      const header = new Uint8Array(this.header.length + take);
      header.set(this.header);
      header.set(chunk.subarray(offset, offset + take), this.header.length);
      this.header = header;
      offset += take;
      if (header.length === 4) this.checkMagic();
      if (header.length >= 4 && header.length === 4 + 4 * header[3]!) this.layout = this.readLayout();
    }
    this.received += chunk.length;
    const layout = this.layout;
    if (layout === undefined) return;
    const keep = Math.min(chunk.length - offset, layout.keptBytes - this.keptSoFar);
    if (keep > 0) {
      this.kept.push(chunk.subarray(offset, offset + keep));
      this.keptSoFar += keep;
    }
  }

  private checkMagic(): void {
    const [zero0, zero1, code, rank] = [this.header[0]!, this.header[1]!, this.header[2]!, this.header[3]!];
    if (zero0 !== 0 || zero1 !== 0) {
      throw formatError(
        this.path,
        `bad magic number: expected the first two bytes to be 0x00 0x00, got ${hex2(zero0)} ${hex2(zero1)} (not an IDX file)`,
      );
    }
    if (DTYPES.find((d) => d.code === code) === undefined) {
      throw formatError(
        this.path,
        `bad magic number: unknown type code ${hex2(code)} (expected one of ${DTYPES.map((d) => `${hex2(d.code)} ${d.dtype}`).join(', ')})`,
      );
    }
    if (rank < 1) throw formatError(this.path, 'bad magic number: rank must be >= 1, got 0');
  }

  private readLayout(): IdxLayout {
    const info = DTYPES.find((d) => d.code === this.header[2])!;
    const view = new DataView(this.header.buffer);
    const shape: number[] = [];
    for (let axis = 0; axis < this.header[3]!; axis++) {
      const dim = view.getUint32(4 + 4 * axis, false);
      if (dim === 0) throw formatError(this.path, `dimension ${axis} is 0; every dimension must be > 0`);
      shape.push(dim);
    }
    const dataBytes = shape.reduce((a, b) => a * b, 1) * info.bytes;
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_IDX_BYTES;
    if (dataBytes > maxBytes) {
      throw formatError(
        this.path,
        `its header declares ${shape.join('×')} ${info.dtype}, ${dataBytes} bytes of elements, more than the maximum of ${maxBytes} bytes (maxBytes); refused before reading them`,
      );
    }
    const keptItems = Math.min(this.options.limit ?? shape[0]!, shape[0]!);
    const itemBytes = dataBytes / shape[0]!;
    return {
      info,
      shape,
      headerBytes: this.header.length,
      totalBytes: this.header.length + dataBytes,
      keptItems,
      keptBytes: keptItems * itemBytes,
    };
  }

  /** Checks the length and decodes the kept items; the shape's first dimension is the kept count. */
  finish(): { readonly array: IdxArray; readonly items: number } {
    const layout = this.layout;
    if (this.header.length < 4)
      throw formatError(this.path, `expected at least a 4-byte magic number, got ${this.header.length} bytes`);
    if (layout === undefined) {
      const headerBytes = 4 + 4 * this.header[3]!;
      throw formatError(
        this.path,
        `expected a ${headerBytes}-byte header for rank ${this.header[3]!}, got ${this.header.length} bytes`,
      );
    }
    if (this.received !== layout.totalBytes) {
      throw formatError(
        this.path,
        `expected ${layout.totalBytes} bytes for ${this.declared}, got ${this.received}` +
          (this.received < layout.totalBytes ? ' (truncated)' : ' (trailing bytes)'),
      );
    }
    // One fresh buffer of the kept bytes: the result pins no chunk of the file.
    const bytes = new Uint8Array(layout.keptBytes);
    let at = 0;
    for (const part of this.kept) {
      bytes.set(part, at);
      at += part.length;
    }
    const count = layout.keptBytes / layout.info.bytes;
    return {
      array: {
        dtype: layout.info.dtype,
        shape: [layout.keptItems, ...layout.shape.slice(1)],
        data: decodeElements(new DataView(bytes.buffer), 0, count, layout.info),
      },
      items: layout.shape[0]!,
    };
  }
}

/**
 * Decodes the bytes of an IDX file (already gunzipped). `path` only labels error messages.
 *
 * Layout: bytes 0–1 are zero, byte 2 is the type code, byte 3 the rank r ≥ 1, then r big-endian
 * uint32 dimensions, then prod(dims) big-endian elements.
 *
 * @example
 * const { shape, data } = decodeIdx(bytes, 'labels.idx'); // shape [n], data Uint8Array
 */
export function decodeIdx(bytes: Uint8Array, path: string, options: IdxReadOptions = {}): IdxArray {
  const parser = new IdxParser(path, options);
  parser.feed(bytes);
  return parser.finish().array;
}

function decodeElements(view: DataView, offset: number, count: number, info: DtypeInfo): IdxData {
  switch (info.dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + offset, count);
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + offset, count);
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

/**
 * The shape an IDX file (plain or gzip) declares in its header, `[count, ...sampleShape]`, read
 * from its first bytes without decoding the rest.
 *
 * @example await readIdxShape('train-images-idx3-ubyte'); // [60000, 28, 28]
 */
export async function readIdxShape(path: string): Promise<number[]> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(4096), 0, 4096, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError(path, error);
  }
  if (head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
    try {
      // a prefix of the stream: inflate what is there instead of failing on the missing end
      head = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (error) {
      throw formatError(path, `not readable as gzip (${(error as Error).message})`);
    }
  }
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0) throw formatError(path, 'no IDX magic number');
  const rank = head[3] ?? 0;
  if (head.length < 4 + 4 * rank) throw formatError(path, `header cut short (rank ${rank})`);
  return Array.from({ length: rank }, (_, i) => head.readUInt32BE(4 + 4 * i));
}

/** Whether the file starts with the gzip magic 1f 8b; a missing or unreadable file is an `IO` error. */
async function startsWithGzip(path: string): Promise<boolean> {
  try {
    const handle = await open(path, 'r');
    try {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
      return bytesRead === 2 && buffer[0] === GZIP_MAGIC_0 && buffer[1] === GZIP_MAGIC_1;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw ioError(path, error);
  }
}

const ioError = (path: string, error: unknown): LosslabError => {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'file not found' : (error as Error).message;
  return new LosslabError('IO', `cannot read ${path}: ${reason}`);
};

/**
 * Streams an IDX file (plain or gzip) through an {@link IdxParser} and hashes its stored bytes.
 * Memory holds the kept items and one chunk; a gzip file is decompressed as a stream and stopped
 * as soon as its output passes the size its header declares (a gzip bomb names the file).
 */
async function streamIdx(
  path: string,
  options: IdxReadOptions,
): Promise<{ readonly array: IdxArray; readonly items: number; readonly file: DataFile }> {
  const parser = new IdxParser(path, options);
  const gzip = await startsWithGzip(path);
  // The file's sha256 is known while it is the file hashed before (file-hash.ts): then not hashed again.
  const known = await knownFileSha256(path);
  const hash = known.sha256 === undefined ? createHash('sha256') : undefined;
  const hashed = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash?.update(chunk);
      done(null, chunk);
    },
  });
  // Node 20's pipeline rejects with an AbortError when the last step throws: keep the cause.
  let refusal: LosslabError | undefined;
  const consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
    try {
      for await (const chunk of source) {
        parser.feed(chunk);
        const declared = parser.declaredBytes;
        if (gzip && declared !== undefined && parser.received > declared)
          throw formatError(
            path,
            `decompresses to more than the ${declared} bytes its header declares for ${parser.declared} (trailing bytes); stopped decompressing`,
          );
      }
    } catch (error) {
      if (error instanceof LosslabError) refusal = error;
      throw error;
    }
  };
  try {
    if (gzip) await pipeline(createReadStream(path), hashed, createGunzip(), consume);
    else await pipeline(createReadStream(path), hashed, consume);
  } catch (error) {
    if (refusal !== undefined) throw refusal;
    if (error instanceof LosslabError) throw error;
    if (gzip && String((error as NodeJS.ErrnoException).code).startsWith('Z_'))
      throw formatError(path, `starts with the gzip magic 1f 8b but does not gunzip: ${(error as Error).message}`);
    throw ioError(path, error);
  }
  const array = parser.finish();
  if (hash !== undefined) {
    const sha256 = hash.digest('hex');
    await rememberFileSha256(path, known.identity, sha256);
    return { ...array, file: { path, sha256 } };
  }
  // Replaced or edited while it was read: the bytes read are not those the remembered hash is of.
  const sha256 = (await fileIdentity(path)) === known.identity ? known.sha256! : await fileSha256(path);
  return { ...array, file: { path, sha256 } };
}

/**
 * Reads an IDX file (plain or gzip-compressed; gzip is detected by its magic bytes 1f 8b) as a
 * stream. Multi-byte elements are big-endian on disk and decoded to native typed arrays. With
 * `options.limit`, only the first `limit` items are kept and decoded (the shape's first dimension
 * is then the kept count); `options.maxBytes` bounds what a header may declare.
 *
 * Errors: a missing or unreadable file → `IO`; a bad magic number, a zero dimension, a header
 * declaring more than `maxBytes`, a gzip stream that does not gunzip or gunzips past its header's
 * size, or a file whose length is not header + prod(dims) × element size → `DATA_FORMAT`, naming
 * the path and e.g. `expected 7840016 bytes for 10000×28×28 uint8, got 5000 (truncated)`.
 *
 * @example
 * const images = await readIdx('data/t10k-images-idx3-ubyte');
 * images.shape; // [10000, 28, 28]; images.data is a Uint8Array of 7,840,000 pixels
 */
export async function readIdx(path: string, options: IdxReadOptions = {}): Promise<IdxArray> {
  return (await streamIdx(path, options)).array;
}

/**
 * Reads an IDX file like {@link readIdx} and fingerprints it: `file.sha256` hashes the bytes as
 * stored (a gzip file hashes its compressed bytes, all of them, whatever `limit` keeps), read once.
 * `items` is the first dimension the header declares (the file's count, before `limit`).
 *
 * @example
 * const { array, file } = await readIdxWithFile('data/train-labels-idx1-ubyte');
 */
export async function readIdxWithFile(
  path: string,
  options: IdxReadOptions = {},
): Promise<{ array: IdxArray; file: DataFile; items: number }> {
  return streamIdx(path, options);
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
