import {
  adam,
  balancedSoftmax,
  beats,
  carveValidation,
  categoricalCrossentropy,
  classification,
  defineExperiment,
  focal,
  ldam,
  logitAdjusted,
  longTail,
  mlp,
  mnist,
  oneHot,
  threshold,
  weighted,
} from '@losslab/experiment';

const EPOCHS = 10;
/** DRW switches the class weights on for the last fifth of training (Cao et al.: epoch 160 of 200). */
const DRW_START = 9;
const hidden = [{ units: 128, activation: 'relu' }] as const;
/** A model for the losses on logits: the same MLP with a linear output. */
const logitsModel = mlp({ hidden: [...hidden], output: { units: 10, activation: 'linear' } });
const test = { split: 'test', target: 'digit' } as const;

/**
 * mnist-lt: a long-tail study on MNIST-LT. The training set keeps n_i = n_max · 100^(−i/9) images
 * of digit i (Cui et al. 2019's profile, imbalance ratio 100: 5,421 zeros down to 54 nines), drawn
 * anew for each run seed; a fifth of it (seeded) is held out as the validation split on which
 * post-hoc logit adjustment chooses τ; the model is evaluated on the balanced 10,000 test images.
 * Eight methods in seven variants: cross-entropy (whose report rows are also adjusted post hoc),
 * cross-entropy with label smoothing 0.1, class-balanced cross-entropy, focal, logit-adjusted
 * (τ = 1), balanced softmax and LDAM-DRW.
 */
export default defineExperiment({
  name: 'mnist-lt',
  description:
    'Long-tail study on MNIST-LT: the 60,000 training images subsampled to the profile n_i = n_max · 100^(−i/9) of ' +
    'Cui et al. 2019 (5,421 zeros … 54 nines, 13,454 images; each run seed a new draw), then 20% of them carved ' +
    'out as validation (where post-hoc adjustment chooses τ); evaluated on the balanced 10,000 test images. ' +
    `MLP 784→128 relu→10, Adam 0.001, batch 128, ${EPOCHS} epochs. Softmax output for the losses on ` +
    'probabilities, linear for logit-adjusted / balanced softmax, cosine-normalised (normedDense) for LDAM. ' +
    'Class-balanced CE: effective-number weights, β = 0.999; LDAM-DRW: margins up to 0.5, scale 30, ' +
    `effective-number weights β = 0.9999 from epoch ${DRW_START}, reduced by the sum of the weights as the reference.`,
  data: mnist(),
  transforms: [longTail({ ratio: 100 }), carveValidation({ fraction: 0.2 })],
  labels: { digit: oneHot(10) },
  model: mlp({ hidden: [...hidden], output: { units: 10, activation: 'softmax' } }),
  loss: categoricalCrossentropy(),
  optimizer: adam(),
  train: { epochs: EPOCHS, batchSize: 128, shuffle: true, remainder: 'keep' },
  evaluation: classification(test),
  seeds: [0, 1, 2, 3, 4],
  variants: {
    // post-hoc logit adjustment of the CE model (no retraining): argmax z − τ·log π beside the plain
    // predictions, τ chosen on the validation split (never on test)
    ce: { evaluation: classification({ ...test, adjust: { tauGrid: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2] } }) },
    'label-smoothing': { loss: categoricalCrossentropy({ labelSmoothing: 0.1 }) },
    'cb-ce': {
      loss: weighted(categoricalCrossentropy(), {
        per: 'sample',
        target: 'digit',
        classWeights: { kind: 'effectiveNumber', beta: 0.999 },
      }),
    },
    focal: { loss: focal({ gamma: 2, alpha: 1 }) },
    'logit-adjusted': { model: logitsModel, loss: logitAdjusted({ tau: 1 }) },
    'balanced-softmax': { model: logitsModel, loss: balancedSoftmax() },
    'ldam-drw': {
      model: mlp({ hidden: [...hidden], output: { units: 10, activation: 'linear', normed: true } }),
      loss: weighted(ldam({ maxMargin: 0.5, scale: 30 }), {
        per: 'sample',
        target: 'digit',
        classWeights: { kind: 'effectiveNumber', beta: 0.9999 },
        startEpoch: DRW_START,
      }),
      train: { epochs: EPOCHS, batchSize: 128, shuffle: true, remainder: 'keep', reduction: 'sumOverWeights' },
    },
  },
  report: {
    primary: [
      { metric: 'balancedAccuracy', direction: 'higher' },
      { metric: 'tailAccuracy', direction: 'higher' },
      { metric: 'headAccuracy', direction: 'higher' },
    ],
  },
  claims: [
    beats('logit-adjusted', 'ce', 'balancedAccuracy', {
      alpha: 0.05,
      description: 'logit-adjusted loss (τ = 1) beats cross-entropy on balanced accuracy (Menon et al. 2021)',
    }),
    beats('balanced-softmax', 'ce', 'balancedAccuracy', {
      alpha: 0.05,
      description: 'balanced softmax beats cross-entropy on balanced accuracy (Ren et al. 2020)',
    }),
    beats('ldam-drw', 'ce', 'balancedAccuracy', {
      alpha: 0.05,
      description: 'LDAM-DRW beats cross-entropy on balanced accuracy (Cao et al. 2019)',
    }),
    beats('logit-adjusted', 'ce', 'tailAccuracy', {
      alpha: 0.05,
      description: 'logit adjustment raises tail accuracy (the rarest third of the digits) over cross-entropy',
    }),
    beats('ce', 'logit-adjusted', 'headAccuracy', {
      alpha: 0.05,
      description: 'logit adjustment lowers head accuracy: cross-entropy is higher on the most frequent third',
    }),
    threshold('adjusted.balancedAccuracy', '>=', 0.9, {
      variant: 'ce',
      description: 'post-hoc logit adjustment of the cross-entropy model reaches balanced accuracy 0.90',
    }),
  ],
});
