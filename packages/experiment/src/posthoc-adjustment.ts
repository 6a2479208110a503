import { confusionMatrix, perClassMetrics } from '@losslab/metrics';
import { LosslabError } from '@losslab/runtime';
import type { PosthocAdjustment, PosthocEvaluation } from '@losslab/schema';

/**
 * Post-hoc logit adjustment (Menon et al., "Long-tail learning via logit adjustment", ICLR 2021,
 * eq. 6): a trained model's prediction becomes `argmax_y z_y − τ·log π_y`, π the training class
 * priors, with no retraining. τ is declared, or chosen on the validation split from a grid.
 */

/** Class priors `π_j = n_j / Σ n` from training counts; a class without training rows is an error. */
export function priorsOf(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  counts.forEach((count, j) => {
    if (!(count > 0))
      throw new LosslabError(
        'INVALID_DEFINITION',
        `evaluation.adjust: class ${j} has no training rows, so its prior is 0 and log π is −∞`,
      );
  });
  return counts.map((count) => count / total);
}

/**
 * The predicted class of each row of row-major `scores` `[rows, width]` after subtracting
 * `τ·log π_j` from class j's logit. Scores that are probabilities (`fromLogits` false) are read
 * as log-probabilities, which differ from the logits by one constant per row and so give the same
 * argmax. Ties go to the lowest class, as `argMax` does.
 *
 * @example
 * // logits [1, 0.8], π = [0.9, 0.1], τ = 1: [1 − log 0.9, 0.8 − log 0.1] = [1.105, 3.103] → class 1
 * adjustedPredictions(Float32Array.of(1, 0.8), 2, [0.9, 0.1], 1, true); // Int32Array [1]
 */
export function adjustedPredictions(
  scores: Float32Array,
  width: number,
  priors: readonly number[],
  tau: number,
  fromLogits: boolean,
): Int32Array {
  if (priors.length !== width)
    throw new LosslabError(
      'SHAPE_MISMATCH',
      `evaluation.adjust: the model outputs ${width} columns but there are ${priors.length} class priors`,
    );
  const offsets = priors.map((prior) => tau * Math.log(prior));
  const rows = scores.length / width;
  const predicted = new Int32Array(rows);
  for (let row = 0; row < rows; row++) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < width; j++) {
      const score = scores[row * width + j]!;
      const value = (fromLogits ? score : Math.log(score)) - offsets[j]!;
      if (value > bestValue) {
        bestValue = value;
        best = j;
      }
    }
    predicted[row] = best;
  }
  return predicted;
}

/** Balanced accuracy (mean recall over the classes present) of predictions against the truth. */
const balancedAccuracy = (truth: Int32Array, predicted: Int32Array, numClasses: number): number =>
  perClassMetrics(confusionMatrix(truth, predicted, numClasses)).balancedAccuracy;

/** Where τ is chosen from: the model's scores on the validation split and its true classes. */
export interface TauChoiceData {
  readonly scores: Float32Array;
  readonly truth: Int32Array;
}

/**
 * τ of a {@link PosthocAdjustment}: the declared one, or the first τ of the grid with the highest
 * balanced accuracy on `validation` (never the evaluated split), with each τ's score.
 */
export function chooseTau(
  adjust: PosthocAdjustment,
  priors: readonly number[],
  fromLogits: boolean,
  validation: () => TauChoiceData | undefined,
): Pick<PosthocEvaluation, 'tau' | 'chosenOn' | 'grid'> {
  if ('tau' in adjust) return { tau: adjust.tau, chosenOn: 'declared' };
  const data = validation();
  if (data === undefined)
    throw new LosslabError(
      'INVALID_DEFINITION',
      'evaluation.adjust.tauGrid: τ is chosen on the validation split, and the data has none (add carveValidation)',
    );
  const width = priors.length;
  const grid = adjust.tauGrid.map((tau) => ({
    tau,
    balancedAccuracy: balancedAccuracy(
      data.truth,
      adjustedPredictions(data.scores, width, priors, tau, fromLogits),
      width,
    ),
  }));
  const best = grid.reduce((chosen, entry) => (entry.balancedAccuracy > chosen.balancedAccuracy ? entry : chosen));
  return { tau: best.tau, chosenOn: 'validation', grid };
}
