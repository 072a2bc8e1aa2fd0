import { implement } from '@orpc/server';
import { contract } from '../../shared/contract/index.ts';
import type { AppServices } from '../app.ts';
import type { RpcContext } from './handler-options.ts';
import { bootstrapDocker } from '../services/hosts/bootstrap.ts';
import { hostKeyPrompts, serversRoutes, watchStatus } from './servers-routes.ts';

/** The contract, implemented by delegating to services. No logic lives here. */
export function createRouter(services: AppServices) {
  const os = implement(contract).$context<RpcContext>();
  const srv = services.servers;
  const sr = serversRoutes(services);
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
    profiles: {
      export: os.profiles.export.handler(({ input }) => services.profiles.export(input.serverIds, input.passphrase)),
      preview: os.profiles.preview.handler(({ input }) => services.profiles.preview(input.content, input.passphrase)),
      import: os.profiles.import.handler(({ input }) => services.profiles.import(input.content, input.passphrase, input.actions)),
    },
    forwards: {
      start: os.forwards.start.handler(({ input }) => services.forwards.start(input.serverId, input.remoteHost, input.remotePort, input.localPort)),
      list: os.forwards.list.handler(() => services.forwards.list()),
      stop: os.forwards.stop.handler(async ({ input }) => ({ stopped: await services.forwards.stop(input.id) })),
    },
    servers: {
      bootstrap: os.servers.bootstrap.handler(async function* ({ input, signal }) {
        const conn = await services.pool.acquire(input.id);
        services.docker.invalidate(input.id);
        yield* bootstrapDocker(conn, signal ? { signal } : {});
      }),
      importKnownHosts: os.servers.importKnownHosts.handler(({ input }) => srv.importKnownHosts(input.text)),
      list: os.servers.list.handler(() => sr.list()),
      get: os.servers.get.handler(({ input }) => srv.get(input.id)),
      create: os.servers.create.handler(({ input }) => srv.create(input)),
      update: os.servers.update.handler(({ input }) => srv.update(input)),
      remove: os.servers.remove.handler(async ({ input }) => ({ removed: await srv.remove(input.id) })),
      test: os.servers.test.handler(({ input }) => srv.test(input.id)),
      facts: os.servers.facts.handler(({ input }) => srv.facts(input.id)),
      disconnect: os.servers.disconnect.handler(({ input }) => {
        srv.disconnect(input.id);
        return { ok: true };
      }),
      trustHostKey: os.servers.trustHostKey.handler(({ input }) => srv.trustHostKey(input.id, input.keyType, input.fingerprint, input.replace)),
      status: os.servers.status.handler(() => sr.status()),
      watchStatus: os.servers.watchStatus.handler(({ signal }) => watchStatus(services, signal)),
      hostKeyPrompts: os.servers.hostKeyPrompts.handler(({ signal }) => hostKeyPrompts(services, signal)),
      answerHostKey: os.servers.answerHostKey.handler(({ input }) => ({ ok: services.hostKeys.answer(input.promptId, input.accept, input.fingerprint) })),
      parseSshConfig: os.servers.parseSshConfig.handler(({ input }) => sr.parseSshConfig(input.text)),
      readLocalSshConfig: os.servers.readLocalSshConfig.handler(() => srv.readLocalSshConfig()),
      containers: os.servers.containers.handler(({ input }) => services.docker.listContainers(input.id, input.all)),
      dockerEvents: os.servers.dockerEvents.handler(async function* ({ input, signal }) {
        const ac = new AbortController();
        signal?.addEventListener('abort', () => ac.abort(), { once: true });
        try {
          for await (const ev of services.docker.events(input.id, ac.signal)) yield { serverId: input.id, ...ev };
        } finally {
          ac.abort();
        }
      }),
    },
  });
}

export type AppRouter = ReturnType<typeof createRouter>;
