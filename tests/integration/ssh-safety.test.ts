import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { CANARY, hostileStrings } from '../helpers/hostile.ts';
import { addServer } from '../helpers/servers.ts';

describe('hostile input never reaches a remote shell unquoted (real sshd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let serverId: string;
  const HOSTILE = hostileStrings();

  beforeAll(async () => {
    bed = await Testbed.create();
    s = await bed.addServer({ name: 'safe' });
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'safe' })).id;
    await s.exec(['rm', '-f', CANARY]);
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it(`has at least 200 hostile strings`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(200);
  });

  it('passes every hostile string through exec as one literal argument', async () => {
    const conn = await app.services.pool.acquire(serverId);
    let rejected = 0;
    for (const value of HOSTILE) {
      if (value.includes('\0')) {
        await expect(conn.exec(['printf', '%s', value])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
        rejected++;
        continue;
      }
      const r = await conn.exec(['printf', '%s', value]);
      expect(r.stdout, JSON.stringify(value)).toBe(value);
      // Also as a path argument to a real tool.
      const t = await conn.exec(['test', '-e', value]);
      expect(t.code, `test -e ${JSON.stringify(value)}: ${t.stderr} ${t.signal}`).not.toBe(null);
    }
    expect(rejected).toBeGreaterThan(0);
    expect(await s.fileExists(CANARY)).toBe(false);
  });

  it('rejects or stores literally every hostile value in every server field (nothing runs)', async () => {
    let rejectedCount = 0;
    let storedCount = 0;
    for (const value of HOSTILE) {
      const attempts = [
        { field: 'name', input: { name: value, host: s.host, username: 'root' } },
        { field: 'host', input: { name: 'h', host: value, username: 'root' } },
        { field: 'username', input: { name: 'u', host: s.host, username: value } },
        { field: 'settings.dockerSocket', input: { name: 'd', host: s.host, username: 'root', settings: { dockerSocket: value } } },
      ];
      for (const a of attempts) {
        try {
          const created = await app.client.servers.create({ ...a.input, name: `${a.input.name}`.slice(0, 64), auth: { method: 'key', privateKey: s.users.root.privateKey } } as never);
          storedCount++;
          // Accepted values are stored as given and are harmless when used.
          if (a.field === 'name') expect(created.name).toBe(value.trim());
          const r = await app.client.servers.test({ id: created.id });
          expect(r.steps.length).toBe(4);
          await app.client.servers.remove({ id: created.id });
        } catch (e) {
          const err = e as { code?: string; message?: string };
          expect(err.code, `${a.field}=${JSON.stringify(value)}`).toMatch(/INPUT_INVALID|CONFLICT/);
          if (err.code === 'INPUT_INVALID') expect(err.message).toContain(a.field.split('.').pop()!);
          rejectedCount++;
        }
      }
    }
    expect(rejectedCount).toBeGreaterThan(HOSTILE.length * 3 - 10);
    expect(storedCount + rejectedCount).toBe(HOSTILE.length * 4);
    expect(await s.fileExists(CANARY)).toBe(false);
  });
});
