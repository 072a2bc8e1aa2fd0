import { implement } from '@orpc/server';
import { contract } from '../../shared/contract/index.ts';
import type { AppServices } from '../app.ts';
import type { RpcContext } from './handler-options.ts';

/** The contract, implemented by delegating to services. No logic lives here. */
export function createRouter(services: AppServices) {
  const os = implement(contract).$context<RpcContext>();
  return os.router({
    system: {
      info: os.system.info.handler(() => ({
        version: services.options.version,
        mode: services.options.mode,
        dataDir: services.options.dataDir,
        platform: `${process.platform}-${process.arch}`,
        nodeVersion: process.versions.node,
        secretBackend: services.secrets.backend,
      })),
      diagnostics: os.system.diagnostics.handler(() => ({
        activeStreams: services.streams.count,
        uptimeMs: Date.now() - services.startedAt,
        rssBytes: process.memoryUsage.rss(),
      })),
    },
    activity: {
      list: os.activity.list.handler(({ input }) => services.audit.list(input)),
      watch: os.activity.watch.handler(({ signal }) => services.audit.watch(signal)),
    },
    settings: {
      get: os.settings.get.handler(() => services.settings.get()),
      update: os.settings.update.handler(({ input }) => services.settings.update(input)),
    },
    secrets: {
      status: os.secrets.status.handler(() => services.secrets.status()),
      createVault: os.secrets.createVault.handler(({ input }) => services.secrets.createVault(input.passphrase)),
      unlockVault: os.secrets.unlockVault.handler(({ input }) => services.secrets.unlockVault(input.passphrase)),
      store: os.secrets.store.handler(({ input }) => services.secrets.put(input.label, input.kind, input.value)),
      list: os.secrets.list.handler(() => services.secrets.list()),
      remove: os.secrets.remove.handler(async ({ input }) => ({ removed: await services.secrets.remove(input.ref) })),
    },
  });
}

export type AppRouter = ReturnType<typeof createRouter>;
