import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/websocket';
import type { ContractRouterClient } from '@orpc/contract';
import { WebSocket } from 'ws';
import type { Contract } from '../../src/shared/contract/index.ts';
import { createApp, type AppOptions, type AppServices } from '../../src/main/app.ts';
import { startWebServer, type WebServer } from '../../src/main/transport/web-server.ts';

export interface TestApp {
  services: AppServices;
  server: WebServer;
  dataDir: string;
  client: ContractRouterClient<Contract>;
  ws: WebSocket;
  rpcUrl(token?: string): string;
  close(): Promise<void>;
}

/** The real app (services + web transport) on loopback with a throwaway data dir, and a typed client. */
export async function startTestApp(opts: Partial<AppOptions> = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'openpanel-test-'));
  const services = await createApp({ dataDir, mode: 'web', version: 'test', monitor: false, ...opts });
  const server = await startWebServer({ services, staticDir: join(import.meta.dirname, '../../out/renderer') });
  const rpcUrl = (token = server.token) => `ws://127.0.0.1:${server.port}/rpc?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(rpcUrl());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client: ContractRouterClient<Contract> = createORPCClient(new RPCLink({ websocket: ws as never }));
  return {
    services,
    server,
    dataDir,
    client,
    ws,
    rpcUrl,
    async close() {
      ws.close();
      await server.close();
      await services.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** The API error a call fails with; fails the test if the call succeeds. */
export async function rpcError(call: Promise<unknown>): Promise<{ code: string; message: string; data: unknown }> {
  try {
    await call;
  } catch (e) {
    return e as { code: string; message: string; data: unknown };
  }
  throw new Error('expected the call to fail, but it succeeded');
}
