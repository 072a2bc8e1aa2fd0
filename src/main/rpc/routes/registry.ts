import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function registryRoutes(os: Os, services: AppServices) {
  const r = services.registry;
  return {
    list: os.registry.list.handler(() => r.list()),
    status: os.registry.status.handler(({ input }) => r.status(input.registryId)),
    createPrivate: os.registry.createPrivate.handler(({ input }) => r.createPrivate(input)),
    syncNodes: os.registry.syncNodes.handler(({ input }) => r.syncNodes(input.registryId)),
    addExternal: os.registry.addExternal.handler(({ input }) => r.addExternal(input)),
    testLogin: os.registry.testLogin.handler(({ input }) => r.testLogin(input.registryId)),
    remove: os.registry.remove.handler(({ input }) => r.remove(input.registryId, input.purge)),
    buildAndPush: os.registry.buildAndPush.handler(({ input }) => r.buildAndPush(input)),
    pull: os.registry.pull.handler(({ input }) => r.pull(input.registryId, input.serverId, input.app, input.digest)),
    gc: os.registry.gc.handler(({ input }) => r.gc(input.registryId, input.app, input.keep)),
  };
}
