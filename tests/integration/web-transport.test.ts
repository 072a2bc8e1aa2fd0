import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createORPCClient, ORPCError } from '@orpc/client';
import { RPCLink } from '@orpc/client/websocket';
import type { ContractRouterClient } from '@orpc/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Contract } from '../../src/shared/contract/index.ts';
import { startWebServer } from '../../src/main/transport/web-server.ts';
import { WS_CLOSE_MALFORMED } from '../../src/main/transport/ws-peer.ts';
import { rawExchange } from '../helpers/raw-http.ts';
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

/** Runs the built CLI to its end (it must end by itself within 20 s) and returns its exit code and output. */
function runCli(args: string[]): Promise<{ code: number | null; out: string; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'openpanel-cli-'));
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/openpanel.mjs'), 'web', '--data-dir', join(dataDir, 'd'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`openpanel web ${args.join(' ')} kept running:\n${out}`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, dataDir });
    });
  });
}

/** A GET with exactly the Host headers given, on a raw socket so nothing is added or checked on the way. */
async function httpGet(port: number, path: string, hosts: string[]): Promise<{ status: number | null; body: string }> {
  const a = await rawExchange(port, `GET ${path} HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}Connection: close\r\n\r\n`);
  return { status: a.status, body: a.body.toString() };
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
    const crossPort = await upgradeStatus(app.rpcUrl(), { Origin: `http://127.0.0.1:${app.server.port + 1}` });
    expect(crossPort.status).toBe(403);
  });

  it('accepts a WebSocket through an SSH local forward (Host and Origin name the forward\'s port)', async () => {
    const { client, close } = await (async () => {
      const ws = new WebSocket(app.rpcUrl(), { headers: { Host: '127.0.0.1:8080', Origin: 'http://127.0.0.1:8080' } });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return { client: createORPCClient<ContractRouterClient<Contract>>(new RPCLink({ websocket: ws as never })), close: () => ws.close() };
    })();
    expect((await client.system.info()).mode).toBe('web');
    close();
    const mismatch = await upgradeStatus(app.rpcUrl(), { Host: '127.0.0.1:8080', Origin: `http://127.0.0.1:${app.server.port}` });
    expect(mismatch.status).toBe(403);
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

  it('refuses to listen on a non-loopback address, pointing at an SSH local forward', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      await expect(startWebServer({ services: app.services, staticDir: '/nonexistent', host }), host).rejects.toMatchObject({
        code: 'INPUT_INVALID',
        message: expect.stringMatching(/^host: web mode listens on loopback only.*ssh -L 8080:127\.0\.0\.1:<port>/),
      });
    }
  });

  it('answers a foreign, empty or duplicated Host on plain HTTP with 4xx and this server\'s Host with the app', async () => {
    const port = app.server.port;
    const own = await httpGet(port, '/', [`127.0.0.1:${port}`]);
    expect(own.status).toBe(200);
    expect(own.body).toContain('<div id="root">');
    // Through `ssh -L 8080:127.0.0.1:<port>` the browser names the forward's port.
    for (const host of [`localhost:${port}`, '127.0.0.1:8080', '[::1]:8080']) expect((await httpGet(port, '/', [host])).status, host).toBe(200);
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.evil.example:${port}`, '']) {
      const res = await httpGet(port, '/', [host]);
      expect(res.status, `Host "${host}"`).toBe(403);
      expect(res.body).toBe('Host not allowed');
    }
    expect((await httpGet(port, '/', [`127.0.0.1:${port}`, 'evil.example'])).status).toBe(400);
  });

  it('sends the CSP, nosniff and no-referrer on HTML and JavaScript', async () => {
    const base = `http://127.0.0.1:${app.server.port}`;
    const js = readdirSync(join(import.meta.dirname, '../../out/renderer/assets')).find((f) => f.endsWith('.js'));
    expect(js).toBeDefined();
    const csp =
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
      `connect-src 'self' ws://127.0.0.1:${app.server.port}; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
    for (const [path, type] of [['/', 'text/html; charset=utf-8'], ['/servers/some-deep-link', 'text/html; charset=utf-8'], [`/assets/${js}`, 'text/javascript; charset=utf-8']] as const) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe(type);
      expect(res.headers.get('content-security-policy'), path).toBe(csp);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });
});

describe('openpanel web command line', () => {
  it('refuses the removed --allow-remote with exit code 2, naming the SSH local forward, and opens nothing', async () => {
    const { code, out, dataDir } = await runCli(['--allow-remote']);
    expect(code).toBe(2);
    expect(out).toMatch(/^openpanel: --allow-remote: this option was removed; web mode listens on loopback only\..*ssh -L 8080:127\.0\.0\.1:<port> you@this-machine/m);
    expect(out).toMatch(/^usage: openpanel web /m);
    expect(out).not.toMatch(/Open: http/);
    expect(readdirSync(dataDir)).toEqual([]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a non-loopback --host and other bad options with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--host', '0.0.0.0'], /^openpanel: host: web mode listens on loopback only .*got "0\.0\.0\.0".*ssh -L 8080:127\.0\.0\.1:<port>/m],
      [['--host', '10.1.2.3'], /^openpanel: host: .*"10\.1\.2\.3"/m],
      [['--port', '70000'], /^openpanel: --port: expected an integer 0-65535, got "70000"/m],
      [['--port', '-1'], /^openpanel: .*port/m],
      [['--secret-backend', 'plain'], /^openpanel: --secret-backend: expected auto, keychain or vault, got "plain"/m],
      [['--bogus'], /^openpanel: Unknown option '--bogus'/m],
    ];
    for (const [args, message] of cases) {
      const { code, out, dataDir } = await runCli(args);
      expect(code, args.join(' ')).toBe(2);
      expect(out, args.join(' ')).toMatch(message);
      expect(readdirSync(dataDir), args.join(' ')).toEqual([]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
