import { join } from 'node:path';
import { sha256Hex } from '@losslab/runtime';
import {
  encodePredictions,
  PREDICTIONS_FILE,
  type ExamplePredictions,
  type RecordedPredictions,
} from '@losslab/schema';
import { writeFileAtomic } from '@losslab/schema/files';

/**
 * Writes the final evaluation's per-example predictions into the run folder (atomically) and
 * returns what the record says of them: the file, the sha256 of its bytes, the split and shape.
 */
export async function savePredictions(
  predictions: ExamplePredictions,
  split: string,
  folder: string,
): Promise<RecordedPredictions> {
  const bytes = encodePredictions(predictions);
  await writeFileAtomic(join(folder, PREDICTIONS_FILE), bytes);
  return {
    format: 'losslab.predictions/1',
    path: PREDICTIONS_FILE,
    sha256: sha256Hex(bytes),
    split,
    size: predictions.index.length,
    classes: predictions.classes,
  };
}
