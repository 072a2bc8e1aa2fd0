import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TerminalEvent } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { CANARY, hostileStrings } from '../helpers/hostile.ts';
import { addServer } from '../helpers/servers.ts';

/** Attaches to a terminal and collects its output; `until` waits for text to appear. */
function follow(app: TestApp, id: string, since = 0) {
  const ac = new AbortController();
  const state = { text: '', events: [] as TerminalEvent[], exit: null as Extract<TerminalEvent, { type: 'exit' }> | null, done: false };
  const run = (async () => {
    const it = await app.client.terminals.attach({ id, since }, { signal: ac.signal });
    for await (const ev of it) {
      state.events.push(ev);
      if (ev.type === 'output') state.text += ev.data;
      else if (ev.type === 'exit') state.exit = ev;
    }
  })()
    .catch(() => {})
    .finally(() => (state.done = true));
  return {
    state,
    until: (re: RegExp, what = String(re), ms = 15_000) => waitFor(() => re.test(state.text), `${what} in ${JSON.stringify(state.text.slice(-300))}`, ms),
    stop: async () => {
      ac.abort();
      await run;
    },
    ended: () => waitFor(() => state.done, 'the stream to end'),
  };
}

describe('terminals on servers and in containers (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'term' });
    s = await bed.addServer({ name: 'term', images: ['busybox'] });
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'term' })).id;
    await s.exec(['docker', 'run', '-d', '--name', 'box', '--hostname', 'boxhost', BUSYBOX_TAG, 'sleep', '3600'], { check: true });
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('runs a login shell with a pty: input, output, resize, exit code', async () => {
    const t = await app.client.terminals.open({ serverId, cols: 100, rows: 30 });
    expect(t).toMatchObject({ serverId, serverName: 'term', state: 'open', cols: 100, rows: 30, target: { kind: 'server' } });
    const f = follow(app, t.id);
    await app.client.terminals.input({ id: t.id, data: 'echo "sum=$((6*7))"; tty; stty size\n' });
    await f.until(/sum=42/);
    await f.until(/\/dev\/pts\/\d+/, 'a real tty');
    await f.until(/\b30 100\b/, 'the initial size');
    await app.client.terminals.resize({ id: t.id, cols: 132, rows: 43 });
    await app.client.terminals.input({ id: t.id, data: 'stty size; echo $TERM\n' });
    await f.until(/\b43 132\b/, 'the new size');
    await f.until(/xterm-256color/);
    await app.client.terminals.input({ id: t.id, data: 'exit 3\n' });
    await f.ended();
    expect(f.state.exit).toEqual({ type: 'exit', exitCode: 3, exitSignal: null, reason: 'exited with code 3' });
    const [info] = (await app.client.terminals.list()).filter((x) => x.id === t.id);
    expect(info).toMatchObject({ state: 'exited', exitCode: 3, attached: 0 });
    expect((await rpcError(app.client.terminals.input({ id: t.id, data: 'x' }))).code).toBe('CONFLICT');
    expect(await app.client.terminals.close({ id: t.id })).toEqual({ closed: true });
    expect((await rpcError(app.client.terminals.attach({ id: t.id }))).code).toBe('NOT_FOUND');
  });

  it('keeps output while nobody is attached and replays exactly what a client missed', async () => {
    const t = await app.client.terminals.open({ serverId });
    // Nobody attached yet: the output is kept.
    await app.client.terminals.input({ id: t.id, data: 'echo first-$((1+1))\n' });
    const a = follow(app, t.id);
    await a.until(/first-2/);
    const seen = a.state.events.filter((e) => e.type === 'output').at(-1)!;
    expect(seen.type === 'output' && seen.to).toBe(a.state.text.length);
    await a.stop();
    await app.client.terminals.input({ id: t.id, data: 'echo second-$((2+2))\n' });
    await waitFor(async () => app.services.terminals.session(t.id).stats().total > a.state.text.length + 20, 'more output');
    // Reattach where the first client stopped: exactly the rest, no duplicates.
    const b = follow(app, t.id, a.state.text.length);
    await b.until(/second-4/);
    const first = b.state.events[0]!;
    expect(first.type === 'output' && first.from).toBe(a.state.text.length);
    expect(b.state.text).not.toContain('first-2');
    // A second window from 0 gets the whole screen history.
    const c = follow(app, t.id, 0);
    await c.until(/first-2[\s\S]*second-4/);
    expect((await app.client.terminals.list()).find((x) => x.id === t.id)!.attached).toBe(2);
    await Promise.all([b.stop(), c.stop()]);
    await app.client.terminals.close({ id: t.id });
  });

  it('bounds memory with flow control: a flood is paused while unread, then delivered in full', async () => {
    const limits = { scrollback: 64 * 1024, highWater: 128 * 1024, maxEvent: 32 * 1024 };
    const svc = app.services.terminals;
    const original = (svc as unknown as { deps: { limits?: object } }).deps;
    original.limits = limits;
    try {
      const total = 8 * 1024 * 1024;
      const t = await app.client.terminals.open({ serverId, command: ['sh', '-c', `head -c ${total} /dev/zero | tr '\\0' x; echo; echo FLOOD-DONE`] });
      const session = svc.session(t.id);
      await waitFor(() => session.stats().paused, 'the backend to be paused');
      await new Promise((r) => setTimeout(r, 500));
      const held = session.stats();
      expect(held.total).toBeLessThan(total);
      expect(held.buffered).toBeLessThan(limits.highWater + 512 * 1024);
      const f = follow(app, t.id);
      await f.until(/FLOOD-DONE/, 'the end of the flood', 60_000);
      await f.ended();
      expect(f.state.text.split('x').length - 1).toBe(total);
      expect(f.state.exit?.exitCode).toBe(0);
      expect(Math.max(...f.state.events.map((e) => (e.type === 'output' ? e.data.length : 0)))).toBeLessThanOrEqual(limits.maxEvent);
      await app.client.terminals.close({ id: t.id });
    } finally {
      delete original.limits;
    }
  });

  it('passes a command as argv: hostile strings arrive verbatim and run nothing', async () => {
    const hostile = hostileStrings().filter((h) => !h.includes('\0') && !/[\r\n]/.test(h));
    const t = await app.client.terminals.open({ serverId, command: ['printf', '<%s>\\n', ...hostile.slice(0, 60)] });
    const f = follow(app, t.id);
    await f.ended();
    expect(f.state.exit?.exitCode).toBe(0);
    for (const h of hostile.slice(0, 60)) expect(f.state.text).toContain(`<${h}>`);
    expect(await s.fileExists(CANARY)).toBe(false);
    const nul = await rpcError(app.client.terminals.open({ serverId, command: ['echo', 'a\0b'] }));
    expect(nul).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/command\[1\]/) });
    await app.client.terminals.close({ id: t.id });
  });

  it('opens a shell in a container through the Docker API: tty, size, exit code', async () => {
    const t = await app.client.terminals.open({ serverId, target: { kind: 'container', containerId: 'box' }, cols: 90, rows: 20 });
    expect(t.title).toBe('box on term');
    const f = follow(app, t.id);
    await app.client.terminals.input({ id: t.id, data: 'hostname; echo in-$((5*5)); stty size\n' });
    await f.until(/boxhost/);
    await f.until(/in-25/);
    await f.until(/\b20 90\b/, 'the initial size');
    await app.client.terminals.resize({ id: t.id, cols: 120, rows: 40 });
    await app.client.terminals.input({ id: t.id, data: 'stty size\n' });
    await f.until(/\b40 120\b/, 'the new size');
    await app.client.terminals.input({ id: t.id, data: 'exit 7\n' });
    await f.ended();
    expect(f.state.exit).toMatchObject({ exitCode: 7 });
    await app.client.terminals.close({ id: t.id });
  });

  it('closing a container terminal ends its shell instead of leaving it behind', async () => {
    const before = (await s.exec(['docker', 'top', 'box', '-o', 'pid,args'], { check: true })).stdout;
    const t = await app.client.terminals.open({ serverId, target: { kind: 'container', containerId: 'box' }, command: ['sh', '-c', 'echo ready; exec sleep 987'] });
    const f = follow(app, t.id);
    await f.until(/ready/);
    expect((await s.exec(['docker', 'top', 'box', '-o', 'pid,args'], { check: true })).stdout).toContain('sleep 987');
    expect(await app.client.terminals.close({ id: t.id })).toEqual({ closed: true });
    await waitFor(async () => !(await s.exec(['docker', 'top', 'box', '-o', 'pid,args'], { check: true })).stdout.includes('sleep 987'), 'the process to be gone');
    expect(before).not.toContain('sleep 987');
    await f.stop();
  });

  it('names the field for bad input and unknown containers; audits open and close, never keystrokes', async () => {
    const missing = await rpcError(app.client.terminals.open({ serverId, target: { kind: 'container', containerId: 'nope' } }));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^containerId: .*nope/) });
    await s.exec(['docker', 'create', '--name', 'stopped', BUSYBOX_TAG, 'true'], { check: true });
    const stopped = await rpcError(app.client.terminals.open({ serverId, target: { kind: 'container', containerId: 'stopped' } }));
    expect(stopped).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/not running/) });
    const bad = await rpcError(app.client.terminals.open({ serverId, cols: 0, rows: 10_000 } as never));
    expect(bad.code).toBe('INPUT_INVALID');
    expect((bad.data as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['cols', 'rows']);
    const badRef = await rpcError(app.client.terminals.open({ serverId, target: { kind: 'container', containerId: '-rm;x' } }));
    expect(badRef).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/target\.containerId/) });

    const t = await app.client.terminals.open({ serverId });
    const f = follow(app, t.id);
    await app.client.terminals.input({ id: t.id, data: 'echo sw0rdf1sh-typed >/dev/null; echo typed-ok\n' });
    await f.until(/typed-ok/);
    await app.client.terminals.close({ id: t.id });
    await f.ended();
    const log = await app.client.activity.list({});
    const actions = JSON.stringify(log);
    expect(actions).toContain('terminals.open');
    expect(actions).toContain('terminals.close');
    expect(actions).not.toContain('sw0rdf1sh');
    expect(actions).not.toContain('terminals.input');
  });

  it('acknowledged flow control: a client with a window is never sent more than it has acknowledged', async () => {
    const window = 64 * 1024;
    const total = 3 * 1024 * 1024;
    const t = await app.client.terminals.open({ serverId, command: ['sh', '-c', `head -c ${total} /dev/zero | tr '\\0' y; echo; echo ACK-DONE`] });
    const ac = new AbortController();
    const stream = await app.client.terminals.attach({ id: t.id, window }, { signal: ac.signal });
    const first = await stream.next();
    expect(first.value).toMatchObject({ type: 'attached' });
    const reader = (first.value as { reader: string }).reader;
    let received = 0;
    let maxInFlight = 0;
    let acked = 0;
    let text = '';
    // Read without acknowledging: the server stops at the window. One read in flight at a time.
    let pending: Promise<IteratorResult<TerminalEvent>> | null = null;
    const pull = () =>
      (pending ??= stream.next().then((r) => {
        pending = null;
        if (!r.done && r.value.type === 'output') {
          received = r.value.to;
          text += r.value.data;
          maxInFlight = Math.max(maxInFlight, received - acked);
        }
        return r;
      }));
    while (received < window) await pull();
    const stalled = await Promise.race([pull().then(() => 'more'), new Promise((r) => setTimeout(() => r('stalled'), 700))]);
    expect(stalled).toBe('stalled');
    expect(received).toBeLessThanOrEqual(window);
    // The unacknowledged output holds the remote program back too (bounded memory in the app).
    expect(app.services.terminals.session(t.id).stats().buffered).toBeLessThan(4 * 1024 * 1024);
    // Acknowledge as a renderer would, until the end.
    for (let i = 0; i < 10_000 && !/ACK-DONE/.test(text); i++) {
      acked = received;
      await app.client.terminals.ack({ id: t.id, reader, upTo: acked });
      const r = await pull();
      if (r.done) break;
    }
    expect(text).toMatch(/ACK-DONE/);
    expect(text.split('y').length - 1).toBe(total);
    expect(maxInFlight).toBeLessThanOrEqual(window);
    ac.abort();
    await app.client.terminals.close({ id: t.id });
  });

  it('a 4 s link cut, shorter than the keep-alive limit, stalls but does not drop: the same shell keeps working', async () => {
    const t = await app.client.terminals.open({ serverId });
    const f = follow(app, t.id);
    await app.client.terminals.input({ id: t.id, data: 'echo before-$((2+2))\n' });
    await f.until(/before-4/);
    const conn = app.services.pool.peek(serverId)!;
    const generation = conn.generation;
    const states: string[] = [];
    const onState = (sid: string, st: { state: string }) => sid === serverId && states.push(st.state);
    app.services.pool.on('state', onState);
    await s.cutLink();
    const cutAt = Date.now();
    await app.client.terminals.input({ id: t.id, data: 'echo during-$((3+3))\n' });
    // The cut is real: nothing crosses the link while it is down.
    const probe = await Promise.race([conn.exec(['true']).then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('no answer'), 1_500))]);
    expect(probe).toBe('no answer');
    expect(f.state.text).not.toMatch(/during-6/);
    await new Promise((r) => setTimeout(r, Math.max(0, 4_000 - (Date.now() - cutAt))));
    await s.restoreLink();
    await f.until(/during-6/, 'typed during the cut', 30_000);
    await app.client.terminals.input({ id: t.id, data: 'echo after-$((4+4))\n' });
    await f.until(/after-8/, 'typed after the cut', 30_000);
    app.services.pool.off('state', onState);
    // Same connection throughout (the keep-alive limit is 5 s × 3): what this test claims is a stall, not a reconnect.
    expect(states).toEqual([]);
    expect(conn.generation).toBe(generation);
    expect(f.state.exit).toBeNull();
    await f.stop();
    await app.client.terminals.close({ id: t.id });
  });

  it('a cut longer than the keep-alive limit drops the connection: the shell ends with the reason, the pool reconnects by itself, a new shell works', async () => {
    const fast = await startTestApp({ ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 2, reconnect: { baseMs: 200, maxMs: 1_000, maxAttempts: 100 } } });
    try {
      const id = (await addServer(fast.client, s, { name: 'term-fast' })).id;
      const t = await fast.client.terminals.open({ serverId: id });
      const f = follow(fast, t.id);
      await fast.client.terminals.input({ id: t.id, data: 'echo up-$((1+1))\n' });
      await f.until(/up-2/);
      const states: string[] = [];
      fast.services.pool.on('state', (sid, st) => sid === id && states.push(st.state));
      const accepted = () => (readFileSync(s.sshdLog, 'utf8').match(/Accepted publickey for root/g) ?? []).length;
      const acceptedBefore = accepted();
      await s.cutLink();
      await waitFor(() => states.includes('reconnecting'), 'the pool to notice the drop', 20_000);
      await f.ended();
      expect(f.state.exit).toMatchObject({ exitCode: null, reason: expect.stringMatching(/SSH connection .* was lost/) });
      await s.restoreLink();
      await waitFor(() => fast.services.pool.state(id).state === 'ready', 'the pool to reconnect by itself', 60_000);
      // A new SSH connection really was made (sshd accepted another login; the connection's generation moved on).
      await waitFor(() => accepted() > acceptedBefore, 'a new login in the sshd log', 10_000);
      expect(fast.services.pool.peek(id)!.generation).toBeGreaterThanOrEqual(2);
      const again = await fast.client.terminals.open({ serverId: id });
      const g = follow(fast, again.id);
      await fast.client.terminals.input({ id: again.id, data: 'echo back-$((5+5))\n' });
      await g.until(/back-10/);
      await g.stop();
      await fast.client.terminals.close({ id: again.id });
      await fast.client.terminals.close({ id: t.id });
    } finally {
      await s.restoreLink();
      await fast.close();
    }
  });

  it('ends with a clear reason when the SSH link drops, and counts no stream after the client leaves', async () => {
    const t = await app.client.terminals.open({ serverId });
    const f = follow(app, t.id);
    await app.client.terminals.input({ id: t.id, data: 'echo up\n' });
    await f.until(/up/);
    app.services.pool.peek(serverId)!.drop();
    await f.ended();
    expect(f.state.exit).toMatchObject({ exitCode: null, reason: expect.stringMatching(/SSH connection .* was lost/) });
    await app.client.terminals.close({ id: t.id });
    // A new terminal works right away (the pool reconnects).
    const again = await app.client.terminals.open({ serverId });
    const g = follow(app, again.id);
    await app.client.terminals.input({ id: again.id, data: 'echo back-$((3*3))\n' });
    await g.until(/back-9/);
    await g.stop();
    await waitFor(() => app.services.streams.count === 0, 'no open streams');
    await app.client.terminals.close({ id: again.id });
  });
});
