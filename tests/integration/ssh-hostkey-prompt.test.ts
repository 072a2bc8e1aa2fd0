import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostKeyPrompt } from '../../src/shared/contract/servers.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { authFor } from '../helpers/servers.ts';

/** The handshake timeout configured for this app: the user takes longer than this to answer every prompt here. */
const READY_TIMEOUT_MS = 1500;

describe('host-key prompt holds the connection while the user decides (real sshd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let a: TestServer;
  let g: TestServer;
  let silent: NetServer;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'hkwait' });
    [a, g] = (await bed.addServers([{ name: 'a' }, { name: 'g' }])) as [TestServer, TestServer];
    app = await startTestApp({ ssh: { readyTimeoutMs: READY_TIMEOUT_MS } });
    // Accepts TCP and never speaks SSH: shows the configured timeout really applies.
    silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    silent?.close();
    await app?.close();
    await bed?.teardown();
  });

  /** Answers the next prompt for `host` after `delayMs`; resolves with the prompt and the answer's result. */
  function answerLater(host: string, delayMs: number, hooks: { shown?: () => Promise<void>; before?: () => Promise<void> } = {}) {
    const ac = new AbortController();
    const done = (async () => {
      const prompts = await app.client.servers.hostKeyPrompts(undefined, { signal: ac.signal });
      for await (const p of prompts) {
        if (p.host !== host || p.withdrawn) continue;
        const shownAt = Date.now();
        await hooks.shown?.();
        await new Promise((r) => setTimeout(r, delayMs - (Date.now() - shownAt)));
        await hooks.before?.();
        const result = await app.client.servers.answerHostKey({ promptId: p.id, accept: true, fingerprint: p.fingerprint });
        return { prompt: p, waitedMs: Date.now() - shownAt, result };
      }
      throw new Error('the prompt stream ended without a prompt');
    })().finally(() => ac.abort());
    return { done, listening: waitFor(() => app.services.hostKeys.promptListeners >= 1, 'prompt listener') };
  }

  async function create(s: TestServer, kind: 'root' | 'pw', password?: string) {
    const { username, auth } = authFor(s, kind);
    return app.client.servers.create({
      name: `${s.name}-${kind}-${Math.random().toString(36).slice(2, 7)}`,
      host: s.host,
      username,
      auth: password ? { method: 'password', password } : auth,
    });
  }

  it('the configured handshake timeout applies (positive control): a server that never speaks SSH fails with TIMEOUT', async () => {
    const port = (silent.address() as { port: number }).port;
    const server = await app.client.servers.create({ name: 'silent', host: '127.0.0.1', port, username: 'root', auth: { method: 'password', password: 'x' } });
    const started = Date.now();
    const r = await app.client.servers.test({ id: server.id });
    const took = Date.now() - started;
    expect(r.steps.find((s) => s.status === 'error')).toMatchObject({ id: 'tcp', errorCode: 'TIMEOUT' });
    expect(took).toBeGreaterThanOrEqual(READY_TIMEOUT_MS - 100);
    expect(took).toBeLessThan(READY_TIMEOUT_MS + 5000);
  });

  it('Trust after longer than the handshake timeout: the connection test continues and succeeds', async () => {
    const server = await create(a, 'root');
    const answer = answerLater(a.host, 3 * READY_TIMEOUT_MS);
    await answer.listening;
    const r = await app.client.servers.test({ id: server.id });
    const { prompt, waitedMs, result } = await answer.done;
    expect(prompt.fingerprint).toBe(a.hostKeyFingerprint);
    expect(waitedMs).toBeGreaterThan(2 * READY_TIMEOUT_MS);
    expect(result).toEqual({ ok: true });
    expect(r.steps.map((s) => [s.id, s.status, s.errorCode])).toEqual([
      ['tcp', 'ok', null],
      ['hostKey', 'ok', null],
      ['auth', 'ok', null],
      ['docker', 'ok', null],
    ]);
    expect((await app.client.servers.get({ id: server.id })).hostKeys).toEqual([expect.objectContaining({ fingerprint: a.hostKeyFingerprint, source: 'tofu' })]);
  });

  it('a wrong password answered late fails as an authentication failure, not as "no handshake"', async () => {
    app.services.hostKeys.forget(a.host, a.port);
    const server = await create(a, 'pw', 'not-the-password');
    const answer = answerLater(a.host, 3 * READY_TIMEOUT_MS);
    await answer.listening;
    const r = await app.client.servers.test({ id: server.id });
    expect((await answer.done).result).toEqual({ ok: true });
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['tcp', 'ok'],
      ['hostKey', 'ok'],
      ['auth', 'error'],
      ['docker', 'skipped'],
    ]);
    expect(r.steps[2]).toMatchObject({ errorCode: 'AUTH_FAILED', detail: expect.stringMatching(/Authentication failed/) });
  });

  it('when sshd gives up waiting (LoginGraceTime) before Trust, the app connects again with the pinned key', async () => {
    const log = () => readFileSync(g.sshdLog, 'utf8');
    const reloads = log().split('Server listening on').length;
    appendFileSync(join(g.sshBase, 'sshd_config'), 'LoginGraceTime 2\n');
    process.kill(g.sshdPid, 'SIGHUP');
    await waitFor(() => log().split('Server listening on').length > reloads, 'sshd to reload with LoginGraceTime 2');
    const accepted = log().split('Accepted publickey').length;
    const sshConnections = async () => (await g.exec(['ss', '-Htn', 'state', 'established', '( sport = :22 )'])).stdout.trim().split('\n').filter(Boolean).length;
    const seen: number[] = [];
    const server = await create(g, 'root');
    const answer = answerLater(g.host, 5000, { shown: async () => void seen.push(await sshConnections()), before: async () => void seen.push(await sshConnections()) });
    await answer.listening;
    const r = await app.client.servers.test({ id: server.id });
    expect((await answer.done).result).toEqual({ ok: true });
    // The fault happened: the connection was open when the prompt was shown, and sshd had dropped it before Trust.
    expect(seen).toEqual([1, 0]);
    expect(r.ok).toBe(true);
    expect(log().split('Accepted publickey').length).toBe(accepted + 1);
    expect(app.services.hostKeys.pins(g.host, g.port)).toEqual([expect.objectContaining({ fingerprint: g.hostKeyFingerprint })]);
  });

  it('an unanswered prompt is withdrawn after its limit with a clear message, and a late answer says so', async () => {
    app.services.hostKeys.forget(a.host, a.port);
    app.services.hostKeys.promptTimeoutMs = 2500;
    try {
      const server = await create(a, 'root');
      const ac = new AbortController();
      const events: HostKeyPrompt[] = [];
      const collected = (async () => {
        for await (const p of await app.client.servers.hostKeyPrompts(undefined, { signal: ac.signal })) {
          events.push(p);
          if (p.withdrawn) return p;
        }
      })();
      await waitFor(() => app.services.hostKeys.promptListeners >= 1, 'prompt listener');
      const r = await app.client.servers.test({ id: server.id });
      const withdrawn = await collected;
      ac.abort();
      expect(events[0]).toMatchObject({ host: a.host, fingerprint: a.hostKeyFingerprint });
      expect(events[0]!.withdrawn).toBeUndefined();
      expect(withdrawn).toMatchObject({ id: events[0]!.id, withdrawn: expect.stringMatching(/No answer within 3 s/) });
      expect(r.steps.find((s) => s.status === 'error')).toMatchObject({ id: 'hostKey', errorCode: 'HOST_KEY_UNKNOWN', detail: expect.stringMatching(/no answer/i) });
      await expect(app.client.servers.answerHostKey({ promptId: events[0]!.id, accept: true, fingerprint: a.hostKeyFingerprint })).resolves.toEqual({ ok: false });
      expect(app.services.hostKeys.pins(a.host, a.port)).toEqual([]);
    } finally {
      app.services.hostKeys.promptTimeoutMs = 600_000;
    }
  });
});
