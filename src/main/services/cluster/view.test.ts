import { describe, expect, it } from 'vitest';
import { LocalChecks } from './view.ts';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('LocalChecks: a down node asked in the background', () => {
  it('answers at once when the engine answers quickly (positive control)', async () => {
    expect(await new LocalChecks().state('a', () => after(10, 'inactive'))).toBe('inactive');
  });

  it('does not hold the view for a node that does not answer, and gives its answer to a later read', async () => {
    const checks = new LocalChecks();
    let asked = 0;
    const ask = () => {
      asked += 1;
      return after(600, 'inactive');
    };
    const t0 = Date.now();
    expect(await checks.state('b', ask)).toBeNull();
    expect(Date.now() - t0).toBeLessThan(550);
    // A read while the question is still out waits for the same question, not a new one.
    expect(await checks.state('b', ask)).toBeNull();
    await after(700, null);
    expect(await checks.state('b', ask)).toBe('inactive');
    expect(asked).toBe(1);
  });

  it('treats a failing engine as no answer', async () => {
    expect(await new LocalChecks().state('c', () => Promise.reject(new Error('cut off')))).toBeNull();
  });
});
