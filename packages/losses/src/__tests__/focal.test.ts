import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '@losslab/test-utils';
import { binaryCrossentropy, categoricalCrossentropy, focal } from '../index';
import { expectClose, expectGradientsToMatch, noLeak, perSample } from './fixtures';

describe.each(TEST_BACKENDS)('focal on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('binary: −α_t (1 − p_t)^γ log p_t on one column of probabilities', () => {
    const values = noLeak(() => perSample(focal(), [[1], [0]], [[0.9], [0.3]]));
    // 0.25 · 0.1² · −ln 0.9 and 0.75 · 0.3² · −ln 0.7
    expectClose(values, [0.25 * 0.01 * -Math.log(0.9), 0.75 * 0.09 * -Math.log(0.7)], 6);
  });

  it('categorical: −Σ α y (1 − p)^γ log p over k columns', () => {
    const values = noLeak(() => perSample(focal({ gamma: 2, alpha: 0.25 }), [[0, 1, 0]], [[0.2, 0.5, 0.3]]));
    expectClose(values, [0.25 * 0.25 * -Math.log(0.5)], 6);
  });

  it('reduces to cross-entropy with gamma = 0 and alpha = null', () => {
    const binaryTrue = [[1], [0], [1]];
    const binaryPred = [[0.9], [0.3], [0.2]];
    expectClose(
      perSample(focal({ gamma: 0, alpha: null }), binaryTrue, binaryPred),
      perSample(binaryCrossentropy(), binaryTrue, binaryPred),
    );
    const multiTrue = [
      [1, 0],
      [0, 1],
    ];
    const multiPred = [
      [0.8, 0.4],
      [0.1, 0.6],
    ];
    expectClose(
      perSample(focal({ gamma: 0, alpha: null, kind: 'binary' }), multiTrue, multiPred),
      perSample(binaryCrossentropy(), multiTrue, multiPred),
    );
    const oneHot = [
      [0, 1, 0],
      [1, 0, 0],
    ];
    const probabilities = [
      [0.1, 0.7, 0.2],
      [0.5, 0.25, 0.25],
    ];
    expectClose(
      perSample(focal({ gamma: 0, alpha: null }), oneHot, probabilities),
      perSample(categoricalCrossentropy(), oneHot, probabilities),
    );
  });

  it('down-weights easy examples more than hard ones as gamma grows', () => {
    const [easy, hard] = perSample(focal({ gamma: 2, alpha: null }), [[1], [1]], [[0.9], [0.6]]);
    const [easyCe, hardCe] = perSample(binaryCrossentropy(), [[1], [1]], [[0.9], [0.6]]);
    expect(easy! / easyCe!).toBeCloseTo(0.01, 5);
    expect(hard! / hardCe!).toBeCloseTo(0.16, 5);
  });

  it('gradients match finite differences', () => {
    expectGradientsToMatch(focal(), [[1], [0]], [[0.7], [0.4]]);
    expectGradientsToMatch(focal({ gamma: 1.5, alpha: 0.5 }), [[0, 1, 0]], [[0.2, 0.5, 0.3]]);
  });
});

describe('focal options', () => {
  it('rejects bad gamma, alpha and kind, naming each', () => {
    expect(() => focal({ gamma: -1 })).toThrow('focal: gamma: expected a finite number >= 0, got -1');
    expect(() => focal({ alpha: 1.5 })).toThrow('focal: alpha: expected a number in [0, 1] or null, got 1.5');
    expect(() => focal({ kind: 'sparse' as 'binary' })).toThrow(
      'focal: kind: expected "binary" or "categorical", got sparse',
    );
  });
});
