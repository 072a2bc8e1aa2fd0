import { describe, expect, it } from 'vitest';
import { ChannelLimiter } from './limiter.ts';

describe('ChannelLimiter', () => {
  it('queues beyond the limit and hands slots over in order', async () => {
    const l = new ChannelLimiter(2);
    const r1 = await l.acquire();
    const r2 = await l.acquire();
    const order: number[] = [];
    const p3 = l.acquire().then((r) => (order.push(3), r));
    const p4 = l.acquire().then((r) => (order.push(4), r));
    expect([l.inUse, l.queued]).toEqual([2, 2]);
    r1();
    const r3 = await p3;
    expect([l.inUse, l.queued, order]).toEqual([2, 1, [3]]);
    r2();
    r2(); // double release is harmless
    const r4 = await p4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(l.inUse).toBe(0);
  });

  it('shrinks to a learned limit and lets queued requests be aborted', async () => {
    const l = new ChannelLimiter(10);
    const r1 = await l.acquire();
    l.learnLimit(1);
    const ac = new AbortController();
    const p = l.acquire(ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
    expect(l.queued).toBe(0);
    r1();
    expect(l.inUse).toBe(0);
    expect(l.capacity).toBe(1);
  });
});

describe('ChannelLimiter: background work', () => {
  it('leaves a slot for other requests and lets them go first', async () => {
    const l = new ChannelLimiter(2);
    const b1 = await l.acquire({ background: true });
    const order: string[] = [];
    const b2 = l.acquire({ background: true }).then((r) => (order.push('b2'), r));
    // One background session at most of two: a user's request starts at once.
    expect([l.inUse, l.queued]).toEqual([1, 1]);
    const u1 = await l.acquire();
    const u2 = l.acquire().then((r) => (order.push('u2'), r));
    expect([l.inUse, l.queued]).toEqual([2, 2]);
    b1();
    const r2 = await u2;
    expect(order).toEqual(['u2']);
    u1();
    r2();
    (await b2)();
    expect(order).toEqual(['u2', 'b2']);
    expect([l.inUse, l.queued]).toEqual([0, 0]);
  });

  it('still runs background work when the server allows one session', async () => {
    const l = new ChannelLimiter(1);
    const b = await l.acquire({ background: true });
    expect(l.inUse).toBe(1);
    const u = l.acquire();
    b();
    (await u)();
    expect(l.inUse).toBe(0);
  });
});
