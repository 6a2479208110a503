import { describe, expect, it } from 'vitest';
import type { RunRecord, Seeding } from '@losslab/schema';
import { renderHtml } from '../html.js';
import { renderMarkdown } from '../markdown.js';
import { buildReport } from '../model.js';
import { chiSquareQuantile, fQuantile, varianceEstimate, varianceShare } from '../variance-sources.js';
import { mnistRecord } from './fixtures.js';

describe('variance and its intervals', () => {
  it('chi-square and F quantiles: closed forms for 2 degrees of freedom, table values otherwise', () => {
    // χ²₂ has CDF 1 − e^(−x/2), so its p-quantile is −2 ln(1 − p)
    expect(chiSquareQuantile(0.975, 2)).toBeCloseTo(-2 * Math.log(0.025), 9);
    expect(chiSquareQuantile(0.025, 2)).toBeCloseTo(-2 * Math.log(0.975), 9);
    // printed chi-square tables (series and continued-fraction branches)
    expect(chiSquareQuantile(0.975, 1)).toBeCloseTo(5.023886, 5);
    expect(chiSquareQuantile(0.025, 1)).toBeCloseTo(0.000982069, 8);
    expect(chiSquareQuantile(0.975, 4)).toBeCloseTo(11.14329, 4);
    expect(chiSquareQuantile(0.025, 4)).toBeCloseTo(0.4844186, 6);
    // F(2, 2) has CDF x / (1 + x), so its p-quantile is p / (1 − p)
    expect(fQuantile(0.975, 2, 2)).toBeCloseTo(39, 8);
    expect(fQuantile(0.025, 2, 2)).toBeCloseTo(1 / 39, 10);
    // F(4, 9) from printed F tables
    expect(fQuantile(0.975, 4, 9)).toBeCloseTo(4.718, 3);
  });

  it('the sample variance (n − 1) and its chi-square interval, by hand on 1, 2, 3', () => {
    const estimate = varianceEstimate([1, 2, 3]);
    // s² = ((−1)² + 0² + 1²) / 2 = 1; (n − 1) s² = 2; interval [2 / χ²₀.₉₇₅,₂, 2 / χ²₀.₀₂₅,₂]
    expect(estimate.n).toBe(3);
    expect(estimate.variance).toBe(1);
    expect(estimate.interval[0]).toBeCloseTo(2 / (-2 * Math.log(0.025)), 9); // 0.27108…
    expect(estimate.interval[1]).toBeCloseTo(2 / (-2 * Math.log(0.975)), 6); // 39.4978…
    expect(() => varianceEstimate([1])).toThrow(/at least 2 values, got 1/);
  });

  it('a share of variances with the F interval, by hand: 1 of 4 with 2 and 2 degrees of freedom', () => {
    const share = varianceShare(varianceEstimate([1, 2, 3]), varianceEstimate([0, 2, 4]));
    expect(share!.share).toBe(0.25);
    expect(share!.interval[0]).toBeCloseTo(0.25 / 39, 9);
    expect(share!.interval[1]).toBeCloseTo(0.25 * 39, 7);
    expect(varianceShare(varianceEstimate([1, 2]), varianceEstimate([5, 5]))).toBeNull();
  });
});

/** A run of `variant` with accuracy `accuracy`, and the seeding of a variance-study run when given. */
function run(variant: string, seed: number, accuracy: number, seeding?: Seeding): RunRecord {
  const record = mnistRecord(seed);
  const { reference: _reference, ...rest } = record;
  return {
    ...rest,
    runId: `20250102-${variant}-s${seed}`,
    variant,
    claims: [],
    evaluation: { ...record.evaluation, metrics: { accuracy, loss: 0.3 } },
    ...(seeding === undefined
      ? {}
      : { seeding, definition: { ...record.definition, seeding } as RunRecord['definition'] }),
  };
}

const study = (source: 'init' | 'order'): Seeding => ({ vary: [source], base: 0, studyOf: 'masked' });

/** masked: all vary 0.80, 0.84, 0.88 (s² = 0.0016); only init 0.80, 0.83, 0.86 (0.0009); only order 0.80, 0.80, 0.81. */
const RECORDS: RunRecord[] = [
  ...[0.8, 0.84, 0.88].map((accuracy, seed) => run('masked', seed, accuracy)),
  ...[0.8, 0.83, 0.86].map((accuracy, seed) => run('masked~vary=init', seed, accuracy, study('init'))),
  ...[0.8, 0.8, 0.81].map((accuracy, seed) => run('masked~vary=order', seed, accuracy, study('order'))),
];

describe('the report: variance by source', () => {
  it('sets study runs apart, states each source’s variance and share with intervals, and which source to vary', async () => {
    const model = await buildReport(RECORDS, { primary: [{ metric: 'accuracy', direction: 'higher' }] });
    // study runs are no variant of their own: no column, no comparison
    expect(model.aggregates.map((aggregate) => aggregate.label)).toEqual(['masked']);
    expect(model.comparisons).toEqual([]);
    const [result] = model.varianceBySource;
    expect(model.varianceBySource).toHaveLength(1);
    expect(result!.variant).toBe('masked');
    expect(result!.metric).toBe('accuracy');
    expect(result!.all!.variance).toBeCloseTo(0.0016, 12);
    expect(result!.sources.map((source) => source.source)).toEqual(['init', 'order']);
    const [init, order] = result!.sources;
    expect(init!.estimate!.variance).toBeCloseTo(0.0009, 12);
    expect(init!.share!.share).toBeCloseTo(0.5625, 9);
    expect(init!.share!.interval[0]).toBeCloseTo(0.5625 / 39, 6);
    expect(init!.share!.interval[1]).toBeCloseTo(0.5625 * 39, 6);
    // s² of 0.80, 0.80, 0.81 = (2 · (1/300)² + (2/300)²) / 2 = 1/30000
    expect(order!.estimate!.variance).toBeCloseTo(1 / 30000, 12);
    expect(order!.seeds).toEqual([0, 1, 2]);
    expect(result!.advice).toMatch(
      /^Vary init to learn most: .*alone 56 % of the variance when all vary.*not clearly larger than order/,
    );
    expect(result!.mismatch).toBeNull();

    const markdown = renderMarkdown(model);
    expect(markdown).toContain('## Variance by source');
    expect(markdown).toContain('| masked | accuracy | all sources | 3 | 0.040 | 0.0016 [4.3e-4, 0.063] | 100 % |');
    expect(markdown).toContain(
      '| masked | accuracy | only init | 3 (0, 1, 2) | 0.030 | 9.0e-4 [2.4e-4, 0.036] | 56 % [1.4 %, 2194 %] |',
    );
    expect(markdown).toContain('| masked | accuracy | only order | 3 (0, 1, 2) |');
    expect(renderHtml(model)).toContain('Variance by source');
  });

  it('a source that changes nothing: variance 0 and a share of 0 %, said in the advice', async () => {
    const flat = RECORDS.map((record) =>
      record.variant === 'masked~vary=order'
        ? { ...record, evaluation: { ...record.evaluation, metrics: { accuracy: 0.8, loss: 0.3 } } }
        : record,
    );
    const model = await buildReport(flat, { primary: [{ metric: 'accuracy', direction: 'higher' }] });
    expect(model.varianceBySource[0]!.advice).toMatch(/ order did not change this metric between seeds\.$/);
    expect(renderMarkdown(model)).toContain(
      '| masked | accuracy | only order | 3 (0, 1, 2) | 0 | 0 [0, 0] | 0 % [0 %, 0 %] |',
    );
  });

  it('says when a study run does not share its variant’s settings, and shows no section without a study', async () => {
    const changed = RECORDS.map((record) =>
      record.variant === 'masked~vary=order'
        ? { ...record, definition: { ...record.definition, train: { epochs: 9 } } }
        : record,
    );
    const model = await buildReport(changed, { primary: [{ metric: 'accuracy', direction: 'higher' }] });
    expect(model.varianceBySource[0]!.mismatch).toMatch(/masked~vary=order-s0 does not share masked's settings/);
    const plain = await buildReport(RECORDS.slice(0, 3), { primary: [{ metric: 'accuracy', direction: 'higher' }] });
    expect(plain.varianceBySource).toEqual([]);
    expect(renderMarkdown(plain)).not.toContain('Variance by source');
  });
});
