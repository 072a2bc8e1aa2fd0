import { describe, expect, it } from 'vitest';
import { ConnectGate } from './connect-gate.ts';

/** Lets every pending promise callback run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('ConnectGate', () => {
  it('holds handshakes to one sshd at its limit while other servers go ahead', async () => {
    const gate = new ConnectGate({ perServer: 2, total: 10 });
    const entered: string[] = [];
    const enter = (key: string, n: number) => gate.enter(key).then((leave) => (entered.push(`${key}${n}`), leave));
    const a = [enter('a', 1), enter('a', 2), enter('a', 3), enter('a', 4)];
    const b = enter('b', 1);
    await settle();
    expect(entered.sort()).toEqual(['a1', 'a2', 'b1']);
    (await a[0]!)();
    await settle();
    expect(entered).toContain('a3');
    expect(entered).not.toContain('a4');
    (await a[1]!)();
    (await a[2]!)();
    (await a[3]!)();
    (await b)();
    expect(gate.peak.perServer.get('a')).toBe(2);
    expect(gate.peak.total).toBe(3);
  });

  it('bounds the total across servers, and a queue for one server holds no global slot', async () => {
    const gate = new ConnectGate({ perServer: 1, total: 2 });
    const order: string[] = [];
    const enter = (key: string) => gate.enter(key).then((leave) => (order.push(key), leave));
    const a1 = enter('a');
    const a2 = enter('a'); // waits for a's slot, not for a global one
    const b = enter('b');
    const c = enter('c'); // waits for a global slot
    await settle();
    expect(order).toEqual(['a', 'b']);
    (await a1)();
    await settle();
    // a's second handshake and c compete for the freed global slot; exactly one gets it.
    expect(order).toHaveLength(3);
    (await b)();
    await settle();
    expect(order.sort()).toEqual(['a', 'a', 'b', 'c']);
    expect(gate.peak.total).toBe(2);
    (await a2)();
    (await c)();
  });

  it('lets a queued handshake be abandoned (the connection was closed) without leaking its slot', async () => {
    const gate = new ConnectGate({ perServer: 1, total: 5 });
    const first = await gate.enter('a');
    const ac = new AbortController();
    const waiting = gate.enter('a', ac.signal);
    ac.abort(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    first();
    first(); // leaving twice is harmless
    const again = await gate.enter('a');
    const other = gate.enter('a');
    let got = false;
    void other.then(() => (got = true));
    await settle();
    expect(got).toBe(false);
    again();
    (await other)();
  });

  it('a handshake through a jump host takes no global slot, so it never waits on the jump host it depends on', async () => {
    const gate = new ConnectGate({ perServer: 8, total: 1 });
    const behind = await gate.for('jump>10.0.0.5:22', { total: false }).enter();
    const jump = await gate.for('>192.0.2.1:22').enter(); // the only global slot is still free for the jump host
    const direct = gate.for('>192.0.2.2:22').enter();
    let got = false;
    void direct.then(() => (got = true));
    await settle();
    expect(got).toBe(false); // while a direct handshake does wait for it
    jump();
    (await direct)();
    behind();
  });
});
