import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.ts';
import { bounded } from './swarm.ts';

describe('bounded (every swarm Engine API call, cluster and cluster apps)', () => {
  it('gives up after the time given with TIMEOUT naming the call, and aborts the signal the call was handed', async () => {
    let seen: AbortSignal | undefined;
    const e = await bounded((signal) => {
      seen = signal;
      return new Promise<never>(() => undefined);
    }, 'listing nodes on a', 30).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
    expect((e as Error).message).toMatch(/^listing nodes on a did not finish within/);
    expect(seen?.aborted).toBe(true);
  });

  it('returns what the call answers in time, its signal left alone', async () => {
    let seen: AbortSignal | undefined;
    const value = await bounded(async (signal) => {
      seen = signal;
      return 'ok';
    }, 'reading the swarm', 1_000);
    expect(value).toBe('ok');
    expect(seen?.aborted).toBe(false);
  });
});
