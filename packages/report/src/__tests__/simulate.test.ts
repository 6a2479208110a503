import { describe, expect, it } from 'vitest';
import { DEFAULT_SIMULATION, simulateIntervals, simulationTable } from '../simulate.js';

// A small deterministic version of tools/simulate-statistics.ts (whose 4,000 studies fill STATISTICS.md).
const small = { ...DEFAULT_SIMULATION, studies: 40, examples: 30, replicates: 200, seed: 'test simulation' };

describe('simulated studies', () => {
  // Catches: intervals at the wrong level or of the wrong quantity (coverage collapses), an IQM
  // interval judged against the wrong truth, a
  // simulation that is not reproducible, a null scenario whose truth is not "no difference".
  it('is reproducible, and its intervals cover the truth in a broad band around 95 %', () => {
    expect(simulateIntervals({ ...small, studies: 3 })).toEqual(simulateIntervals({ ...small, studies: 3 }));
    const first = simulateIntervals(small);
    expect(first.trueDifference).toBe(0);
    expect(first.trueProbability).toBe(0.5);
    // 40 studies: a share of 95 % has a Monte-Carlo SE of 3.4 points; these bands are about 3 SE wide
    expect(first.coverage.twoLevel).toBeGreaterThanOrEqual(0.84);
    expect(first.coverage.tInterval).toBeGreaterThanOrEqual(0.84);
    expect(first.coverage.probability).toBeGreaterThanOrEqual(0.84);
    expect(first.coverage.iqm).toBeGreaterThanOrEqual(0.84);
    expect(first.declared.twoLevel).toBeLessThanOrEqual(0.16);
    expect(first.declared.tTest).toBeLessThanOrEqual(0.16);
  }, 60_000);

  it('finds a true difference more often than none, and knows its true size', () => {
    const result = simulateIntervals({ ...small, difference: 0.12 });
    // averaged over example difficulties the accuracy gap shrinks below the runs’ 0.12
    expect(result.trueDifference).toBeGreaterThan(0.06);
    expect(result.trueDifference).toBeLessThan(0.12);
    expect(result.trueProbability).toBeGreaterThan(0.6);
    expect(result.declared.twoLevel).toBeGreaterThan(0.5);
    expect(result.declared.tTest).toBeGreaterThan(0.5);
    expect(simulationTable([result])).toMatch(
      /^\| scenario \| seeds \| test examples \|[^\n]*\n\| --- [^\n]*\n\| A − B = 0\.12 \| 5 \| 30 \| 40 \| 0\.\d+ \|/,
    );
  }, 60_000);
});
