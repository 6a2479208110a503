import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

/**
 * Test fixtures written as users' files are: PNG and JPEG images in class folders, and NumPy
 * `.npy`/`.npz` files (headers written by hand from the format description, no Python).
 */

/** An RGB colour for pixel (y, x). */
export type PixelOf = (y: number, x: number) => readonly [number, number, number];

const rgba = (width: number, height: number, pixel: PixelOf): Buffer => {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(y, x);
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  return data;
};

/** A PNG file's bytes: 8-bit grayscale (colour type 0, from the red value) or RGB (colour type 2). */
export function pngBytes(width: number, height: number, pixel: PixelOf, gray: boolean): Uint8Array {
  const png = new pngjs.PNG({ width, height });
  png.data = rgba(width, height, gray ? (y, x) => Array(3).fill(pixel(y, x)[0]) as [number, number, number] : pixel);
  return pngjs.PNG.sync.write(png, { colorType: gray ? 0 : 2, inputColorType: 6, inputHasAlpha: true });
}

/** A baseline JPEG file's bytes (quality 95). */
export const jpegBytes = (width: number, height: number, pixel: PixelOf): Uint8Array =>
  jpeg.encode({ width, height, data: rgba(width, height, pixel) }, 95).data;

/** The three classes of {@link writeShapeImages}: their pattern at (y, x) for image number `n`. */
const SHAPES: Record<string, (y: number, x: number, n: number) => boolean> = {
  bars: (_y, x, n) => (x + n) % 4 < 2,
  dots: (y, x, n) => (y + n) % 4 === 1 && (x + n) % 4 === 1,
  rings: (y, x, n) => {
    const r = Math.hypot(y - 5.5, x - 5.5);
    return r > 2 + (n % 2) && r < 4 + (n % 2);
  },
};

/**
 * Writes `root/<split>/<class>/…` for the classes bars, dots and rings: per class `perClass`
 * 12×12 images, alternately a grayscale PNG, an RGB PNG and a JPEG (`test` gets 2 per class).
 * Returns the class names in folder order.
 */
export function writeShapeImages(root: string, perClass = 3): string[] {
  for (const [split, count] of [
    ['train', perClass],
    ['test', 2],
  ] as const) {
    for (const [name, on] of Object.entries(SHAPES)) {
      const folder = join(root, split, name);
      mkdirSync(folder, { recursive: true });
      for (let n = 0; n < count; n++) {
        const pixel: PixelOf = (y, x) => (on(y, x, n) ? [250, 240 - 10 * n, 230] : [10, 20, 30 + n]);
        const file = join(folder, `${name}-${n}`);
        if (n % 3 === 2) writeFileSync(`${file}.jpg`, jpegBytes(12, 12, pixel));
        else writeFileSync(`${file}.png`, pngBytes(12, 12, pixel, n % 3 === 0));
      }
    }
  }
  return Object.keys(SHAPES);
}

/** A `.npy` file (format 1.0) of little-endian `descr` values in C order. */
export function npyBytes(
  descr: '<f4' | '<i8' | '|u1',
  shape: readonly number[],
  values: readonly number[],
): Uint8Array {
  const size = descr === '<f4' ? 4 : descr === '<i8' ? 8 : 1;
  const data = new Uint8Array(values.length * size);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => {
    if (descr === '<f4') view.setFloat32(i * 4, v, true);
    else if (descr === '<i8') view.setBigInt64(i * 8, BigInt(v), true);
    else view.setUint8(i, v);
  });
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces to 64 bytes, then "\n"
  const header = dict + ' '.repeat((64 - ((10 + dict.length + 1) % 64)) % 64) + '\n';
  const bytes = new Uint8Array(10 + header.length + data.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(bytes.buffer).setUint16(8, header.length, true);
  bytes.set(strToU8(header), 10);
  bytes.set(data, 10 + header.length);
  return bytes;
}

/** A `.npz` archive (deflated, as `numpy.savez_compressed` writes) of `<name>.npy` members. */
export const npzBytes = (arrays: Readonly<Record<string, Uint8Array>>): Uint8Array =>
  zipSync(Object.fromEntries(Object.entries(arrays).map(([name, bytes]) => [`${name}.npy`, bytes])), { level: 6 });
