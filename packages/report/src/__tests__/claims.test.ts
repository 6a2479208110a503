import { describe, expect, it } from 'vitest';
import { allClaimsPass, evaluateClaims, firstEpochReaching } from '../claims';
import { groupRuns } from '../groups';
import type { Claim, RunRecord } from '@losslab/schema';
import { blinkRecord, mnistRecord } from './fixtures';

/** A run whose validation f1 follows `f1s` epoch by epoch and whose final accuracy is `accuracy`. */
function run(variant: string, seed: number, f1s: number[], accuracy: number, claims: Claim[]): RunRecord {
  const base = blinkRecord('unweighted', seed);
  return {
    ...base,
    runId: `${variant}-${seed}`,
    variant,
    history: f1s.map((f1, index) => ({
      epoch: index + 1,
      loss: 1,
      seconds: 1,
      samplesPerSecond: 1,
      validation: { f1 },
    })),
    evaluation: { split: 'test', size: 10, metrics: { accuracy } },
    claims,
  };
}

describe('evaluateClaims', () => {
  const threshold: Claim = { kind: 'threshold', metric: 'accuracy', op: '>=', value: 0.95 };
  const faster: Claim = { kind: 'fasterToTarget', metric: 'f1', target: 0.8, faster: 'weighted', slower: 'plain' };

  it('threshold: compares the mean over seeds with the value, per variant', () => {
    // weighted: mean(0.96, 0.95, 0.97) = 0.96 ≥ 0.95 ✓; plain: mean(0.97, 0.92) = 0.945 < 0.95 ✗.
    const records = [
      run('weighted', 1, [0.9], 0.96, [threshold]),
      run('weighted', 2, [0.9], 0.95, [threshold]),
      run('weighted', 3, [0.9], 0.97, [threshold]),
      run('plain', 1, [0.9], 0.97, [threshold]),
      run('plain', 2, [0.9], 0.92, [threshold]),
    ];
    const [result] = evaluateClaims(groupRuns(records));
    expect(result?.status).toBe('fail');
    expect(result?.evidence).toEqual([
      '✓ weighted: accuracy mean 0.960, 3 seeds, range 0.950–0.970; needs ≥ 0.950',
      '✗ plain: accuracy mean 0.945, 2 seeds, range 0.920–0.970; needs ≥ 0.950',
    ]);
    const onlyWeighted: Claim = { ...threshold, variant: 'weighted' };
    const [scoped] = evaluateClaims(groupRuns(records.map((record) => ({ ...record, claims: [onlyWeighted] }))));
    expect(scoped?.status).toBe('pass');
    expect(allClaimsPass([scoped!])).toBe(true);
  });

  it('threshold on a group metric (mnist-odd even/odd accuracy)', () => {
    const results = evaluateClaims(groupRuns([mnistRecord()]));
    expect(results.map((result) => result.status)).toEqual(['pass', 'pass']);
    expect(results[0]?.evidence[0]).toBe('✓ masked: even accuracy mean 0.000, 1 seed; needs ≤ 0.010');
    const wrong: Claim = { kind: 'threshold', metric: 'accuracy', group: 'even', op: '>=', value: 0.5 };
    const [failing] = evaluateClaims(groupRuns([{ ...mnistRecord(), claims: [wrong] }]));
    expect(failing?.status).toBe('fail');
  });

  it('fasterToTarget: mean first epoch (1-based) at which validation f1 ≥ target', () => {
    // weighted reaches 0.8 at epochs 2 and 3 (mean 2.5); plain at 4 and never (counted ≥ 5).
    const records = [
      run('weighted', 1, [0.5, 0.85, 0.9, 0.9], 0.9, [faster]),
      run('weighted', 2, [0.5, 0.7, 0.8, 0.9], 0.9, [faster]),
      run('plain', 1, [0.1, 0.3, 0.6, 0.81], 0.9, [faster]),
      run('plain', 2, [0.1, 0.2, 0.3, 0.4], 0.9, [faster]),
    ];
    expect(firstEpochReaching(records[1]!, 'f1', 0.8)).toBe(3);
    expect(firstEpochReaching(records[3]!, 'f1', 0.8)).toBeNull();
    const [result] = evaluateClaims(groupRuns(records));
    expect(result?.status).toBe('pass');
    expect(result?.evidence[0]).toBe('✓ weighted: 2.5 epochs to f1 ≥ 0.800 (mean of 2 of 2 seeds, range 2–3)');
    expect(result?.evidence[1]).toBe(
      '  vs plain: 4.0 epochs to f1 ≥ 0.800 (mean of 1 of 2 seeds, range 4–4); seed 2 did not reach it in 4 epochs',
    );
    expect(result?.epochsToTarget?.map((entry) => entry.seeds.map((seed) => seed.epoch))).toEqual([
      [2, 3],
      [4, null],
    ]);
  });

  it('fasterToTarget fails when the faster variant is slower or misses the target', () => {
    const slowerRecords = [
      run('weighted', 1, [0.1, 0.2, 0.9], 0.9, [faster]),
      run('plain', 1, [0.9, 0.9, 0.9], 0.9, [faster]),
    ];
    expect(evaluateClaims(groupRuns(slowerRecords))[0]?.status).toBe('fail');
    const missing = [
      run('weighted', 1, [0.1, 0.2, 0.3], 0.9, [faster]),
      run('plain', 1, [0.1, 0.2, 0.3], 0.9, [faster]),
    ];
    const [result] = evaluateClaims(groupRuns(missing));
    expect(result?.status).toBe('fail');
    expect(result?.evidence[0]).toContain('no seed reached f1 ≥ 0.800; seed 1 did not reach it in 3 epochs');
  });

  it('is unknown (never pass) when a variant or the metric is missing', () => {
    const [result] = evaluateClaims(groupRuns([run('weighted', 1, [0.9], 0.9, [faster])]));
    expect(result?.status).toBe('unknown');
    expect(allClaimsPass([result!])).toBe(false);
    const absent: Claim = { kind: 'threshold', metric: 'prAuc', op: '>', value: 0.5 };
    expect(evaluateClaims(groupRuns([run('weighted', 1, [0.9], 0.9, [absent])]))[0]?.status).toBe('unknown');
  });

  it('blink fixture: class-weighted is faster, accuracy claim fails for unweighted', () => {
    const records = [1, 2, 3].flatMap((seed) => [blinkRecord('unweighted', seed), blinkRecord('class-weighted', seed)]);
    const statuses = evaluateClaims(groupRuns(records)).map((result) => result.status);
    expect(statuses).toEqual(['pass', 'fail', 'fail']);
  });
});
