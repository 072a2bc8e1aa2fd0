import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/message-port';
import type { ContractRouterClient } from '@orpc/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppServices } from '../../src/main/app.ts';
import { createMessagePortServer } from '../../src/main/transport/message-port.ts';
import type { Contract } from '../../src/shared/contract/index.ts';
import { rpcError, waitFor } from '../helpers/app.ts';

// The desktop transport, on node:worker_threads ports (the Electron binary cannot run here; MessagePortMain has the same shape).
describe('MessagePort transport (the desktop app’s)', () => {
  let services: AppServices;
  let dataDir: string;
  let client: ContractRouterClient<Contract>;
  let channel: MessageChannel;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'openpanel-mp-'));
    services = await createApp({ dataDir, mode: 'desktop', version: 'test' });
    channel = new MessageChannel();
    createMessagePortServer(services, 'desktop').serve(channel.port1 as never);
    channel.port2.start();
    client = createORPCClient(new RPCLink({ port: channel.port2 as never }));
  });
  afterAll(async () => {
    channel.port1.close();
    channel.port2.close();
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the same contract, validation and audit as web mode', async () => {
    expect((await client.system.info()).mode).toBe('desktop');
    expect(await rpcError(client.settings.update({ theme: 'x' as never }))).toMatchObject({ code: 'INPUT_INVALID' });
    await client.settings.update({ theme: 'light' });
    const [entry] = await client.activity.list({ limit: 1 });
    expect(entry).toMatchObject({ actor: 'desktop', action: 'settings.update', result: 'ok' });
  });

  it('cancels a stream from the client', async () => {
    const ac = new AbortController();
    const stream = await client.activity.watch(undefined, { signal: ac.signal });
    await waitFor(() => services.streams.count === 1, 'stream open');
    ac.abort();
    await expect(stream.next()).rejects.toThrow();
    await waitFor(() => services.streams.count === 0, 'stream closed on the server');
  });

  it('ends a stream from the server side, and the client sees it complete', async () => {
    const stream = await client.activity.watch();
    await waitFor(() => services.streams.count === 1, 'stream open');
    const next = stream.next();
    services.streams.cancelAll();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(services.streams.count).toBe(0);
  });
});
