import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

/** The first line a local port answers with, or the connection error's code. */
function firstLine(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => (sock.destroy(), resolve(`no answer: ${JSON.stringify(data)}`)), 10_000);
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\n')) {
        clearTimeout(timer);
        sock.destroy();
        resolve(data.split('\n')[0]!);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? e.message);
    });
  });
}

/** A terminal's output, collected until its stream ends. */
function follow(app: TestApp, id: string) {
  const state = { text: '', exited: false, done: false };
  void (async () => {
    for await (const ev of await app.client.terminals.attach({ id })) {
      if (ev.type === 'output') state.text += ev.data;
      else if (ev.type === 'exit') state.exited = true;
    }
  })()
    .catch(() => {})
    .finally(() => (state.done = true));
  return state;
}

// Two server records for one real sshd: removing one must end only what runs on its own connection.
describe('removing a server (real sshd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'srvrm' });
    s = await bed.addServer({ name: 'rm', docker: false });
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('closes its terminals and forwards first, then removes it; the other server keeps both', async () => {
    const gone = await addServer(app.client, s, { name: 'gone' });
    const stays = await addServer(app.client, s, { name: 'stays' });
    const tGone = await app.client.terminals.open({ serverId: gone.id });
    const tStays = await app.client.terminals.open({ serverId: stays.id });
    const fGone = follow(app, tGone.id);
    const fStays = follow(app, tStays.id);
    await app.client.terminals.input({ id: tGone.id, data: 'echo gone-$((20+1))\n' });
    await app.client.terminals.input({ id: tStays.id, data: 'echo stays-$((20+2))\n' });
    await waitFor(() => fGone.text.includes('gone-21') && fStays.text.includes('stays-22'), 'both shells answering');
    const [wGone, wStays] = [await app.client.forwards.start({ serverId: gone.id, remotePort: 22 }), await app.client.forwards.start({ serverId: stays.id, remotePort: 22 })];
    expect(await firstLine(wGone.localPort)).toMatch(/^SSH-2\.0-OpenSSH/);
    expect(await firstLine(wStays.localPort)).toMatch(/^SSH-2\.0-OpenSSH/);

    expect(await app.client.servers.remove({ id: gone.id })).toEqual({ removed: true });

    // Its terminal ended and is forgotten, its forward is closed; the record is gone.
    await waitFor(() => fGone.done, "the removed server's terminal stream to end");
    expect((await app.client.terminals.list()).map((t) => t.id)).toEqual([tStays.id]);
    expect((await app.client.forwards.list()).map((f) => f.serverId)).toEqual([stays.id]);
    expect(await firstLine(wGone.localPort)).toBe('ECONNREFUSED');
    expect((await app.client.servers.list()).map((x) => x.name)).toEqual(['stays']);

    // The other server's shell and forward still work.
    expect(fStays.done).toBe(false);
    await app.client.terminals.input({ id: tStays.id, data: 'echo still-$((40+2))\n' });
    await waitFor(() => fStays.text.includes('still-42'), 'the remaining shell answering');
    expect(await firstLine(wStays.localPort)).toMatch(/^SSH-2\.0-OpenSSH/);
    await app.client.terminals.close({ id: tStays.id });
    await waitFor(() => fStays.done, 'the remaining terminal stream to end');
  });
});
