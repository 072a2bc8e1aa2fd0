import { linkedStream } from '../../services/core/async.ts';
import { bootstrapDocker } from '../../services/servers/bootstrap.ts';
import { removeServer } from '../../services/servers/removal.ts';
import { hostKeyPrompts, serverListings, watchStatus } from '../servers-routes.ts';
import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

async function* ofServer<T extends object>(serverId: string, items: AsyncIterable<T>): AsyncGenerator<T & { serverId: string }> {
  for await (const item of items) yield { serverId, ...item };
}

export function serversRoutes(os: Os, services: AppServices) {
  const srv = services.servers;
  const sr = serverListings(services);
  return {
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
    remove: os.servers.remove.handler(async ({ input }) => ({ removed: await removeServer(services, input.id) })),
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
    dockerEvents: os.servers.dockerEvents.handler(({ input, signal }) => linkedStream(signal, (linked) => ofServer(input.id, services.docker.eventStream(input.id, linked)))),
  };
}
