import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

/** Structural guards for what makes the tunnel fast (the numbers themselves are in `npm run bench`). */
describe('performance guards: one connection, TCP_NODELAY, kept-alive Docker channels', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let id: string;

  beforeAll(async () => {
    bed = await Testbed.create();
    s = await bed.addServer({ name: 'guard' });
    app = await startTestApp();
    id = (await addServer(app.client, s, { name: 'guard' })).id;
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  async function sshConnectionsOnServer(): Promise<number> {
    const r = await s.exec(['ss', '-Htn', 'state', 'established', '( sport = :22 )'], { check: true });
    return r.stdout.split('\n').filter((l) => l.trim()).length;
  }

  it('reuses one SSH connection for Docker, exec and facts, and a few channels for many API calls', async () => {
    for (let i = 0; i < 25; i++) await app.client.servers.containers({ id });
    await Promise.all(Array.from({ length: 10 }, () => app.client.servers.containers({ id })));
    await app.client.servers.facts({ id });
    const conn = app.services.pool.peek(id)!;
    expect(conn.generation).toBe(1);
    expect(await sshConnectionsOnServer()).toBe(1);
    const docker = await app.services.docker.client(id);
    expect((docker.agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    // 36+ requests, some concurrent: channels are reused, not opened per request.
    expect(docker.agent.channelsOpened).toBeLessThanOrEqual(12);
    expect(docker.transport.kind).toBe('streamlocal');
  });

  it('turns Nagle off on the SSH socket', async () => {
    await app.client.servers.containers({ id });
    expect(app.services.pool.peek(id)!.noDelay).toBe(true);
  });
});
