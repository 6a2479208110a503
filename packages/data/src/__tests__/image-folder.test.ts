import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryFolders } from '@losslab/test-utils';
import { jpegBytes, pngBytes, writeShapeImages } from '@losslab/test-utils/images';
import { imageFolderClasses, readImageFolder } from '../node.js';

const folders = temporaryFolders('losslab-images-');

describe('readImageFolder', () => {
  it('reads PNG (grayscale and RGB) and JPEG images per class in sorted order, shaped [h, w, c]', async () => {
    const root = folders.make();
    writeShapeImages(root);
    const classes = await imageFolderClasses(join(root, 'train'));
    expect(classes).toEqual(['bars', 'dots', 'rings']);
    const rgb = await readImageFolder(join(root, 'train'), classes, { channels: 3, size: [12, 12] });
    expect(rgb.rows.featureShape).toEqual([12, 12, 3]);
    expect(Array.from(rgb.rows.classIds)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    // bars-1.png is RGB: pixel (0, 0) of image 1 is on ((0 + 1) % 4 < 2) → [250, 230, 230]
    const at = (row: number, y: number, x: number) =>
      Array.from(rgb.rows.features.subarray((row * 144 + y * 12 + x) * 3, (row * 144 + y * 12 + x) * 3 + 3));
    expect(at(1, 0, 0)).toEqual([250, 230, 230]);
    // bars-0.png is grayscale, written from the red value: (0, 0) on → 250 in every channel; (0, 2) off → 10
    expect(at(0, 0, 0)).toEqual([250, 250, 250]);
    expect(at(0, 0, 2)).toEqual([10, 10, 10]);
    // bars-2.jpg is lossy: close to [250, 220, 230] where on ((0 + 2) % 4 < 2 is false at x = 0; x = 2 is on)
    at(2, 0, 2).forEach((value, c) => expect(Math.abs(value - [250, 220, 230][c]!)).toBeLessThan(16));

    const gray = await readImageFolder(join(root, 'train'), classes, { channels: 1, divideBy: 255 });
    expect(gray.rows.featureShape).toEqual([12, 12, 1]);
    // RGB → luma (299 R + 587 G + 114 B) / 1000
    expect(gray.rows.features[144]).toBeCloseTo((250 * 299 + 230 * 587 + 230 * 114) / 1000 / 255, 6);
    expect(gray.rows.features[0]).toBeCloseTo(250 / 255, 6);
  });

  it('the fingerprint covers the file list and the bytes', async () => {
    const root = folders.make();
    writeShapeImages(root);
    const read = () => readImageFolder(join(root, 'test'), ['bars', 'dots', 'rings'], { channels: 1 });
    const first = (await read()).fingerprint;
    expect((await read()).fingerprint).toBe(first);
    writeFileSync(
      join(root, 'test', 'dots', 'dots-0.png'),
      pngBytes(12, 12, () => [1, 2, 3], true),
    );
    const changed = (await read()).fingerprint;
    expect(changed).not.toBe(first);
    rmSync(join(root, 'test', 'dots', 'dots-1.png'));
    expect((await read()).fingerprint).not.toBe(changed);
  });

  it('resizes only when declared: nearest and bilinear', async () => {
    const root = folders.make();
    mkdirSync(join(root, 'a'), { recursive: true });
    // 2×4 image: columns 0..3 of values 0, 40, 80, 120
    writeFileSync(
      join(root, 'a', 'x.png'),
      pngBytes(4, 2, (_y, x) => [40 * x, 0, 0], true),
    );
    const size: [number, number] = [1, 2];
    await expect(readImageFolder(root, ['a'], { channels: 1, size })).rejects.toThrow(
      `${join(root, 'a', 'x.png')}: 2×4 pixels (height × width), but size is 1×2; declare resize ("bilinear" or "nearest") to resize mixed sizes`,
    );
    const nearest = await readImageFolder(root, ['a'], { channels: 1, size, resize: 'nearest' });
    // target x = 0, 1 centres map to source 1 and 3
    expect(Array.from(nearest.rows.features)).toEqual([40, 120]);
    const bilinear = await readImageFolder(root, ['a'], { channels: 1, size, resize: 'bilinear' });
    // source x = (0.5 · 2) − 0.5 = 0.5 → (0 + 40) / 2; 2.5 → (80 + 120) / 2
    expect(Array.from(bilinear.rows.features)).toEqual([20, 100]);
  });

  it('stops with a clear message: corrupt image (its path), empty class, stray file, mixed sizes, unknown class', async () => {
    const root = folders.make();
    writeShapeImages(root);
    const train = join(root, 'train');
    const classes = ['bars', 'dots', 'rings'];
    const corrupt = join(train, 'dots', 'broken.png');
    writeFileSync(corrupt, 'not a png at all');
    await expect(readImageFolder(train, classes, { channels: 1 })).rejects.toThrow(
      `${corrupt}: not a readable PNG image`,
    );
    const truncated = join(train, 'dots', 'broken.png');
    const jpegFile = join(train, 'dots', 'cut.jpg');
    rmSync(truncated);
    writeFileSync(jpegFile, jpegBytes(12, 12, () => [1, 2, 3]).subarray(0, 200));
    await expect(readImageFolder(train, classes, { channels: 1 })).rejects.toThrow(
      `${jpegFile}: not a readable JPEG image`,
    );
    rmSync(jpegFile);

    mkdirSync(join(train, 'empty'));
    await expect(readImageFolder(train, [...classes, 'empty'], { channels: 1 })).rejects.toThrow(
      `image folder ${join(train, 'empty')}: the class folder "empty" is empty`,
    );
    await expect(readImageFolder(train, classes, { channels: 1 })).rejects.toThrow(
      `image folder ${train}: class folder "empty" is not one of the classes [bars, dots, rings]`,
    );
    rmSync(join(train, 'empty'), { recursive: true });

    writeFileSync(join(train, 'rings', 'notes.txt'), 'hello');
    await expect(readImageFolder(train, classes, { channels: 1 })).rejects.toThrow(
      `${join(train, 'rings', 'notes.txt')}: not an image file (expected .png, .jpg or .jpeg)`,
    );
    rmSync(join(train, 'rings', 'notes.txt'));
    writeFileSync(join(train, '.DS_Store'), 'hidden files are skipped');
    writeFileSync(join(train, 'labels.csv'), 'a,b');
    await expect(imageFolderClasses(train)).rejects.toThrow(
      `image folder ${train}: labels.csv is a file; expected only one sub-folder per class`,
    );
    rmSync(join(train, 'labels.csv'));

    writeFileSync(
      join(train, 'rings', 'rings-9.png'),
      pngBytes(14, 12, () => [0, 0, 0], true),
    );
    await expect(readImageFolder(train, classes, { channels: 1 })).rejects.toThrow(
      `${join(train, 'rings', 'rings-9.png')}: 12×14 pixels (height × width), but the first image, ${join(train, 'bars', 'bars-0.png')} is 12×12; declare resize`,
    );
    await expect(imageFolderClasses(train, ['bars', 'dots'])).rejects.toThrow(
      `image folder ${train}: its class folders [bars, dots, rings] are not the declared classes [bars, dots]; not declared: rings`,
    );
    expect(await imageFolderClasses(train, ['rings', 'bars', 'dots'])).toEqual(['rings', 'bars', 'dots']);
    await expect(imageFolderClasses(join(root, 'nowhere'))).rejects.toThrow(
      `image folder ${join(root, 'nowhere')}: no such folder`,
    );
  });
});
