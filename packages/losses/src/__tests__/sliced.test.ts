import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { isLosslabError, labelLayout } from '@losslab/runtime';
import { TEST_BACKENDS, thrownBy, useBackend } from '@losslab/test-utils';
import { checkTargetWidth, classWeighted, meanAbsoluteError, sliced } from '../index.js';
import { expectClose, noLeak, perSample } from './fixtures.js';

describe.each(TEST_BACKENDS)('sliced on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('applies the loss to the block columns only', () => {
    const layout = labelLayout({ extra: 1, value: 2 });
    const values = noLeak(() =>
      perSample(
        sliced(meanAbsoluteError(), layout, 'value'),
        [
          [100, 0, 1],
          [-100, 2, 2],
        ],
        [
          [0.5, 0.5],
          [1, 4],
        ],
      ),
    );
    expectClose(values, [0.5, 1.5]);
  });

  it('passes the inner loss weights on, computed from the block', () => {
    const layout = labelLayout({ flag: 1, digit: 3 });
    const loss = sliced(classWeighted(meanAbsoluteError(), [1, 2, 3]), layout, 'digit');
    const weights = noLeak(() =>
      tf.tidy(() =>
        Array.from(
          loss.sampleWeights!(
            tf.tensor2d([
              [1, 0, 0, 1],
              [0, 0, 1, 0],
            ]),
          ).dataSync(),
        ),
      ),
    );
    expect(weights).toEqual([3, 2]);
    expect(loss.lossName).toBe('sliced(classWeighted(meanAbsoluteError), digit)');
  });

  it('rejects a model output whose width differs from the block, naming both widths', () => {
    const layout = labelLayout({ digit: 10, isOdd: 1 });
    const loss = sliced(meanAbsoluteError(), layout, 'digit');
    noLeak(() => {
      const yTrue = tf.zeros<tf.Rank.R2>([2, 11]);
      const narrow = tf.zeros<tf.Rank.R2>([2, 9]);
      const error = thrownBy(() => loss(yTrue, narrow));
      expect(isLosslabError(error, 'SHAPE_MISMATCH')).toBe(true);
      expect(error.message).toBe('loss target block "digit" has width 10 but the model output has width 9');
      tf.dispose([yTrue, narrow]);
    });
  });

  it('rejects a label whose width differs from the layout, naming both widths', () => {
    const layout = labelLayout({ digit: 10, isOdd: 1 });
    const loss = sliced(meanAbsoluteError(), layout, 'digit');
    noLeak(() => {
      const label = tf.zeros<tf.Rank.R2>([2, 10]);
      const output = tf.zeros<tf.Rank.R2>([2, 10]);
      expect(() => loss(label, output)).toThrow(
        'sliced: yTrue: expected shape [batch, 11] for layout {digit: 10, isOdd: 1}, got [2, 10]',
      );
      tf.dispose([label, output]);
    });
  });
});

describe('sliced guards', () => {
  it('rejects an unknown block when the loss is built', () => {
    expect(() => sliced(meanAbsoluteError(), labelLayout({ digit: 10 }), 'parity')).toThrow(
      'label block "parity" is not in the layout (blocks: digit:10)',
    );
  });

  it('checkTargetWidth lets an experiment builder reject a model before training', () => {
    const layout = labelLayout({ digit: 10, isOdd: 1 });
    expect(checkTargetWidth(layout, 'digit', 10)).toEqual({ name: 'digit', start: 0, width: 10 });
    const error = thrownBy(() => checkTargetWidth(layout, 'digit', 9));
    expect(isLosslabError(error, 'SHAPE_MISMATCH')).toBe(true);
    expect(error.message).toBe('loss target block "digit" has width 10 but the model output has width 9');
  });
});
