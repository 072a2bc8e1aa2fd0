import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { CANARY, canaries, hostileStrings, removeCanaries } from '../helpers/hostile.ts';
import { addServer } from '../helpers/servers.ts';

/** Where a payload that ran would leave its canary: absolute ones in /tmp, relative ones in the login's home. */
const DIRS = ['/tmp', '/root'];

describe('hostile input never reaches a remote shell unquoted (real sshd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let serverId: string;
  const HOSTILE = hostileStrings();

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'sshsafe' });
    s = await bed.addServer({ name: 'safe' });
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'safe' })).id;
    await removeCanaries(s, DIRS);
  });
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it(`has at least 200 hostile strings`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(200);
  });

  it('positive control: the canary detector fires when a payload does reach a shell unquoted', async () => {
    const conn = await app.services.pool.acquire(serverId);
    expect(await canaries(s, DIRS)).toEqual([]);
    expect(HOSTILE).toEqual(expect.arrayContaining([`$(touch ${CANARY})`, `;touch ${CANARY}x`]));
    // The third is relative: it lands in the login's home, where exec starts.
    for (const payload of [`$(touch ${CANARY})`, `;touch ${CANARY}x`, ';touch openpanel-canary']) await conn.exec(['sh', '-c', `echo ${payload}`]);
    const found = await canaries(s, DIRS);
    await removeCanaries(s, DIRS);
    expect(found).toEqual(['/root/openpanel-canary', CANARY, `${CANARY}x`]);
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('passes every hostile string through exec as one literal argument', async () => {
    const conn = await app.services.pool.acquire(serverId);
    let rejected = 0;
    // Control for the path check below: an existing path does answer 0.
    expect((await conn.exec(['test', '-e', '/etc/passwd'])).code).toBe(0);
    for (const value of HOSTILE) {
      if (value.includes('\0')) {
        await expect(conn.exec(['printf', '%s', value])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
        rejected++;
        continue;
      }
      const r = await conn.exec(['printf', '%s', value]);
      expect(r.stdout, JSON.stringify(value)).toBe(value);
      // As a path argument to a real tool: the literal name, which exists nowhere (no glob, ~ or $ expansion).
      const t = await conn.exec(['test', '-e', value]);
      expect(t.code, `test -e ${JSON.stringify(value)}: ${t.stderr}`).toBe(1);
    }
    expect(rejected).toBe(HOSTILE.filter((h) => h.includes('\0')).length);
    expect(rejected).toBeGreaterThan(0);
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('refuses every hostile value in every server field, naming the field', async () => {
    const fields: { field: string; input: (v: string) => Record<string, unknown> }[] = [
      { field: 'name', input: (v) => ({ name: v, host: s.host, username: 'root' }) },
      // A hostname that passed would be looked up in DNS: refusing all of them keeps the test on the test bed.
      { field: 'host', input: (v) => ({ name: 'h', host: v, username: 'root' }) },
      { field: 'username', input: (v) => ({ name: 'u', host: s.host, username: v }) },
      { field: 'settings.dockerSocket', input: (v) => ({ name: 'd', host: s.host, username: 'root', settings: { dockerSocket: v } }) },
    ];
    const accepted: string[] = [];
    for (const value of HOSTILE) {
      for (const f of fields) {
        try {
          const created = await app.client.servers.create({ ...f.input(value), auth: { method: 'key', privateKey: s.users.root.privateKey } } as never);
          accepted.push(`${f.field}=${JSON.stringify(value)}`);
          await app.client.servers.remove({ id: created.id });
        } catch (e) {
          const err = e as { code?: string; data?: { issues?: { path: string }[] } };
          expect(err.code, `${f.field}=${JSON.stringify(value)}`).toBe('INPUT_INVALID');
          expect(err.data?.issues?.map((i) => i.path)).toContain(f.field);
        }
      }
    }
    expect(accepted).toEqual([]);
    expect(await canaries(s, DIRS)).toEqual([]);
  });

  it('drives values that pass validation yet mean something to a shell through the connection test and facts', async () => {
    // A socket path that looks like an option, linked to the real engine socket.
    await s.exec(['ln', '-sf', '/run/docker.sock', '/tmp/-H.sock'], { check: true });
    const cases = [
      { name: 'a (touch openpanel-canary)', username: 'root', dockerSocket: '/tmp/-H.sock', auth: true },
      { name: '@(touch openpanel-canary) -rf .', username: 'root', dockerSocket: '/var/run/docker.sock', auth: true },
      { name: 'dollar user', username: 'root$', dockerSocket: '/var/run/docker.sock', auth: false },
      { name: 'dash user', username: '_-.x', dockerSocket: '/var/run/docker.sock', auth: false },
    ];
    for (const c of cases) {
      const created = await app.client.servers.create({ name: c.name, host: s.host, port: s.port, username: c.username, auth: { method: 'key', privateKey: s.users.root.privateKey }, settings: { dockerSocket: c.dockerSocket } });
      expect([created.name, created.username, created.settings.dockerSocket]).toEqual([c.name, c.username, c.dockerSocket]);
      await app.client.servers.trustHostKey({ id: created.id, keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint, replace: false });
      const r = await app.client.servers.test({ id: created.id });
      const status = Object.fromEntries(r.steps.map((st) => [st.id, st.status]));
      if (c.auth) {
        expect(status, JSON.stringify(r.steps)).toEqual({ tcp: 'ok', hostKey: 'ok', auth: 'ok', docker: 'ok' });
        const facts = await app.client.servers.facts({ id: created.id });
        expect(facts.hostname).toBe('safe');
        expect(facts.dockerTransport).toContain(c.dockerSocket);
      } else {
        // The user name reached sshd as given, and no such user exists there.
        expect(status, JSON.stringify(r.steps)).toMatchObject({ tcp: 'ok', hostKey: 'ok', auth: 'error' });
        expect(s.sshdLogTail(200).toLowerCase()).toContain(`invalid user ${c.username} from`);
      }
      await app.client.servers.remove({ id: created.id });
    }
    expect(await canaries(s, DIRS)).toEqual([]);
  });
});
