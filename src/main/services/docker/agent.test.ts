import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { asSocket } from './agent.ts';

describe('asSocket (an SSH channel as an http socket)', () => {
  it('setTimeout(0, cb) removes the callback, as net.Socket does, so kept-alive sockets do not collect listeners', () => {
    const s = asSocket(new PassThrough()) as PassThrough & { setTimeout(ms: number, cb?: () => void): unknown };
    for (let i = 0; i < 50; i++) {
      const cb = () => {};
      s.setTimeout(60_000, cb);
      s.setTimeout(0, cb);
    }
    expect(s.listenerCount('timeout')).toBe(0);
  });

  it('emits timeout after the idle time and re-arms on data', async () => {
    const s = asSocket(new PassThrough()) as PassThrough & { setTimeout(ms: number, cb?: () => void): unknown };
    let fired = 0;
    s.setTimeout(40, () => fired++);
    await new Promise((r) => setTimeout(r, 25));
    s.write('x');
    s.read();
    await new Promise((r) => setTimeout(r, 25));
    expect(fired).toBe(0);
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toBe(1);
    s.destroy();
  });
});
