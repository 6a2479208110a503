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
    expect(errorOf({ kind: 'adagrad' }).message).toBe(
      'optimizer.kind: expected one of "adam", "sgd", "rmsprop", "adamw", got "adagrad"',
    );
    expect(errorOf({ kind: 'sgd', learningRate: 0.1, beta1: 0.9 }).message).toBe(
      'optimizer.beta1: unknown key (expected one of: kind, learningRate, momentum, nesterov, weightDecay, clipNorm)',
    );
  });

  it('bounds momentum to [0, 1) and needs a momentum for Nesterov', () => {
    expect(errorOf({ kind: 'sgd', learningRate: 0.1, momentum: 1 }).message).toBe(
      'optimizer.momentum: expected a number in [0, 1), got 1',
    );
    expect(errorOf({ kind: 'sgd', learningRate: 0.1, nesterov: true }).message).toBe(
      'optimizer.nesterov: needs a momentum > 0 (momentum is 0), got true',
    );
  });

  it('needs AdamW’s learning rate and weight decay, and rejects a non-positive clipNorm', () => {
    expect(errorOf({ kind: 'adamw', learningRate: 0.01 }).message).toMatch(/^optimizer\.weightDecay: expected/);
    expect(errorOf({ kind: 'rmsprop', learningRate: 0.01, clipNorm: 0 }).message).toBe(
      'optimizer.clipNorm: expected a positive number, got 0',
    );
  });

  it('builds valid specs', () => {
    createOptimizer({ kind: 'adam' }).dispose();
    createOptimizer({ kind: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-8 }).dispose();
    createOptimizer({ kind: 'sgd', learningRate: 0.1 }).dispose();
    createOptimizer({ kind: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }).dispose();
    createOptimizer({ kind: 'rmsprop', learningRate: 0.001, rho: 0.95, centered: true, clipNorm: 1 }).dispose();
    createOptimizer({ kind: 'adamw', learningRate: 0.001, weightDecay: 0.01 }).dispose();
  });
});
