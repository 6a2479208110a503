import { unzipSync } from 'fflate';
import { LosslabError } from '@losslab/runtime';

/**
 * NumPy's `.npy` format (numpy.lib.format, versions 1.0, 2.0 and 3.0) and `.npz` archives of
 * them. Only plain numeric arrays in C order are read: float32, float64, uint8, int32, int64 and
 * bool, either byte order. Fortran-ordered, object and structured arrays are refused by name.
 */

/** The dtypes losslab reads, named as NumPy names them. */
export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64' | 'bool';

/** A decoded array: its values in C (row-major) order; int64 values become exact doubles. */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly values: Float32Array | Float64Array | Uint8Array | Int32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

// descr type code (without the byte-order character) → dtype and item size.
const TYPES: Readonly<Record<string, { dtype: NpyDtype; bytes: number }>> = {
  f4: { dtype: 'float32', bytes: 4 },
  f8: { dtype: 'float64', bytes: 8 },
  u1: { dtype: 'uint8', bytes: 1 },
  i4: { dtype: 'int32', bytes: 4 },
  i8: { dtype: 'int64', bytes: 8 },
  b1: { dtype: 'bool', bytes: 1 },
};

const formatError = (path: string, what: string): LosslabError =>
  new LosslabError('DATA_FORMAT', `NumPy file ${path}: ${what}`);

/** A value of the header's Python literal: a string, a boolean, an integer or a tuple/list of them. */
type PyValue = string | boolean | number | readonly PyValue[] | { readonly [key: string]: PyValue };

/**
 * Parses the header dictionary, a Python literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` (what `repr` of a dict writes).
 */
function parseHeader(text: string, path: string): Record<string, PyValue> {
  let at = 0;
  const fail = (what: string): never => {
    throw formatError(path, `unreadable header ${JSON.stringify(text.trim())}: ${what} at character ${at}`);
  };
  const space = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const value = (): PyValue => {
    space();
    const char = text[at];
    if (char === "'" || char === '"') {
      const end = text.indexOf(char, at + 1);
      if (end < 0) fail('an unterminated string');
      const string = text.slice(at + 1, end);
      at = end + 1;
      return string;
    }
    if (char === '(' || char === '[') return sequence(char === '(' ? ')' : ']');
    if (char === '{') return dict();
    const word = /^(True|False|-?\d+L?)/.exec(text.slice(at));
    if (word === null) return fail('an unexpected value');
    at += word[0].length;
    if (word[0] === 'True' || word[0] === 'False') return word[0] === 'True';
    return Number.parseInt(word[0], 10);
  };
  const sequence = (close: string): PyValue[] => {
    at++;
    const items: PyValue[] = [];
    for (;;) {
      space();
      if (text[at] === close) break;
      items.push(value());
      space();
      if (text[at] === ',') at++;
      else if (text[at] !== close) fail(`expected "," or "${close}"`);
    }
    at++;
    return items;
  };
  const dict = (): Record<string, PyValue> => {
    at++;
    const entries: Record<string, PyValue> = {};
    for (;;) {
      space();
      if (text[at] === '}') break;
      const key = value();
      if (typeof key !== 'string') fail('a key that is not a string');
      space();
      if (text[at] !== ':') fail('expected ":"');
      at++;
      entries[key as string] = value();
      space();
      if (text[at] === ',') at++;
      else if (text[at] !== '}') fail('expected "," or "}"');
    }
    at++;
    return entries;
  };
  space();
  if (text[at] !== '{') fail('expected a dictionary');
  const header = dict();
  space();
  if (at !== text.length) fail('extra text after the dictionary');
  return header;
}

/** Reads an int64 as an exact double, refusing values beyond ±2^53. */
function int64Values(view: DataView, count: number, little: boolean, path: string): Float64Array {
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const big = view.getBigInt64(i * 8, little);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(-Number.MAX_SAFE_INTEGER))
      throw formatError(path, `int64 value ${big} at index ${i} is beyond ±2^53 and cannot be held exactly`);
    values[i] = Number(big);
  }
  return values;
}

/**
 * Decodes the bytes of a `.npy` file; errors are `DATA_FORMAT` and name `path` and what is wrong
 * (the magic, the version, the header, a refused dtype or order, a length that does not match
 * the shape).
 *
 * @example
 * const { dtype, shape, values } = decodeNpy(bytes, 'x_train.npy'); // 'float32', [100, 4], Float32Array(400)
 */
export function decodeNpy(bytes: Uint8Array, path: string): NpyArray {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte))
    throw formatError(path, 'not a .npy file (it does not start with "\\x93NUMPY")');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (![1, 2, 3].includes(major) || minor !== 0)
    throw formatError(path, `format version ${major}.${minor} is not one of 1.0, 2.0, 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw formatError(path, 'the header length is cut off');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = 8 + lengthBytes + headerLength;
  if (dataStart > bytes.length)
    throw formatError(path, `the header claims ${headerLength} bytes but the file has ${bytes.length} in all`);
  // Versions 1.0 and 2.0 write latin-1 (ASCII in practice), 3.0 UTF-8.
  const headerBytes = bytes.subarray(8 + lengthBytes, dataStart);
  const text =
    major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : String.fromCharCode(...Array.from(headerBytes));
  const header = parseHeader(text, path);
  const { descr, fortran_order: fortran, shape } = header;
  if (typeof descr !== 'string')
    throw formatError(
      path,
      `descr ${JSON.stringify(descr)} is a structured dtype; expected one of ${Object.values(TYPES)
        .map((t) => t.dtype)
        .join(', ')}`,
    );
  if (fortran !== false) {
    throw formatError(
      path,
      fortran === true
        ? 'the array is in Fortran order (fortran_order: True); save it in C order (numpy.ascontiguousarray) first'
        : `fortran_order: expected True or False, got ${JSON.stringify(fortran)}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0))
    throw formatError(path, `shape: expected a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  const order = descr[0];
  const code = descr.slice(1);
  if (code === 'O' || descr === 'O')
    throw formatError(path, `descr '${descr}' is an object array (pickled Python objects), which losslab never reads`);
  const type = TYPES[code];
  if (type === undefined || !(order === '<' || order === '>' || order === '|' || order === '='))
    throw formatError(
      path,
      `descr '${descr}' is not a supported dtype; expected one of ${Object.entries(TYPES)
        .map(([c, t]) => `${t.dtype} ('<${c}')`)
        .join(', ')}`,
    );
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = count * type.bytes;
  const actual = bytes.length - dataStart;
  if (actual !== expected)
    throw formatError(
      path,
      `shape (${shape.join(', ')}) of ${type.dtype} needs ${expected} data bytes, the file has ${actual}`,
    );
  // '=' is the writer's native order; every platform NumPy writes from in practice is little-endian.
  const little = order !== '>';
  const data = new DataView(bytes.buffer, bytes.byteOffset + dataStart, expected);
  let values: NpyArray['values'];
  switch (type.dtype) {
    case 'uint8':
    case 'bool':
      values = bytes.slice(dataStart, dataStart + expected);
      if (type.dtype === 'bool') {
        const bad = values.findIndex((v) => v > 1);
        if (bad >= 0) throw formatError(path, `bool value ${values[bad]} at index ${bad} is neither 0 nor 1`);
      }
      break;
    case 'float32':
      values = Float32Array.from({ length: count }, (_, i) => data.getFloat32(i * 4, little));
      break;
    case 'float64':
      values = Float64Array.from({ length: count }, (_, i) => data.getFloat64(i * 8, little));
      break;
    case 'int32':
      values = Int32Array.from({ length: count }, (_, i) => data.getInt32(i * 4, little));
      break;
    case 'int64':
      values = int64Values(data, count, little, path);
      break;
  }
  return { dtype: type.dtype, shape: [...shape], values };
}

/**
 * Decodes the arrays `names` of a `.npz` archive (what `numpy.savez` and `savez_compressed`
 * write: a zip of `<name>.npy` members, stored or deflated); a name may be given with or without
 * `.npy`. A missing member is an error that lists the archive's arrays.
 *
 * @example
 * const { x_train, y_train } = decodeNpz(bytes, 'table.npz', ['x_train', 'y_train']);
 */
export function decodeNpz(bytes: Uint8Array, path: string, names: readonly string[]): Record<string, NpyArray> {
  const member = (name: string) => (name.endsWith('.npy') ? name : `${name}.npy`);
  const wanted = new Set(names.map(member));
  let files: Record<string, Uint8Array>;
  const all: string[] = [];
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        all.push(file.name);
        return wanted.has(file.name);
      },
    });
  } catch (error) {
    throw formatError(path, `not a readable .npz (zip) archive: ${(error as Error).message}`);
  }
  const arrays: Record<string, NpyArray> = {};
  for (const name of names) {
    const file = files[member(name)];
    if (file === undefined)
      throw formatError(
        path,
        `has no array "${name}"; its arrays are ${all.map((n) => `"${n.replace(/\.npy$/, '')}"`).join(', ') || 'none'}`,
      );
    arrays[name] = decodeNpy(file, `${path}:${member(name)}`);
  }
  return arrays;
}
