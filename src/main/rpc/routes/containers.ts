import type { AppServices } from '../../app.ts';
import { listServersContainers, watchServersContainers } from '../../services/docker/watch.ts';
import type { Os } from '../os.ts';

export function containersRoutes(os: Os, services: AppServices) {
  const c = services.containers;
  const serverIds = (ids?: string[]) => ids ?? services.servers.list().map((s) => s.id);
  return {
    list: os.containers.list.handler(({ input }) => listServersContainers(c, serverIds(input.serverIds))),
    watch: os.containers.watch.handler(({ input, signal }) => watchServersContainers(services.docker, c, serverIds(input.serverIds), signal)),
    action: os.containers.action.handler(async ({ input }) => {
      await c.action(input.serverId, input.id, input.action, { force: input.force, removeVolumes: input.removeVolumes });
      return { ok: true };
    }),
    rename: os.containers.rename.handler(async ({ input }) => {
      await c.rename(input.serverId, input.id, input.name);
      return { ok: true };
    }),
    // A reveal is audited by the interceptor (rpc/audit.ts), as containers.revealEnv.
    inspect: os.containers.inspect.handler(({ input }) => c.inspect(input.serverId, input.id, input.reveal)),
    images: os.containers.images.handler(({ input }) => c.images(input.serverId)),
    volumes: os.containers.volumes.handler(({ input }) => c.volumes(input.serverId)),
    networks: os.containers.networks.handler(({ input }) => c.networks(input.serverId)),
    removeImage: os.containers.removeImage.handler(async ({ input }) => {
      await c.removeImage(input.serverId, input.id, input.force);
      return { ok: true };
    }),
    removeVolume: os.containers.removeVolume.handler(async ({ input }) => {
      await c.removeVolume(input.serverId, input.name);
      return { ok: true };
    }),
    removeNetwork: os.containers.removeNetwork.handler(async ({ input }) => {
      await c.removeNetwork(input.serverId, input.id);
      return { ok: true };
    }),
    prunePreview: os.containers.prunePreview.handler(({ input }) => c.prunePreview(input.serverId, input.kind)),
    prune: os.containers.prune.handler(({ input }) => c.prune(input.serverId, input.kind)),
  };
}
