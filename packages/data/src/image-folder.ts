import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { LosslabError, sha256Hex } from '@losslab/runtime';
import { sha256Of } from './file-hash.js';
import { checkRows, type LabelledRows } from './rows.js';

/**
 * Folders of images, one sub-folder per class (`<split folder>/<class name>/*.png|jpg|jpeg`), as
 * Keras' `image_dataset_from_directory` and torchvision's `ImageFolder` read them. Decoding is
 * pure JavaScript (pngjs, jpeg-js): nothing native to build or install.
 */

/** How an image of another size becomes the declared size. */
export type ImageResize = 'nearest' | 'bilinear';

/** Options of {@link readImageFolder}. */
export interface ImageFolderOptions {
  /** [height, width] of every image; without it every image must have the size of the first. */
  readonly size?: readonly [number, number] | undefined;
  /** 1: grayscale (ITU-R BT.601 luma of RGB), 3: RGB; an alpha channel is dropped. */
  readonly channels: 1 | 3;
  /** Resize images of another size; without it such an image is an error. */
  readonly resize?: ImageResize | undefined;
  /** Pixel values are divided by this (255 gives [0, 1]); default 1. */
  readonly divideBy?: number;
}

/** What {@link readImageFolder} read: rows shaped [height, width, channels], and a fingerprint. */
export interface ImageFolderSplit {
  readonly rows: LabelledRows;
  /** sha256 over the list of (path relative to the folder, sha256 of its bytes). */
  readonly fingerprint: string;
  readonly files: number;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

const folderError = (what: string): LosslabError => new LosslabError('DATA_FORMAT', what);

/** Code-point order, as Python's `sorted` (and so Keras and torchvision) orders class folders. */
const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Hidden entries (`.DS_Store`, `.git`) are skipped, as every image-folder reader does. */
const visible = (name: string): boolean => !name.startsWith('.');

async function entriesOf(folder: string) {
  try {
    return (await readdir(folder, { withFileTypes: true })).filter((e) => visible(e.name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LosslabError(
      'IO',
      `image folder ${folder}: ${code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'not a folder' : (error as Error).message}`,
    );
  }
}

/**
 * The class names of an image folder: its sub-folders in code-point order, or `declared` (whose
 * order then gives the class ids) when they are the same set. A file beside the class folders is
 * an error, and so is a declared class without a folder or a folder not declared.
 *
 * @example
 * await imageFolderClasses('images/train'); // ['bars', 'dots', 'rings']
 */
export async function imageFolderClasses(folder: string, declared?: readonly string[]): Promise<string[]> {
  const entries = await entriesOf(folder);
  const stray = entries.find((e) => !e.isDirectory());
  if (stray !== undefined)
    throw folderError(`image folder ${folder}: ${stray.name} is a file; expected only one sub-folder per class`);
  const found = entries.map((e) => e.name).sort(byCodePoint);
  if (found.length === 0)
    throw folderError(`image folder ${folder}: no class folders (expected <class name>/*.png|jpg)`);
  if (declared === undefined) return found;
  const missing = declared.filter((name) => !found.includes(name));
  const extra = found.filter((name) => !declared.includes(name));
  if (missing.length > 0 || extra.length > 0)
    throw folderError(
      `image folder ${folder}: its class folders [${found.join(', ')}] are not the declared classes [${declared.join(', ')}]${missing.length > 0 ? `; no folder for ${missing.join(', ')}` : ''}${extra.length > 0 ? `; not declared: ${extra.join(', ')}` : ''}`,
    );
  return [...declared];
}

interface Decoded {
  readonly width: number;
  readonly height: number;
  /** RGBA, 8 bits per channel, row-major. */
  readonly rgba: Uint8Array;
}

function decodeImage(bytes: Uint8Array, path: string): Decoded {
  const png = extname(path).toLowerCase() === '.png';
  try {
    if (png) {
      const image = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: image.width, height: image.height, rgba: new Uint8Array(image.data) };
    }
    // tolerantDecoding off: a truncated or damaged JPEG is an error, not a half-grey image.
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
    return { width: image.width, height: image.height, rgba: image.data };
  } catch (error) {
    throw new LosslabError(
      'DATA_FORMAT',
      `${path}: not a readable ${png ? 'PNG' : 'JPEG'} image (${(error as Error).message || String(error)})`,
    );
  }
}

/**
 * `rgba` (height × width × 4) resized to `to` = [height, width]: `nearest` takes the source pixel
 * under each target pixel's centre, `bilinear` interpolates the four around it (half-pixel
 * centres, edges clamped; TF's `resize` with `half_pixel_centers`).
 */
function resizeRgba(image: Decoded, to: readonly [number, number], method: ImageResize): Float32Array {
  const [height, width] = to;
  const out = new Float32Array(height * width * 4);
  const scaleY = image.height / height;
  const scaleX = image.width / width;
  const at = (y: number, x: number, c: number) => image.rgba[(y * image.width + x) * 4 + c]!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let value: number;
        if (method === 'nearest') {
          value = at(
            Math.min(image.height - 1, Math.floor((y + 0.5) * scaleY)),
            Math.min(image.width - 1, Math.floor((x + 0.5) * scaleX)),
            c,
          );
        } else {
          const sy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), image.height - 1);
          const sx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), image.width - 1);
          const y0 = Math.floor(sy);
          const x0 = Math.floor(sx);
          const y1 = Math.min(y0 + 1, image.height - 1);
          const x1 = Math.min(x0 + 1, image.width - 1);
          const fy = sy - y0;
          const fx = sx - x0;
          const top = at(y0, x0, c) * (1 - fx) + at(y0, x1, c) * fx;
          const bottom = at(y1, x0, c) * (1 - fx) + at(y1, x1, c) * fx;
          value = top * (1 - fy) + bottom * fy;
        }
        out[(y * width + x) * 4 + c] = value;
      }
    }
  }
  return out;
}

/** Writes `pixels` (RGBA) into `out` as `channels` values per pixel, divided by `divideBy`. */
function writeChannels(pixels: ArrayLike<number>, channels: 1 | 3, divideBy: number, out: Float32Array, at: number) {
  const count = pixels.length / 4;
  for (let p = 0; p < count; p++) {
    const r = pixels[p * 4]!;
    const g = pixels[p * 4 + 1]!;
    const b = pixels[p * 4 + 2]!;
    if (channels === 1) {
      // Integer weights (as Pillow's "L"): a grey pixel (r = g = b) keeps its exact value.
      out[at + p] = (r * 299 + g * 587 + b * 114) / 1000 / divideBy;
    } else {
      out[at + p * 3] = r / divideBy;
      out[at + p * 3 + 1] = g / divideBy;
      out[at + p * 3 + 2] = b / divideBy;
    }
  }
}

/**
 * Reads `folder/<class>/*.png|jpg|jpeg` for each class of `classes` (class id = its index) into
 * rows shaped [height, width, channels], classes in order and files by name within each. Every
 * class sub-folder present must be one of `classes` (a class may be absent, as in a small test
 * split). An unreadable or corrupt image stops with its path; so do an empty class folder, a file
 * that is not a .png/.jpg/.jpeg image, and an image of another size when no `resize` is declared.
 *
 * @example
 * const { rows } = await readImageFolder('images/train', ['bars', 'dots'], { size: [12, 12], channels: 1, divideBy: 255 });
 * rows.featureShape; // [12, 12, 1]
 */
export async function readImageFolder(
  folder: string,
  classes: readonly string[],
  options: ImageFolderOptions,
): Promise<ImageFolderSplit> {
  const divideBy = options.divideBy ?? 1;
  const entries = await entriesOf(folder);
  const files: { path: string; relative: string; classId: number }[] = [];
  for (const entry of entries.sort((a, b) => byCodePoint(a.name, b.name))) {
    if (!entry.isDirectory())
      throw folderError(`image folder ${folder}: ${entry.name} is a file; expected only one sub-folder per class`);
    const classId = classes.indexOf(entry.name);
    if (classId < 0)
      throw folderError(
        `image folder ${folder}: class folder "${entry.name}" is not one of the classes [${classes.join(', ')}]`,
      );
    const classFolder = join(folder, entry.name);
    const names = (await entriesOf(classFolder)).map((e) => e.name).sort(byCodePoint);
    if (names.length === 0) throw folderError(`image folder ${classFolder}: the class folder "${entry.name}" is empty`);
    for (const name of names) {
      const path = join(classFolder, name);
      if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase()))
        throw folderError(`${path}: not an image file (expected .png, .jpg or .jpeg)`);
      files.push({ path, relative: `${entry.name}/${name}`, classId });
    }
  }
  files.sort((a, b) => a.classId - b.classId || byCodePoint(a.relative, b.relative));
  let size = options.size;
  let sizeFrom = 'size';
  let features = new Float32Array(0);
  const hashes: [string, string][] = [];
  for (const [row, file] of files.entries()) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file.path);
    } catch (error) {
      throw new LosslabError('IO', `cannot read ${file.path}: ${(error as Error).message}`);
    }
    hashes.push([file.relative, sha256Of(bytes)]);
    const image = decodeImage(bytes, file.path);
    if (size === undefined) {
      size = [image.height, image.width];
      sizeFrom = `the first image, ${files[0]!.path}`;
    }
    const [height, width] = size;
    if (row === 0) features = new Float32Array(files.length * height * width * options.channels);
    let pixels: ArrayLike<number> = image.rgba;
    if (image.height !== height || image.width !== width) {
      if (options.resize === undefined)
        throw folderError(
          `${file.path}: ${image.height}×${image.width} pixels (height × width), but ${sizeFrom} is ${height}×${width}; declare resize ("bilinear" or "nearest") to resize mixed sizes`,
        );
      pixels = resizeRgba(image, size, options.resize);
    }
    writeChannels(pixels, options.channels, divideBy, features, row * height * width * options.channels);
  }
  const [height = 1, width = 1] = size ?? [];
  const rows: LabelledRows = {
    features,
    featureShape: [height, width, options.channels],
    classIds: Int32Array.from(files, (f) => f.classId),
    columns: {},
    size: files.length,
  };
  if (files.length === 0) throw folderError(`image folder ${folder}: no images`);
  checkRows(rows, folder);
  return { rows, fingerprint: sha256Hex(JSON.stringify(hashes)), files: files.length };
}
