import { isLosslabError } from '@losslab/runtime';
import { useBackend } from '@losslab/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { createOptimizer, type OptimizerSpec } from '../index.js';

const errorOf = (spec: unknown): Error => {
  try {
    createOptimizer(spec as OptimizerSpec).dispose();
  } catch (error) {
    expect(isLosslabError(error, 'INVALID_ARGUMENT')).toBe(true);
    return error as Error;
  }
  throw new Error('expected a LosslabError');
};

describe('createOptimizer checks its spec with the schema codecs', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('names the field and the value', () => {
    expect(errorOf({ kind: 'sgd', learningRate: -1 }).message).toBe(
      'optimizer.learningRate: expected a positive number, got -1',
    );
    expect(errorOf({ kind: 'adam', learningRate: 0 }).message).toBe(
      'optimizer.learningRate: expected a positive number, got 0',
    );
  });

  it("bounds Adam's betas to (0, 1) and reports every problem at once", () => {
    expect(errorOf({ kind: 'adam', beta1: 1, epsilon: 0 }).message).toBe(
      'optimizer.beta1: expected a number in (0, 1), got 1; optimizer.epsilon: expected a positive number, got 0',
    );
  });

  it('rejects unknown kinds and unknown keys', () => {
    expect(errorOf({ kind: 'rmsprop' }).message).toBe('optimizer.kind: expected one of "adam", "sgd", got "rmsprop"');
    expect(errorOf({ kind: 'sgd', learningRate: 0.1, momentum: 0.9 }).message).toBe(
      'optimizer.momentum: unknown key (expected one of: kind, learningRate)',
    );
  });

  it('builds valid specs', () => {
    createOptimizer({ kind: 'adam' }).dispose();
    createOptimizer({ kind: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-8 }).dispose();
    createOptimizer({ kind: 'sgd', learningRate: 0.1 }).dispose();
  });
});
