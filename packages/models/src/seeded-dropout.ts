import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng, LosslabError, type RandomStateHolder, type Rng, type RngSnapshot } from '@losslab/runtime';

/** Arguments of {@link seededDropout}. */
export interface SeededDropoutArgs {
  /** Fraction of inputs zeroed in training, in [0, 1). */
  readonly rate: number;
  /** Seed of the mask sequence; derive it from the run seed. */
  readonly seed: number;
  readonly name?: string;
  /** Shape of one sample, when the layer is a model's first. */
  readonly inputShape?: number[];
}

const UINT32_MAX = 0xffff_ffff;

/**
 * Inverted dropout whose masks come from a seeded sequence: training call k uses mask seed k of
 * `createRng(seed)`. Why not `tfl.layers.dropout({ seed })`: tfjs-layers passes the *same* seed
 * to every call, so every training step drops the same units (a fixed sub-network, not
 * dropout); without a seed it uses `Math.random`. This layer keeps both reproducibility and a
 * fresh mask per step. At inference (`training` not true) it is the identity.
 */
export class SeededDropout extends tfl.layers.Layer implements RandomStateHolder {
  static readonly className = 'LosslabSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private rng: Rng;

  constructor(args: SeededDropoutArgs) {
    super({
      ...(args.name === undefined ? {} : { name: args.name }),
      ...(args.inputShape === undefined ? {} : { inputShape: args.inputShape }),
    });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new LosslabError('INVALID_ARGUMENT', `dropout rate: expected a number in [0, 1), got ${String(args.rate)}`);
    }
    this.rate = args.rate;
    this.seed = args.seed;
    this.rng = createRng(args.seed);
    this.supportsMasking = true;
  }

  /** Restarts the mask sequence from the seed (e.g. before a rerun in the same process). */
  resetMaskSequence(): void {
    this.rng = createRng(this.seed);
  }

  /** Where the mask sequence stands (a checkpoint keeps it, so a resumed run draws the same masks). */
  randomState(): RngSnapshot {
    return this.rng.snapshot();
  }

  restoreRandomState(snapshot: RngSnapshot): void {
    this.rng.restore(snapshot);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (input === undefined) throw new LosslabError('INVALID_ARGUMENT', 'SeededDropout: expected one input tensor');
    if (kwargs.training !== true || this.rate === 0) return tf.clone(input);
    // 1 + … keeps the mask seed non-zero: tfjs-core treats a falsy seed as "unseeded".
    const maskSeed = 1 + Math.floor(this.rng.next() * UINT32_MAX);
    return tf.dropout(input, this.rate, undefined, maskSeed);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

/**
 * A {@link SeededDropout} layer.
 *
 * @example
 * model.add(seededDropout({ rate: 0.2, seed: deriveSeed(runSeed, 'dropout', 1) }));
 */
export const seededDropout = (args: SeededDropoutArgs): SeededDropout => new SeededDropout(args);
