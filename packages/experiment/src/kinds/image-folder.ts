import * as t from 'io-ts';
import { carveSplit, type LabelledRows } from '@losslab/data';
import { imageFolderClasses, readImageFolder } from '@losslab/data/node';
import { deriveSeed } from '@losslab/runtime';
import {
  closed,
  NonEmptyString,
  NonNegativeInt,
  numberWhere,
  OpenUnit,
  PositiveInt,
  Scale,
  type Split,
} from '@losslab/schema';
import { dataFolder, pathIn, splitsOf } from './data-paths.js';
import { openBuilderOf, type KindBuilder } from './define.js';
import type { DataKind } from './table.js';

/** The image-folder data kind: `<dir>/<split folder>/<class name>/*.png|jpg|jpeg`. */

const ClassNames = t.refinement(
  t.array(NonEmptyString),
  (names) => names.length > 0 && new Set(names).size === names.length,
  'a non-empty list of distinct class names',
);

/** Folders of images, one sub-folder per class, per split; decoded to `size` and `channels`. */
const ImageFolderData = closed(
  'imageFolder data',
  {
    kind: t.literal('imageFolder'),
    /** The folder holding the split folders (relative to the definition file, or to `package`). */
    dir: NonEmptyString,
    /** 1 = grayscale, 3 = RGB. */
    channels: numberWhere('1 (grayscale) or 3 (RGB)', (n) => n === 1 || n === 3),
  },
  {
    package: NonEmptyString,
    /** [height, width]; without it every image must have the size of the first one. */
    size: t.tuple([PositiveInt, PositiveInt], '[height, width] in pixels'),
    /** Resize images of another size (else they are an error). */
    resize: t.keyof({ nearest: null, bilinear: null }, '"nearest" or "bilinear"'),
    /** The folder of each split under `dir`; default `{ train: 'train', test: 'test' }`. */
    splits: closed(
      'image folders per split',
      { train: NonEmptyString },
      { validation: NonEmptyString, test: NonEmptyString },
    ),
    /** The classes in class-id order; default the train folder's class folders, sorted. */
    classNames: ClassNames,
    /** Splits carved from train by a seeded fraction of its images (for a single folder). */
    holdout: closed('holdout fractions', {}, { validation: OpenUnit, test: OpenUnit, seed: NonNegativeInt }),
    /** Pixel values are divided by this; default `{ divideBy: 255 }` (pixels in [0, 1]). */
    scale: Scale,
  },
);
type ImageFolderData = t.TypeOf<typeof ImageFolderData>;

const DEFAULT_FOLDERS = { train: 'train', test: 'test' } as const;

const foldersOf = (spec: ImageFolderData) => splitsOf<string>(spec.splits ?? DEFAULT_FOLDERS);

const heldOut = (spec: ImageFolderData): ('validation' | 'test')[] =>
  (['validation', 'test'] as const).filter((split) => spec.holdout?.[split] !== undefined);

const imageFolderData: DataKind<ImageFolderData> = {
  kind: 'imageFolder',
  codec: ImageFolderData,
  provides: (spec) => ({
    splits: [...new Set<Split>([...foldersOf(spec).map(([split]) => split), ...heldOut(spec)])],
    columns: [],
  }),
  problems(spec) {
    const folders = foldersOf(spec).map(([split]) => split);
    const clash = heldOut(spec).filter((split) => folders.includes(split));
    const total = (spec.holdout?.validation ?? 0) + (spec.holdout?.test ?? 0);
    return [
      ...clash.map(
        (split) =>
          `holdout.${split}: the ${split} split already has a folder (splits.${split}${spec.splits === undefined ? ', by default' : ''}); carve it or read it, not both`,
      ),
      ...(total >= 1 ? [`holdout: validation + test = ${total}; expected less than 1`] : []),
    ];
  },
  files(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    return foldersOf(spec).map(([split, name]) => ({
      field: `splits.${split}`,
      path: pathIn(folder, name),
      folder: true,
    }));
  },
  async load(spec, { baseDir }) {
    const folder = dataFolder(spec, baseDir);
    const folders = foldersOf(spec);
    const trainFolder = pathIn(folder, (spec.splits ?? DEFAULT_FOLDERS).train);
    const classes = await imageFolderClasses(trainFolder, spec.classNames);
    const options = {
      size: spec.size,
      channels: spec.channels as 1 | 3,
      resize: spec.resize,
      divideBy: spec.scale === undefined ? 255 : spec.scale === 'none' ? 1 : spec.scale.divideBy,
    };
    const splits: Partial<Record<Split, LabelledRows>> = {};
    // The class names in id order, then each folder's file list and bytes (as the definition names it).
    const fingerprint: Record<string, string> = { 'imageFolder.classes': JSON.stringify(classes) };
    for (const [split, name] of folders) {
      const read = await readImageFolder(pathIn(folder, name), classes, options);
      splits[split] = read.rows;
      fingerprint[`${spec.dir}/${name}`] = read.fingerprint;
    }
    const { holdout } = spec;
    if (holdout !== undefined && splits.train !== undefined) {
      const all = splits.train.size;
      let rest = splits.train;
      for (const split of heldOut(spec)) {
        // Each fraction is of all train images, whatever was carved before it.
        const fraction = (holdout[split] ?? 0) * (all / rest.size);
        const carved = carveSplit(rest, { fraction, seed: deriveSeed(holdout.seed ?? 0, 'holdout', split) });
        splits[split] = carved.carved;
        rest = carved.rest;
      }
      splits.train = rest;
    }
    return { splits, fingerprint, classNames: classes };
  },
};

/**
 * Images in class sub-folders per split (`images/train/<class>/*.png|jpg|jpeg`), decoded by the
 * pure-JavaScript pngjs and jpeg-js, to features shaped [height, width, channels]; class ids are
 * the class folders in sorted order (or `classNames`).
 *
 * @example imageFolder({ dir: 'images', size: [12, 12], channels: 1 })
 */
export const imageFolder: KindBuilder<ImageFolderData> = openBuilderOf(imageFolderData);

/** The entries of this file, registered in `kinds/data.ts`. */
export const imageFolderKinds: readonly DataKind[] = [imageFolderData];
