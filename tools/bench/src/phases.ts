/**
 * The data-side phases of the mnist-odd command, measured in one process: reading and parsing the
 * MNIST IDX files (including their sha256 fingerprints), the sha256 alone, pixel scaling, label
 * assembly, and the code fingerprint; and how much of the scaling is the first touch of its output
 * (`scaleFirstTouch`). Prints one JSON line (seconds).
 */
import { readFileSync } from 'node:fs';
import { combineLabels, oneHot, scalePixels } from '@losslab/data';
import { loadMnist, mnistFiles } from '@losslab/data/node';
import { codeFingerprint } from '@losslab/experiment';
import { labelLayout, sha256Hex } from '@losslab/runtime';

const time = async <T>(body: () => T | Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await body();
  return [value, (performance.now() - started) / 1000];
};

const [train, readAndParse] = await time(() => loadMnist({ split: 'train' }));
const files = mnistFiles({ split: 'train' });
const [, sha256] = await time(() => [files.images, files.labels].map((f) => sha256Hex(readFileSync(f))));
const [, scale] = await time(() => scalePixels(train.images));
// How much of the scaling is the first touch of its fresh 4-bytes-per-pixel output (page faults),
// which no loop over the pixels avoids: writing zeros into an array of the same size.
const [, scaleFirstTouch] = await time(() => new Float32Array(train.images.length).fill(0));
const layout = labelLayout({ digit: 10, isOdd: 1 });
const [, labels] = await time(() =>
  combineLabels(
    layout,
    { digit: oneHot(train.labels, 10), isOdd: Float32Array.from(train.labels, (d) => d % 2) },
    train.count,
  ),
);
const [, code] = await time(() => codeFingerprint());
console.log(JSON.stringify({ readAndParse, sha256, scale, scaleFirstTouch, labels, codeFingerprint: code }));
