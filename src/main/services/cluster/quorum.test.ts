import { describe, expect, it } from 'vitest';
import { quorumOf } from './quorum.ts';

describe('quorumOf', () => {
  it('three managers need two and tolerate one; losing one more keeps a majority with no margin', () => {
    const q = quorumOf(3, 3);
    expect(q).toMatchObject({ needed: 2, tolerance: 1, healthy: true, warnings: [] });
    expect(q.oneMoreLost).toBe('Losing one more manager leaves 2 of 3: still a majority, the cluster keeps working, with no margin left.');
  });

  it('three managers with one unreachable: one more lost stops changes', () => {
    const q = quorumOf(3, 2);
    expect(q.healthy).toBe(true);
    expect(q.warnings).toEqual(['1 of 3 managers unreachable.']);
    expect(q.oneMoreLost).toMatch(/leaves 1 of 3, short of the 2 needed: no deploys/);
  });

  it('one manager: warned, and losing it stops changes', () => {
    const q = quorumOf(1, 1);
    expect(q).toMatchObject({ needed: 1, tolerance: 0, healthy: true });
    expect(q.warnings[0]).toMatch(/^One manager/);
    expect(q.oneMoreLost).toMatch(/leaves 0 of 1, short of the 1 needed/);
  });

  it('an even number is warned about: two tolerate nothing, four tolerate what three do', () => {
    expect(quorumOf(2, 2)).toMatchObject({ needed: 2, tolerance: 0 });
    expect(quorumOf(2, 2).warnings[0]).toMatch(/^Two managers tolerate no loss/);
    const four = quorumOf(4, 4);
    expect(four).toMatchObject({ needed: 3, tolerance: 1 });
    expect(four.warnings).toEqual(['4 managers tolerate 1 lost, no more than 3 would: use an odd number.']);
    expect(quorumOf(5, 5)).toMatchObject({ needed: 3, tolerance: 2, warnings: [] });
  });

  it('a lost majority is reported as lost', () => {
    const q = quorumOf(3, 1);
    expect(q.healthy).toBe(false);
    expect(q.oneMoreLost).toMatch(/^Quorum is lost \(1 of 3 reachable, 2 needed\)/);
    expect(quorumOf(0, 0).healthy).toBe(false);
  });
});
