import { describe, expect, it } from 'vitest';
import { allClaimsPass, epochsToSettle, evaluateClaims, firstEpochReaching } from '../claims.js';
import { groupRuns } from '../groups.js';
import { Claim as ClaimCodec, formatErrors, type Claim, type RunRecord } from '@losslab/schema';
import { blinkRecord, mnistRecord } from './fixtures.js';

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

/** A run whose training loss follows `losses` epoch by epoch. */
function lossRun(variant: string, seed: number, losses: number[], claims: Claim[]): RunRecord {
  const base = blinkRecord('unweighted', seed);
  return {
    ...base,
    runId: `${variant}-${seed}`,
    variant,
    history: losses.map((loss, index) => ({ epoch: index + 1, loss, seconds: 1, samplesPerSecond: 1 })),
    claims,
  };
}

describe('epochsToPlateau', () => {
  it('epochsToSettle: the first epoch from which the curve stays within the band of its final value', () => {
    expect(epochsToSettle([2, 1.2, 1.04, 1.01, 1], 0.05)).toBe(3);
    // Entering the band and leaving it again does not count: epoch 2 is within 5%, epoch 3 is not.
    expect(epochsToSettle([2, 1.01, 1.5, 1.02, 1], 0.05)).toBe(4);
    expect(epochsToSettle([1, 1, 1], 0.05)).toBe(1);
    expect(epochsToSettle([3], 0.05)).toBe(1);
    expect(epochsToSettle([], 0.05)).toBeNull();
    // Scale-free: a curve times a constant settles at the same epoch.
    const curve = [0.36, 0.2, 0.11, 0.08, 0.06, 0.055, 0.052, 0.05];
    expect(
      epochsToSettle(
        curve.map((value) => value * 21.47),
        0.05,
      ),
    ).toBe(epochsToSettle(curve, 0.05));
  });

  const fewer: Claim = {
    kind: 'epochsToPlateau',
    metric: 'loss',
    within: 0.05,
    variant: 'weighted',
    relation: 'fewer',
    than: 'plain',
    factor: 2,
  };

  it('fewer: mean over seeds, with the speed-up against the factor', () => {
    // weighted settles at epochs 2 and 3 (mean 2.5); plain at 6 and 5 (mean 5.5): 2.2× ≥ 2.
    const records = [
      lossRun('weighted', 1, [2, 1.04, 1.01, 1, 1, 1], [fewer]),
      lossRun('weighted', 2, [2, 1.5, 1.02, 1, 1, 1], [fewer]),
      lossRun('plain', 1, [0.4, 0.3, 0.2, 0.1, 0.08, 0.05], [fewer]),
      lossRun('plain', 2, [0.4, 0.3, 0.2, 0.1, 0.051, 0.05], [fewer]),
    ];
    const [result] = evaluateClaims(groupRuns(records));
    expect(result?.status).toBe('pass');
    expect(result?.statement).toBe(
      'weighted brings the training loss within 5% of its final value in fewer epochs than plain (at least 2× fewer) (mean over seeds)',
    );
    expect(result?.evidence).toEqual([
      '✓ plain needs 2.2× the epochs of weighted; needs ≥ 2×',
      '  weighted: 2.5 epochs to within 5% of the final training loss (mean of 2 seeds, range 2–3; seed 1 2/6 (2.000 → 1.000), seed 2 3/6 (2.000 → 1.000))',
      '  vs plain: 5.5 epochs to within 5% of the final training loss (mean of 2 seeds, range 5–6; seed 1 6/6 (0.400 → 0.050), seed 2 5/6 (0.400 → 0.050))',
    ]);
    expect(result?.epochsToPlateau?.map((group) => group.seeds.map((seed) => seed.epoch))).toEqual([
      [2, 3],
      [6, 5],
    ]);
    // Faster, but not by the factor: 5.5 / 3.5 < 2.
    const slowish = records.map((record) =>
      record.variant === 'weighted'
        ? { ...record, history: record.history.map((epoch, index) => ({ ...epoch, loss: index < 3 ? 2 : 1 })) }
        : record,
    );
    const [notByFactor] = evaluateClaims(groupRuns(slowish));
    expect(notByFactor?.status).toBe('fail');
    expect(notByFactor?.evidence[0]).toBe('✗ plain needs 1.38× the epochs of weighted; needs ≥ 2×');
  });

  it('reads a validation metric when metric is not loss', () => {
    const claim: Claim = { ...fewer, metric: 'f1', factor: 1 };
    const records = [
      run('weighted', 1, [0.5, 0.9, 0.9, 0.9], 0.9, [claim]),
      run('plain', 1, [0.1, 0.3, 0.6, 0.9], 0.9, [claim]),
    ];
    const [result] = evaluateClaims(groupRuns(records));
    expect(result?.status).toBe('pass');
    expect(result?.evidence[0]).toBe('✓ plain needs 2× the epochs of weighted');
    expect(result?.evidence[1]).toContain('2.0 epochs to within 5% of the final validation f1');
  });

  it('same: every seed plateaus at the same epoch in both variants (a loss times a constant does)', () => {
    const same: Claim = { ...fewer, relation: 'same', variant: 'control', than: 'weighted', factor: undefined };
    delete (same as { factor?: number }).factor;
    const curve = (seed: number) => [0.4, 0.2, 0.1 + 0.01 * seed, 0.06, 0.05, 0.05];
    const records = [1, 2].flatMap((seed) => [
      lossRun('control', seed, curve(seed), [same]),
      lossRun(
        'weighted',
        seed,
        curve(seed).map((value) => value * 21.47),
        [same],
      ),
    ]);
    const [result] = evaluateClaims(groupRuns(records));
    expect(result?.status).toBe('pass');
    expect(result?.statement).toBe(
      'control and weighted bring the training loss within 5% of its final value at the same epoch, seed by seed',
    );
    expect(result?.evidence[0]).toBe('✓ every seed plateaus at the same epoch in both');
    const shifted = records.map((record) =>
      record.variant === 'weighted' && record.seed === 2
        ? { ...record, history: record.history.map((epoch, index) => ({ ...epoch, loss: index < 3 ? 9 : 1 })) }
        : record,
    );
    const [different] = evaluateClaims(groupRuns(shifted));
    expect(different?.status).toBe('fail');
    expect(different?.evidence[0]).toBe('✗ different epochs for seed 2 (5 vs 4)');
    // Seeds that cannot be paired leave it unknown.
    const unpaired = records.filter((record) => !(record.variant === 'weighted' && record.seed === 2));
    expect(evaluateClaims(groupRuns(unpaired))[0]?.status).toBe('unknown');
  });

  it('is unknown (never pass) when a variant or the curve is missing', () => {
    const [missingVariant] = evaluateClaims(groupRuns([lossRun('weighted', 1, [2, 1], [fewer])]));
    expect(missingVariant?.status).toBe('unknown');
    expect(missingVariant?.evidence).toEqual(['? no runs of plain to compare with']);
    const claim: Claim = { ...fewer, metric: 'prAuc' };
    const [missingCurve] = evaluateClaims(
      groupRuns([lossRun('weighted', 1, [2, 1], [claim]), lossRun('plain', 1, [2, 1], [claim])]),
    );
    expect(missingCurve?.status).toBe('unknown');
    expect(missingCurve?.evidence).toEqual(['? a run without a per-epoch validation prAuc']);
  });
});

describe('the Claim codec', () => {
  it('accepts an epochsToPlateau claim and names the bad field of a wrong one', () => {
    const good = { kind: 'epochsToPlateau', metric: 'loss', within: 0.05, variant: 'a', relation: 'fewer', than: 'b' };
    /** The decoded claim, or the problems by path. */
    const decode = (value: unknown): unknown => {
      const result = ClaimCodec.decode(value);
      return result._tag === 'Right' ? result.right : formatErrors(result.left);
    };
    expect(decode(good)).toEqual(good);
    const same = { ...good, relation: 'same', factor: 1, description: 'x' };
    expect(decode(same)).toEqual(same);
    expect(decode({ ...good, within: 0 })).toEqual(['within: expected a number in (0, 1), got 0']);
    expect(decode({ ...good, within: 1.5 })).toEqual(['within: expected a number in (0, 1), got 1.5']);
    expect(decode({ ...good, relation: 'slower' })).toEqual(['relation: expected "fewer" | "same", got "slower"']);
    expect(decode({ ...good, factor: 0.5 })).toEqual(['factor: expected a number ≥ 1, got 0.5']);
    const { than: _than, ...withoutThan } = good;
    expect(decode(withoutThan)).toEqual(['than: expected string, got nothing']);
  });
});

describe('claims about two variants, judged in each cohort', () => {
  it('pairs the variants within each code state and says which one a cohort lacks', () => {
    // Code state 1111111 ran weighted (epoch 1 reaches 0.8) and plain (epoch 3); 2222222 ran only plain.
    const faster: Claim = { kind: 'fasterToTarget', metric: 'f1', target: 0.8, faster: 'weighted', slower: 'plain' };
    const at = (record: RunRecord, commit: string): RunRecord => ({
      ...record,
      runId: `${record.runId}-${commit}`,
      environment: { ...record.environment, git: { commit: commit.repeat(40), dirty: false } },
    });
    const records = [
      at(run('weighted', 1, [0.9, 0.9, 0.9], 0.9, [faster]), '1'),
      at(run('plain', 1, [0.1, 0.5, 0.85], 0.9, [faster]), '1'),
      at(run('plain', 1, [0.1, 0.2, 0.3], 0.9, [faster]), '2'),
    ];
    const [result] = evaluateClaims(groupRuns(records, 'commit'));
    expect(result?.status).toBe('unknown');
    expect(result?.evidence).toEqual([
      '✓ weighted @ 1111111: 1.0 epochs to f1 ≥ 0.800 (mean of 1 of 1 seed, range 1–1)',
      '  vs plain @ 1111111: 3.0 epochs to f1 ≥ 0.800 (mean of 1 of 1 seed, range 3–3)',
      '? no runs of weighted @ 2222222 to compare with',
    ]);
    expect(result?.epochsToTarget?.map((entry) => entry.label)).toEqual(['weighted @ 1111111', 'plain @ 1111111']);
  });
});
