import { describe, expect, it } from 'vitest';
import { Claim, formatErrors, ReportSettings } from '../index.js';

describe('beats claims and report settings', () => {
  it('a beats claim decodes with its optional alpha and direction, and names a bad alpha by path', () => {
    const claim = { kind: 'beats', variant: 'cb-ce', than: 'ce', metric: 'macroF1', alpha: 0.05, direction: 'higher' };
    expect(Claim.is(claim)).toBe(true);
    const bad = Claim.decode({ ...claim, alpha: 1.5 });
    expect(bad._tag).toBe('Left');
    expect(bad._tag === 'Left' ? formatErrors(bad.left).join('; ') : '').toContain(
      'alpha: expected a number in (0, 1), got 1.5',
    );
  });

  it('report settings reject an unknown key and a direction other than higher or lower', () => {
    expect(ReportSettings.is({ primary: [{ metric: 'macroF1', direction: 'higher' }], alpha: 0.01 })).toBe(true);
    const typo = ReportSettings.decode({ primry: [] });
    expect(typo._tag === 'Left' ? formatErrors(typo.left) : []).toEqual([
      'primry: unknown key (expected one of: primary, alpha, classGroups)',
    ]);
    const direction = ReportSettings.decode({ primary: [{ metric: 'loss', direction: 'down' }] });
    expect(direction._tag).toBe('Left');
  });
});
