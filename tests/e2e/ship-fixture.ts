// The Ship e2e tests' common ground: one test server with the proxy installed through image overrides, a git
// repository served to it, the built app in web mode, and Chromium (app domains resolved to the test server).
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContractRouterClient } from '@orpc/contract';
import type { Browser } from 'playwright-core';
import type { Contract } from '../../src/shared/contract/index.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { launchBrowser } from '../helpers/browser.ts';
import { addServer } from '../helpers/servers.ts';
import { startWebProcess, type WebProcess } from '../helpers/web-process.ts';
import { GitRepo, setupProxy } from '../integration/deploy-fixture.ts';

export interface ShipE2E {
  bed: Testbed;
  s: TestServer;
  repo: GitRepo;
  web: WebProcess;
  browser: Browser;
  serverId: string;
  /** Closes everything, in reverse order; safe after a failed start. */
  close(): Promise<void>;
}

export async function startShipE2E(opts: {
  prefix: string;
  server: string;
  /** image overrides for the server (loads the stand-in images onto it) */
  images: (s: TestServer) => Promise<Record<string, string>>;
  /** the repository's first commit (paths may contain folders) */
  files: Record<string, string>;
  /** domains Chromium resolves to the test server */
  domains?: string[];
  /** more setup through the API before the browser starts (e.g. an app) */
  prepare?: (client: ContractRouterClient<Contract>, serverId: string, repo: GitRepo) => Promise<void>;
}): Promise<ShipE2E> {
  const parts: Partial<ShipE2E> = {};
  const close = async () => {
    await parts.browser?.close();
    await parts.web?.stop();
    parts.repo?.close();
    await parts.bed?.teardown();
  };
  try {
    parts.bed = await Testbed.create({ prefix: opts.prefix });
    const s = (parts.s = await parts.bed.addServer({ name: opts.server }));
    const images = await opts.images(s);
    const repo = (parts.repo = new GitRepo());
    for (const f of Object.keys(opts.files)) if (f.includes('/')) mkdirSync(join(repo.work, dirname(f)), { recursive: true });
    repo.commit(opts.files, 'first');
    await repo.serve(parts.bed);
    parts.web = await startWebProcess();
    const { client, close: closeClient } = await parts.web.client();
    try {
      parts.serverId = (await addServer(client, s, { name: opts.server })).id;
      await setupProxy(client, parts.serverId, images);
      await opts.prepare?.(client, parts.serverId, repo);
    } finally {
      closeClient();
    }
    parts.browser = await launchBrowser(Object.fromEntries((opts.domains ?? []).map((d) => [d, s.host])));
    return { ...(parts as Omit<ShipE2E, 'close'>), close };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
