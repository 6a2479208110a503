import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decodeNpy, decodeNpz, numpyRows } from '../node.js';

/**
 * A .npy file built by hand as numpy.lib.format lays it out: magic, version, header length
 * (uint16 for 1.0, uint32 for 2.0/3.0), the header dict padded with spaces to a multiple of 64
 * bytes and ended by "\n", then the raw data.
 */
function npyFile(header: string, data: ArrayLike<number>, major = 1): Uint8Array {
  const lengthBytes = major === 1 ? 2 : 4;
  const unpadded = 8 + lengthBytes + header.length + 1;
  const text = header + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const bytes = new Uint8Array(8 + lengthBytes + text.length + data.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(bytes.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  bytes.set(strToU8(text), 8 + lengthBytes);
  bytes.set(data, 8 + lengthBytes + text.length);
  return bytes;
}

const header = (descr: string, shape: string, fortran = 'False') =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

/** Little- or big-endian bytes of `values` written with DataView's setter `set`. */
function bytesOf(values: number[], size: number, set: (view: DataView, at: number, v: number) => void): Uint8Array {
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => set(view, i * size, v));
  return out;
}

describe('decodeNpy', () => {
  it('reads each supported dtype from hand-built bytes, in C order', () => {
    const f4 = decodeNpy(
      npyFile(
        header('<f4', '(2, 3)'),
        bytesOf([1.5, -2, 0.25, 3, 4, 5], 4, (v, at, x) => v.setFloat32(at, x, true)),
      ),
      'f4.npy',
    );
    expect(f4.dtype).toBe('float32');
    expect(f4.shape).toEqual([2, 3]);
    expect(Array.from(f4.values)).toEqual([1.5, -2, 0.25, 3, 4, 5]);

    const f8 = decodeNpy(
      npyFile(
        header('<f8', '(2,)'),
        bytesOf([0.1, -1e300], 8, (v, at, x) => v.setFloat64(at, x, true)),
      ),
      'f8',
    );
    expect([f8.dtype, Array.from(f8.values)]).toEqual(['float64', [0.1, -1e300]]);

    const u1 = decodeNpy(npyFile(header('|u1', '(4,)'), [0, 7, 128, 255]), 'u1');
    expect([u1.dtype, Array.from(u1.values)]).toEqual(['uint8', [0, 7, 128, 255]]);

    const i4 = decodeNpy(
      npyFile(
        header('<i4', '(3,)'),
        bytesOf([-1, 2, 2 ** 31 - 1], 4, (v, at, x) => v.setInt32(at, x, true)),
      ),
      'i4',
    );
    expect([i4.dtype, Array.from(i4.values)]).toEqual(['int32', [-1, 2, 2 ** 31 - 1]]);

    const i8 = decodeNpy(
      npyFile(
        header('<i8', '(3,)'),
        bytesOf([-5, 2 ** 40, 9], 8, (v, at, x) => v.setBigInt64(at, BigInt(x), true)),
      ),
      'i8',
    );
    expect([i8.dtype, Array.from(i8.values)]).toEqual(['int64', [-5, 2 ** 40, 9]]);

    const b1 = decodeNpy(npyFile(header('|b1', '(3,)'), [1, 0, 1]), 'b1');
    expect([b1.dtype, Array.from(b1.values)]).toEqual(['bool', [1, 0, 1]]);
  });

  it('reads big-endian data, versions 2.0 and 3.0, a 0-d shape and a header written with double quotes', () => {
    const big = decodeNpy(npyFile(header('>i4', '(2,)'), [0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]), 'big');
    expect(Array.from(big.values)).toEqual([258, -2]);
    const bigFloat = decodeNpy(
      npyFile(
        header('>f8', '(1,)'),
        bytesOf([Math.PI], 8, (v, at, x) => v.setFloat64(at, x, false)),
      ),
      'bf',
    );
    expect(Array.from(bigFloat.values)).toEqual([Math.PI]);
    for (const major of [2, 3]) {
      const array = decodeNpy(npyFile(header('<i4', '(1, 2)'), [1, 0, 0, 0, 2, 0, 0, 0], major), `v${major}`);
      expect([array.shape, Array.from(array.values)]).toEqual([
        [1, 2],
        [1, 2],
      ]);
    }
    const scalar = decodeNpy(npyFile(header('|u1', '()'), [42]), 'scalar');
    expect([scalar.shape, Array.from(scalar.values)]).toEqual([[], [42]]);
    const quoted = decodeNpy(npyFile('{"descr": "|u1", "fortran_order": False, "shape": (1,)}', [3]), 'q');
    expect(Array.from(quoted.values)).toEqual([3]);
  });

  it('refuses by name: Fortran order, object arrays, structured and other dtypes, bad magic or version, wrong lengths', () => {
    const four = [0, 0, 0, 0];
    expect(() => decodeNpy(npyFile(header('<f4', '(1,)', 'True'), four), 'F.npy')).toThrow(
      /NumPy file F\.npy: the array is in Fortran order \(fortran_order: True\)/,
    );
    expect(() => decodeNpy(npyFile(header('|O', '(1,)'), [0, 0, 0, 0, 0, 0, 0, 0]), 'obj.npy')).toThrow(
      /obj\.npy: descr '\|O' is an object array/,
    );
    expect(() =>
      decodeNpy(npyFile("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", four), 's'),
    ).toThrow(/descr \[\["a","<f4"\]\] is a structured dtype/);
    expect(() => decodeNpy(npyFile(header('<f2', '(2,)'), four), 'half.npy')).toThrow(
      /half\.npy: descr '<f2' is not a supported dtype; expected one of float32/,
    );
    expect(() => decodeNpy(npyFile(header('<U3', '(1,)'), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'u')).toThrow(
      /'<U3' is not a supported/,
    );
    expect(() => decodeNpy(Uint8Array.from([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0, 0]), 'zip.npy')).toThrow(
      /zip\.npy: not a \.npy file/,
    );
    expect(() => decodeNpy(npyFile(header('<f4', '(1,)'), four, 4), 'v4')).toThrow(/format version 4\.0 is not one of/);
    expect(() => decodeNpy(npyFile(header('<f4', '(2,)'), four), 'short.npy')).toThrow(
      /short\.npy: shape \(2\) of float32 needs 8 data bytes, the file has 4/,
    );
    expect(() => decodeNpy(npyFile(header('|b1', '(2,)'), [1, 2]), 'b')).toThrow(/bool value 2 at index 1/);
    expect(() => decodeNpy(npyFile("{'descr': '<f4', 'shape': (1,)", four), 'cut')).toThrow(/unreadable header/);
    expect(() =>
      decodeNpy(
        npyFile(
          header('<i8', '(1,)'),
          bytesOf([0], 8, (v, at) => v.setBigInt64(at, 2n ** 60n, true)),
        ),
        'huge',
      ),
    ).toThrow(/int64 value 1152921504606846976 at index 0 is beyond ±2\^53/);
  });
});

describe('decodeNpz and numpyRows', () => {
  const x = npyFile(
    header('<f4', '(3, 2)'),
    bytesOf([0, 1, 2, 3, 4, 5], 4, (v, at, n) => v.setFloat32(at, n, true)),
  );
  const ids = npyFile(
    header('<i8', '(3,)'),
    bytesOf([2, 0, 1], 8, (v, at, n) => v.setBigInt64(at, BigInt(n), true)),
  );
  const oneHot = npyFile(header('|u1', '(3, 3)'), [0, 0, 1, 1, 0, 0, 0, 1, 0]);

  it('reads named members of stored and deflated archives; rows from class ids and from one-hot rows agree', () => {
    for (const level of [0, 6] as const) {
      const archive = zipSync({ 'x.npy': x, 'ids.npy': ids, 'hot.npy': oneHot }, { level });
      const arrays = decodeNpz(archive, 'table.npz', ['x', 'ids', 'hot.npy']);
      const fromIds = numpyRows(arrays.x!, arrays.ids!, { x: 'x', y: 'ids' }, { divideBy: 2 });
      expect(fromIds.featureShape).toEqual([2]);
      expect(Array.from(fromIds.features)).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
      expect(Array.from(fromIds.classIds)).toEqual([2, 0, 1]);
      expect(numpyRows(arrays.x!, arrays['hot.npy']!, { x: 'x', y: 'hot' }).classIds).toEqual(fromIds.classIds);
    }
  });

  it('names the missing array, a non-zip file, labels that are neither ids nor one-hot, and a row-count mismatch', () => {
    const archive = zipSync({ 'x.npy': x, 'ids.npy': ids });
    expect(() => decodeNpz(archive, 'table.npz', ['x_train'])).toThrow(
      'NumPy file table.npz: has no array "x_train"; its arrays are "x", "ids"',
    );
    expect(() => decodeNpz(strToU8('not a zip'), 'bad.npz', ['x'])).toThrow(
      /bad\.npz: not a readable \.npz \(zip\) archive/,
    );
    const arrays = decodeNpz(archive, 't', ['x', 'ids']);
    const fraction = decodeNpy(
      npyFile(
        header('<f4', '(3,)'),
        bytesOf([0, 0.5, 1], 4, (v, at, n) => v.setFloat32(at, n, true)),
      ),
      'f',
    );
    expect(() => numpyRows(arrays.x!, fraction, { x: 'x', y: 'y.npy' })).toThrow(
      'y.npy: row 1: class id 0.5 is not an integer ≥ 0',
    );
    const twoHot = decodeNpy(npyFile(header('|u1', '(3, 2)'), [1, 1, 0, 1, 1, 0]), 'h');
    expect(() => numpyRows(arrays.x!, twoHot, { x: 'x', y: 'hot.npy' })).toThrow(
      'hot.npy: row 0 [1, 1] is not a one-hot row',
    );
    const two = decodeNpy(npyFile(header('|u1', '(2,)'), [0, 1]), 'two');
    expect(() => numpyRows(arrays.x!, two, { x: 'x.npy', y: 'two.npy' })).toThrow(
      'two.npy: 2 labels for the 3 rows of x.npy',
    );
  });
});
