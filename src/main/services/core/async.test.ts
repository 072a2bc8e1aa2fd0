import { EventEmitter, on } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortable, AsyncQueue, eventQueue, isAbort, linkedStream, linkSignals, Notifier, sleep, waitAny, withTimeout } from './async.ts';
import { AppError } from './errors.ts';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('isAbort', () => {
  it('recognises cancellations from controllers, events.on and SDKs, and nothing else', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(isAbort(ac.signal.reason)).toBe(true);
    const ac2 = new AbortController();
    const iter = on(new EventEmitter(), 'x', { signal: ac2.signal });
    const pending = caught(iter.next());
    ac2.abort();
    expect(isAbort(await pending)).toBe(true);
    expect(isAbort(Object.assign(new Error('stopped'), { name: 'APIUserAbortError' }))).toBe(true);
    expect(isAbort(new DOMException('t', 'TimeoutError'))).toBe(false);
    expect(isAbort(new AppError('TIMEOUT', 'x'))).toBe(false);
    expect(isAbort('AbortError')).toBe(false);
    expect(isAbort(null)).toBe(false);
  });
});

describe('withTimeout', () => {
  it('passes the value or the failure of work that finishes in time', async () => {
    expect(await withTimeout(Promise.resolve(7), 1000, 'x')).toBe(7);
    expect(await caught(withTimeout(Promise.reject(new Error('own')), 1000, 'x'))).toMatchObject({ message: 'own' });
    expect(await caught(withTimeout(() => { throw new Error('sync'); }, 1000, 'x'))).toMatchObject({ message: 'sync' });
  });

  it('rejects with TIMEOUT naming what, and aborts the signal the work was given with that same error', async () => {
    let given: AbortSignal | null = null;
    const started = Date.now();
    const e = await caught(withTimeout((signal) => ((given = signal), new Promise(() => {})), 60, 'listing containers'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ code: 'TIMEOUT', message: 'listing containers did not finish within 60 ms' });
    expect(given!.aborted).toBe(true);
    expect(given!.reason).toBe(e);
    expect((await caught(withTimeout(new Promise(() => {}), 1200, 'uname')) as Error).message).toBe('uname did not finish within 1 s');
  });

  it('fails with the error `what` makes, made once and only when the time is up', async () => {
    let made = 0;
    const own = () => (made++, new AppError('TIMEOUT', 'reading the job state: no answer within 0 s'));
    expect(await withTimeout(Promise.resolve(1), 50, own)).toBe(1);
    await sleep(80);
    expect(made).toBe(0);
    let given: AbortSignal | null = null;
    const e = await caught(withTimeout((signal) => ((given = signal), new Promise(() => {})), 30, own));
    expect(e).toMatchObject({ code: 'TIMEOUT', message: 'reading the job state: no answer within 0 s' });
    expect(made).toBe(1);
    expect(given!.reason).toBe(e);
  });

  it('has no limit when ms is 0 or undefined', async () => {
    expect(await withTimeout(sleep(80).then(() => 'late'), undefined, 'x')).toBe('late');
    expect(await withTimeout(sleep(80).then(() => 'late'), 0, 'x')).toBe('late');
  });
});

describe('linkSignals', () => {
  it('aborts with any parent, with its reason, and its own abort leaves the parents alone', () => {
    const a = new AbortController();
    const b = new AbortController();
    const link = linkSignals(a.signal, undefined, b.signal);
    expect(link.signal.aborted).toBe(false);
    b.abort('b went');
    expect(link.signal.aborted).toBe(true);
    expect(link.signal.reason).toBe('b went');
    const other = linkSignals(a.signal);
    other.abort();
    expect(other.signal.aborted).toBe(true);
    expect(a.signal.aborted).toBe(false);
    a.abort();
    expect(linkSignals(a.signal).signal.aborted).toBe(true);
  });

  it('times out with TIMEOUT naming what; restartTimeout re-arms it like a watchdog', async () => {
    const link = linkSignals({ timeoutMs: 80, what: 'the first token' });
    await sleep(50);
    link.restartTimeout();
    await sleep(50);
    expect(link.signal.aborted).toBe(false);
    await sleep(60);
    expect(link.signal.aborted).toBe(true);
    expect(link.timedOut).toBe(true);
    expect(link.signal.reason).toMatchObject({ code: 'TIMEOUT', message: 'the first token did not finish within 80 ms' });
    const stopped = linkSignals({ timeoutMs: 30 });
    stopped.abort('done');
    await sleep(60);
    expect([stopped.timedOut, stopped.signal.reason]).toEqual([false, 'done']);
  });
});

describe('linkedStream', () => {
  it('aborts what the source started when the consumer stops, and fails at once when open throws', async () => {
    let seen: AbortSignal | null = null;
    const parent = new AbortController();
    const stream = linkedStream(parent.signal, (signal) => {
      seen = signal;
      return (async function* () {
        for (let i = 0; ; i++) yield i;
      })();
    });
    expect(await stream.next()).toEqual({ done: false, value: 0 });
    expect(seen!.aborted).toBe(false);
    await stream.return(undefined);
    expect(seen!.aborted).toBe(true);
    expect(parent.signal.aborted).toBe(false);
    expect(() => linkedStream(parent.signal, () => { throw new AppError('NOT_FOUND', 'id: no such thing'); })).toThrow('id: no such thing');
  });

  it('passes the parent abort to the source', async () => {
    const parent = new AbortController();
    const stream = linkedStream(parent.signal, (signal) => (async function* () {
      yield 'first';
      await new Promise((r) => signal.addEventListener('abort', r));
      yield `stopped: ${String(signal.reason)}`;
    })());
    await stream.next();
    const second = stream.next();
    parent.abort('client left');
    expect(await second).toEqual({ done: false, value: 'stopped: client left' });
  });
});

describe('abortable, sleep', () => {
  it('rejects with the reason on abort and runs the cleanup exactly once either way', async () => {
    let cleanups = 0;
    const ac = new AbortController();
    const p = abortable<number>(ac.signal, () => () => cleanups++);
    ac.abort('gone');
    expect(await caught(p)).toBe('gone');
    expect(await abortable<number>(ac.signal, () => () => cleanups++).catch((e: unknown) => e)).toBe('gone');
    expect(await abortable<number>(undefined, (resolve) => (resolve(3), () => cleanups++))).toBe(3);
    expect(cleanups).toBe(2);
  });

  it('sleep returns true after the time, false as soon as the signal aborts', async () => {
    expect(await sleep(20)).toBe(true);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const started = Date.now();
    expect(await sleep(5_000, ac.signal)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('Notifier', () => {
  it('wakes waiters on notify, after a timeout, or on abort, and keeps no waiter afterwards', async () => {
    const n = new Notifier();
    const m = new Notifier();
    const woken = n.wait();
    expect(n.waiting).toBe(1);
    n.notify();
    expect(await woken).toBe('notified');
    const any = waitAny([n, m], { timeoutMs: 5_000 });
    m.notify();
    expect(await any).toBe('notified');
    expect([n.waiting, m.waiting]).toEqual([0, 0]);
    expect(await n.wait({ timeoutMs: 20 })).toBe('timeout');
    const ac = new AbortController();
    const aborted = n.wait({ signal: ac.signal });
    ac.abort();
    expect(await aborted).toBe('aborted');
    expect(n.waiting).toBe(0);
  });
});

async function drain<T>(q: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of q) out.push(v);
  return out;
}

describe('AsyncQueue', () => {
  it('delivers in order what was pushed before end, then completes; pushes after end are refused', async () => {
    const q = new AsyncQueue<number>();
    const got = drain(q);
    q.push(1);
    await sleep(5);
    q.push(2);
    q.push(3);
    q.end();
    expect(q.push(4)).toBe(false);
    expect(await got).toEqual([1, 2, 3]);
  });

  it('delivers what came before a failure, then throws it', async () => {
    const q = new AsyncQueue<string>();
    q.push('a');
    q.fail(new AppError('CONNECT_FAILED', 'gone'));
    expect(await q.next()).toEqual({ done: false, value: 'a' });
    expect(await caught(q.next())).toMatchObject({ code: 'CONNECT_FAILED' });
    expect(await q.next()).toEqual({ done: true, value: undefined });
  });

  it("ends (not fails) when the consumer's signal aborts or it returns, closing once", async () => {
    const ac = new AbortController();
    let closed = 0;
    const q = new AsyncQueue<number>({ signal: ac.signal, onClose: () => closed++ });
    q.push(1);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    const waiting = q.next();
    ac.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    await q.return();
    expect(closed).toBe(1);
    const r = new AsyncQueue<number>({ onClose: () => closed++ });
    r.push(1);
    await r.return();
    expect(await r.next()).toEqual({ done: true, value: undefined });
    expect(closed).toBe(2);
  });

  it('is bounded: overflow fails the stream naming it, or drops the oldest when asked', async () => {
    const q = new AsyncQueue<number>({ max: 2, what: 'fleet.watch' });
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, false]);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    expect(await q.next()).toEqual({ done: false, value: 2 });
    expect(await caught(q.next())).toMatchObject({ message: 'fleet.watch: the reader fell more than 2 items behind' });
    const d = new AsyncQueue<number>({ max: 2, overflow: 'drop-oldest' });
    for (let i = 1; i <= 5; i++) d.push(i);
    d.end();
    expect(await drain(d)).toEqual([4, 5]);
  });
});

describe('eventQueue', () => {
  it('yields the initial items, then events (mapped), and unsubscribes when the consumer stops', async () => {
    const em = new EventEmitter();
    const q = eventQueue<string>(em, 'state', { initial: ['now'], map: (id: string, state: string) => `${id}=${state}` });
    expect(em.listenerCount('state')).toBe(1);
    em.emit('state', 's1', 'ready');
    expect(await q.next()).toEqual({ done: false, value: 'now' });
    expect(await q.next()).toEqual({ done: false, value: 's1=ready' });
    await q.return();
    expect(em.listenerCount('state')).toBe(0);
    const ac = new AbortController();
    ac.abort();
    let closed = 0;
    const dead = eventQueue<string>(em, 'state', { signal: ac.signal, onClose: () => closed++ });
    expect([em.listenerCount('state'), closed, (await dead.next()).done]).toEqual([0, 1, true]);
  });
});
