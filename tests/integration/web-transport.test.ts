import { ORPCError } from '@orpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startWebServer, WS_CLOSE_MALFORMED } from '../../src/main/transport/web-server.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('upgrade unexpectedly accepted'));
    });
    ws.on('error', () => {});
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe('web mode transport', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves typed calls over the WebSocket', async () => {
    const info = await app.client.system.info();
    expect(info.mode).toBe('web');
    expect(info.dataDir).toBe(app.dataDir);
  });

  it('refuses a wrong or missing token with 401 UNAUTHORIZED', async () => {
    const wrong = await upgradeStatus(app.rpcUrl('not-the-token'));
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).code).toBe('UNAUTHORIZED');
    const missing = await upgradeStatus(`ws://127.0.0.1:${app.server.port}/rpc`);
    expect(missing.status).toBe(401);
  });

  it('refuses a foreign Origin and a foreign Host with 403 FORBIDDEN_ORIGIN', async () => {
    const origin = await upgradeStatus(app.rpcUrl(), { Origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    expect(JSON.parse(origin.body).code).toBe('FORBIDDEN_ORIGIN');
    const host = await upgradeStatus(app.rpcUrl(), { Host: 'evil.example' });
    expect(host.status).toBe(403);
    const ok = new WebSocket(app.rpcUrl(), { headers: { Origin: `http://127.0.0.1:${app.server.port}` } });
    await new Promise<void>((resolve, reject) => {
      ok.once('open', () => resolve());
      ok.once('error', reject);
    });
    ok.close();
  });

  it('closes the socket with MALFORMED_MESSAGE on frames that are not protocol messages', async () => {
    for (const garbage of ['not json', '{"i":1}', JSON.stringify({ i: 1, p: { u: 'http://evil/x' } }), '[]']) {
      const ws = new WebSocket(app.rpcUrl());
      await new Promise<void>((r) => ws.once('open', () => r()));
      const closed = closeOf(ws);
      ws.send(garbage);
      const { code, reason } = await closed;
      expect(code).toBe(WS_CLOSE_MALFORMED);
      expect(reason).toBe('MALFORMED_MESSAGE');
    }
  });

  it('validates input: INPUT_INVALID naming the field; nothing changes and the refusal is audited', async () => {
    const before = await app.client.activity.list({ limit: 500 });
    const err = await app.client.settings.update({ theme: 'purple' as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ORPCError);
    const e = err as ORPCError<string, { issues: { path: string; message: string }[] }>;
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.message).toMatch(/theme/);
    expect(e.data.issues[0]?.path).toBe('theme');
    const unknownKey = await rpcError(app.client.settings.update({ theme: 'dark', colour: 'x' } as never));
    expect(unknownKey.code).toBe('INPUT_INVALID');
    expect(unknownKey.message).toMatch(/colour/);
    expect((await app.client.settings.get()).theme).toBe('system');
    const after = await app.client.activity.list({ limit: 500 });
    expect(after).toHaveLength(before.length + 2);
    expect(after.slice(0, 2).map((a) => [a.action, a.result, a.errorCode])).toEqual([
      ['settings.update', 'error', 'INPUT_INVALID'],
      ['settings.update', 'error', 'INPUT_INVALID'],
    ]);
  });

  it('audits mutating calls with actor, action and result', async () => {
    await app.client.settings.update({ theme: 'dark' });
    const [entry] = await app.client.activity.list({ limit: 1 });
    expect(entry).toMatchObject({ action: 'settings.update', result: 'ok', input: '{"theme":"dark"}' });
    expect(entry?.actor).toMatch(/^web:127\.0\.0\.1/);
    expect((await app.client.activity.list({ limit: 10, action: 'settings.' })).length).toBeGreaterThan(0);
  });

  it('streams audit entries live and stops the server-side stream when the client cancels', async () => {
    const controller = new AbortController();
    const stream = await app.client.activity.watch(undefined, { signal: controller.signal });
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams === 1, 'stream to open');
    const received = (async () => {
      for await (const entry of stream) return entry;
      return null;
    })();
    await app.client.settings.update({ notifications: false });
    expect((await received)?.action).toBe('settings.update');
    // The for-await returned, which cancels from the client side.
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams === 0, 'server stream to stop');

    const second = await app.client.activity.watch(undefined, { signal: controller.signal });
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams === 1, 'second stream to open');
    controller.abort();
    await expect(second.next()).rejects.toThrow();
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams === 0, 'aborted stream to stop');
  });

  it('refuses to listen on a non-loopback address unless asked', async () => {
    await expect(startWebServer({ services: app.services, staticDir: '/nonexistent', host: '0.0.0.0' })).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/host: .*--allow-remote/) });
  });
});
