import { describe, expect, it } from 'vitest';
import { defaultDirection, metricName, metricRange, metricTitle, metricUnit, sortMetrics } from '../metrics.js';

describe('the metric vocabulary', () => {
  it('reads the metric of a key the same way for title, unit, range and direction', () => {
    expect(metricName('validation.balancedAccuracy')).toBe('balancedAccuracy');
    expect(metricName('even.accuracy')).toBe('accuracy');
    expect(metricName('macroF1')).toBe('macroF1');
    expect(metricTitle('validation.macroF1')).toBe('validation macro F1');
    expect(metricUnit('validation.balancedAccuracy')).toBe('fraction, 0–1');
    expect(metricUnit('training.loss')).toBe('mean loss per sample');
    expect(metricRange('even.accuracy')).toEqual([0, 1]);
    expect(defaultDirection('validation.loss')).toBe('lower');
    expect(defaultDirection('validation.meanAbsoluteError')).toBe('lower');
    expect(defaultDirection('validation.lossless')).toBe('higher');
  });

  it('orders metrics: the preferred ones first, then the rest alphabetically', () => {
    expect(sortMetrics(['loss', 'even.accuracy', 'f1', 'accuracy', 'macroF1', 'alpha'])).toEqual([
      'accuracy',
      'macroF1',
      'f1',
      'loss',
      'alpha',
      'even.accuracy',
    ]);
  });
});
