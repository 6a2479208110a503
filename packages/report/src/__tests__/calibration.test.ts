import { describe, expect, it } from 'vitest';
import { calibrationOf, confidenceBin, notProbabilities, predictionsKey } from '../calibration.js';
import { groupCalibrations } from '../certainty.js';
import type { RunGroup } from '../groups.js';
import type { RunRecord } from '@losslab/schema';

const predictions = (truth: number[], probabilities: number[], classes: number) => ({
  index: Uint32Array.from(truth, (_, i) => i),
  truth: Int32Array.from(truth),
  probabilities: Float32Array.from(probabilities),
  classes,
});

// Hand-computed: confidences 0.9 (right), 0.7 (wrong), 0.62 (right), 0.5 (a tie: the first class, wrong),
// each alone in its bin (13, 10, 9, 7).
const small = predictions([1, 0, 0, 1], [0.1, 0.9, 0.3, 0.7, 0.62, 0.38, 0.5, 0.5], 2);

// Fixed data and the numbers numpy 1.24 computes for it (/usr/bin/python3, bins as Guo et al.'s
// code: np.linspace(0, 1, 16), (lower, upper]; Brier Σ_k; NLL with p clipped at 1e-7).
const PROBABILITIES = [
  0.6399999856948853, 0.20000000298023224, 0.1599999964237213, 0.17000000178813934, 0.6600000262260437,
  0.17000000178813934, 0.949999988079071, 0.029999999329447746, 0.019999999552965164, 0.0, 1.0, 0.0,
  0.008436623960733414, 0.24993042647838593, 0.7416329383850098, 0.004890088457614183, 0.38004419207572937,
  0.6150657534599304, 0.6966245770454407, 0.038848813623189926, 0.2645266056060791, 0.21927016973495483,
  0.756489098072052, 0.024240707978606224, 0.22822681069374084, 0.7706809639930725, 0.0010922322981059551,
  0.6736055612564087, 0.020318660885095596, 0.3060757517814636, 0.018133483827114105, 0.9026429057121277,
  0.07922360301017761, 0.6505877375602722, 0.01634204015135765, 0.33307021856307983, 0.8101223707199097,
  0.011449269950389862, 0.17842838168144226, 0.7316542863845825, 0.24548129737377167, 0.022864416241645813,
  0.31026971340179443, 0.10258195549249649, 0.5871483087539673, 0.17946195602416992, 0.8134452104568481,
  0.007092834450304508, 0.5191633701324463, 0.37382033467292786, 0.10701631754636765, 0.39853087067604065,
  0.15256424248218536, 0.4489049017429352, 0.5835985541343689, 0.08648460358381271, 0.3299168348312378,
  0.8564537763595581, 0.041300032287836075, 0.10224618762731552, 0.862789511680603, 0.11915285140275955,
  0.018057623878121376, 0.0162397138774395, 0.8555510640144348, 0.1282092034816742, 0.007480863016098738,
  0.9359133243560791, 0.05660578981041908, 0.5665768384933472, 0.029268400743603706, 0.4041547477245331,
  0.03324979171156883, 0.013773427344858646, 0.9529767632484436, 0.9689830541610718, 0.02095746621489525,
  0.010059475898742676, 0.0903196856379509, 0.6336700320243835, 0.27601030468940735, 0.006093630567193031,
  0.7671388983726501, 0.22676746547222137, 0.0861310064792633, 0.018448788672685623, 0.8954201936721802,
  0.9044978022575378, 0.07356709986925125, 0.021935084834694862,
];
const TRUTH = [0, 2, 0, 1, 2, 2, 1, 0, 0, 2, 0, 2, 0, 1, 2, 2, 0, 0, 0, 1, 1, 1, 2, 0, 2, 2, 1, 2, 0, 2];

describe('calibration', () => {
  // Catches: bins [lower, upper) at the top (1 would fall outside), a bin count other than 15, a shifted index.
  it('puts a confidence c into bin ⌈15c⌉ − 1, 0 into the first and 1 into the last', () => {
    expect([0, 0.01, 0.5, 0.62, 0.7, 0.9, 0.95, 1].map(confidenceBin)).toEqual([0, 0, 7, 9, 10, 13, 14, 14]);
  });

  // Catches: ECE weighted by bins instead of examples, Brier over both columns of a binary problem,
  // the NLL of the top class instead of the true one, ties resolved to the last class.
  it('gives the hand-computed ECE, Brier score and NLL of four examples', () => {
    const calibration = calibrationOf(small)!;
    expect(calibration.ece).toBeCloseTo((0.1 + 0.7 + 0.38 + 0.5) / 4, 6);
    expect(calibration.brier).toBeCloseTo((0.01 + 0.49 + 0.1444 + 0.25) / 4, 6);
    expect(calibration.nll).toBeCloseTo(-(Math.log(0.9) + Math.log(0.3) + Math.log(0.62) + Math.log(0.5)) / 4, 6);
    expect(calibration.bins.map((bin) => bin.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0]);
    expect(calibration.bins[7]).toMatchObject({ lower: 7 / 15, upper: 8 / 15, accuracy: 0 });
    expect(calibration.bins[7]?.confidence).toBeCloseTo(0.5, 6);
  });

  // Catches an off-by-one bin (0.64 and 0.66 share bin 9 of 15 but not of 14; 0.95 and 0.97 share the last), 14 or 16 bins, a wrong Brier or NLL.
  it('matches numpy on 30 fixed examples of 3 classes', () => {
    const calibration = calibrationOf(predictions(TRUTH, PROBABILITIES, 3))!;
    expect(calibration.bins.map((bin) => bin.count)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 3, 5, 3, 4, 5, 3, 5]);
    expect(calibration.ece).toBeCloseTo(0.441278788447, 10);
    expect(calibration.brier).toBeCloseTo(0.856262074239, 10);
    expect(calibration.nll).toBeCloseTo(1.552336037395, 10);
  });

  it('resamples the examples given by rows, repeats included', () => {
    // rows [0, 0, 2, 2]: two right answers at 0.9 and two at 0.62
    const calibration = calibrationOf(small, [0, 0, 2, 2])!;
    expect(calibration.ece).toBeCloseTo((0.1 + 0.38) / 2, 6);
    expect(calibration.size).toBe(4);
  });

  it('computes nothing for outputs that are not probabilities', () => {
    const scores = predictions([0, 1], [2.5, -1, 0.2, 0.3], 2);
    expect(notProbabilities(scores)).toBe('example 0: output 2.5 of class 0 is not a probability');
    expect(calibrationOf(scores)).toBeNull();
    expect(notProbabilities(predictions([0], [0.2, 0.3], 2))).toMatch(/sum to 0\.5/);
  });

  // Catches pooling bins by averaging the seeds' bin accuracies instead of weighting by their counts.
  it('summarises a group over seeds and pools its reliability bins by example counts', () => {
    const record = (runId: string) =>
      ({ experiment: 'e', runId, predictions: { split: 'test' } }) as unknown as RunRecord;
    const group = {
      label: 'a',
      experiment: 'e',
      variant: 'a',
      cohort: null,
      records: [record('r1'), record('r2'), record('r3')],
    } as RunGroup;
    const byRun = new Map([
      [predictionsKey(record('r1')), predictions([1], [0.1, 0.9], 2)],
      [predictionsKey(record('r2')), predictions([0, 0, 0], [0.1, 0.9, 0.1, 0.9, 0.1, 0.9], 2)],
    ]);
    const [result] = groupCalibrations([group], byRun).groups;
    expect(result).toMatchObject({ label: 'a', split: 'test', measured: 2, runs: 3 });
    expect(result?.ece.mean).toBeCloseTo((0.1 + 0.9) / 2, 6);
    expect(result?.bins[13]?.count).toBe(4);
    expect(result?.bins[13]?.accuracy).toBeCloseTo(0.25, 12);
    expect(result?.accuracy.mean).toBeCloseTo(0.5, 12);
  });
});
