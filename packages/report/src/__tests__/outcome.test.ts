import { describe, expect, it } from 'vitest';
import type { Claim } from '@losslab/schema';
import type { ClaimResult, ClaimStatus } from '../claims.js';
import { printOutcome, type ReportOutcome } from '../outcome.js';

const claim: Claim = { kind: 'threshold', metric: 'accuracy', op: '>=', value: 0.9 };

const result = (status: ClaimStatus, statement: string, evidence: readonly string[]): ClaimResult => ({
  claim,
  experiment: 'mnist-odd',
  status,
  statement,
  evidence,
});

const outcome = (claims: readonly ClaimResult[], mismatches: readonly string[] = []): ReportOutcome => ({
  mismatches,
  verdicts: [{ sentence: 'masked has the best accuracy' }],
  claims,
  comparisons: [{ sentence: 'masked vs plain: +0.02' }],
});

function print(given: ReportOutcome, options: { check: boolean; comparisons?: boolean }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = printOutcome(given, options, { log: (line) => out.push(line), error: (line) => err.push(line) });
  return { code, out, err };
}

describe('printOutcome, the one outcome of `losslab run` and `losslab report`', () => {
  it('prints the verdict, each claim with its evidence, and the comparisons only when asked', () => {
    const holds = outcome([result('pass', 'accuracy ≥ 0.9', ['✓ masked: accuracy 0.95'])]);
    expect(print(holds, { check: true })).toEqual({
      code: 0,
      out: ['masked has the best accuracy', '✓ accuracy ≥ 0.9', '    ✓ masked: accuracy 0.95'],
      err: [],
    });
    expect(print(holds, { check: false, comparisons: true }).out.at(-1)).toBe('masked vs plain: +0.02');
  });

  it('with --check, exits 1 on a claim that fails or cannot be decided, and on unlike variants', () => {
    for (const status of ['fail', 'unknown'] as const) {
      const failing = print(outcome([result('pass', 'a', []), result(status, 'b', [])]), { check: true });
      expect(failing.code).toBe(1);
      expect(failing.err).toEqual(['check failed: not every claim holds']);
      // without --check the same outcome is no failure
      expect(print(outcome([result(status, 'b', [])]), { check: false }).code).toBe(0);
    }
    const unlike = print(outcome([], ['masked and plain ran different epochs']), { check: true });
    expect(unlike).toMatchObject({
      code: 1,
      err: ['⚠ masked and plain ran different epochs', 'check failed: the variants are not compared like with like'],
    });
  });

  it('escapes text from records and definitions', () => {
    const hostile = print(outcome([result('pass', 'evil\u001b[2Jclaim', [])]), { check: false });
    expect(hostile.out[1]).not.toContain('\u001b');
  });
});
