import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { LosslabError, requireInteger } from '@losslab/runtime';
import { seededGlorotUniform, type Initializer } from './seeds.js';
import { validateMlpSpec, type MlpSpec } from './spec.js';
import { mlpHiddenLayers } from './mlp.js';

/** Constructor arguments of {@link NormedDense}. */
export interface NormedDenseArgs {
  readonly units: number;
  /** The kernel's initial values (seed it from the run seed); zeros when absent (a loaded model's). */
  readonly kernelInitializer?: Initializer;
  readonly inputShape?: number[];
  /** What a saved model's config holds instead of `inputShape` (with the batch dimension). */
  readonly batchInputShape?: (number | null)[];
  readonly name?: string;
}

/** `F.normalize`'s floor on a norm, so a zero row or column gives 0 instead of NaN. */
const NORM_FLOOR = 1e-12;

/** `x / max(‖x‖₂, 1e-12)` along `axis` (PyTorch's `F.normalize`). */
const normalize = (x: tf.Tensor2D, axis: 0 | 1): tf.Tensor2D =>
  tf.div(x, tf.maximum(tf.norm(x, 'euclidean', axis, true), NORM_FLOOR));

/**
 * A cosine-normalised dense layer without bias (LDAM's `NormedLinear`, Cao et al. 2019): output
 * `z_ij = (x_i / ‖x_i‖) · (W_:j / ‖W_:j‖)`, the cosine of the angle between sample i and class j's
 * weight column, in [−1, 1]. Input `[batch, features]` → `[batch, units]`; one weight, `kernel`
 * `[features, units]`. Its outputs are logits for a loss that scales them (`ldam`'s `s`).
 *
 * Registered for serialisation as `LosslabNormedDense`. No standard TF.js layer normalises its
 * input and its kernel, so a saved model holding it loads in a process that has imported
 * `@losslab/models` (which registers the class) before `tf.loadLayersModel`; `standardTopology`
 * keeps it and names that import.
 *
 * @example
 * const layer = normedDense({ units: 10, kernelInitializer: seededGlorotUniform(seed, 1, 'kernel') });
 */
export class NormedDense extends tfl.layers.Layer {
  static readonly className = 'LosslabNormedDense';
  readonly units: number;
  private readonly kernelInitializer: Initializer | undefined;
  private kernel?: tfl.LayerVariable;

  constructor(args: NormedDenseArgs) {
    super({
      ...(args.name === undefined ? {} : { name: args.name }),
      ...(args.inputShape === undefined ? {} : { inputShape: args.inputShape }),
      ...(args.batchInputShape === undefined ? {} : { batchInputShape: args.batchInputShape }),
    });
    this.units = requireInteger('normedDense: units', args.units, 1);
    this.kernelInitializer = args.kernelInitializer;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const features = shape[shape.length - 1];
    if (shape.length !== 2 || typeof features !== 'number')
      throw new LosslabError(
        'INVALID_ARGUMENT',
        `normedDense: expected an input [batch, features], got [${shape.map(String).join(', ')}]`,
      );
    this.kernel = this.addWeight(
      'kernel',
      [features, this.units],
      'float32',
      this.kernelInitializer ?? tfl.initializers.zeros(),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [shape[0]!, this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
    return tf.tidy(() => tf.matMul(normalize(x, 1), normalize(this.kernel!.read() as tf.Tensor2D, 0)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}
tf.serialization.registerClass(NormedDense);

/**
 * A {@link NormedDense} layer.
 *
 * @example
 * model.add(normedDense({ units: 10, kernelInitializer: seededGlorotUniform(seed, 1, 'kernel') }));
 */
export const normedDense = (args: NormedDenseArgs): NormedDense => new NormedDense(args);

/**
 * An MLP whose output layer is a {@link NormedDense} (cosine logits, for LDAM): the same flatten and
 * hidden layers, with the same seeded weights, as `createMlp` builds from this spec, then a
 * normalised output of `output.units` whose kernel is seeded as `createMlp`'s output kernel would be
 * (`deriveSeed(seed, 'init', hidden.length, 'kernel')`). `output.activation` must be `linear`: the
 * outputs are logits.
 *
 * Shapes: input `[batch, ...inputShape]` → output `[batch, output.units]`, each in [−1, 1].
 *
 * @example
 * const model = createNormedMlp(
 *   { inputShape: [28, 28], hidden: [{ units: 64, activation: 'relu' }], output: { units: 10, activation: 'linear' } },
 *   42,
 * );
 * model.countParams(); // 784·64 + 64 + 64·10 = 50880 (no output bias)
 */
export function createNormedMlp(spec: MlpSpec, seed: number): tfl.LayersModel {
  requireInteger('seed', seed, 0);
  validateMlpSpec(spec);
  if (spec.output.activation !== 'linear')
    throw new LosslabError(
      'INVALID_DEFINITION',
      `output.activation: a normed output gives cosine logits, so its activation must be "linear", got "${spec.output.activation}"`,
    );
  const { model, outputInput } = mlpHiddenLayers(spec, seed);
  model.add(
    normedDense({
      ...outputInput,
      units: spec.output.units,
      kernelInitializer: seededGlorotUniform(seed, spec.hidden.length, 'kernel'),
    }),
  );
  return model;
}
