import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function clusterRoutes(os: Os, services: AppServices) {
  const c = services.cluster;
  return {
    list: os.cluster.list.handler(() => c.list()),
    get: os.cluster.get.handler(({ input }) => c.get(input.clusterId)),
    addresses: os.cluster.addresses.handler(({ input }) => c.addresses(input.serverIds)),
    create: os.cluster.create.handler(({ input }) => c.create(input)),
    join: os.cluster.join.handler(({ input: { clusterId, ...member } }) => c.join(clusterId, member)),
    updateNode: os.cluster.updateNode.handler(({ input }) => c.updateNode(input)),
    removeNode: os.cluster.removeNode.handler(({ input }) => c.removeNode(input.clusterId, input.nodeId)),
    finish: os.cluster.finish.handler(({ input }) => c.finish(input.clusterId, input.serverId)),
    undo: os.cluster.undo.handler(({ input }) => c.undo(input.clusterId, input.serverId)),
    rotateTokens: os.cluster.rotateTokens.handler(({ input }) => c.rotateTokens(input.clusterId, input.which)),
    dissolve: os.cluster.dissolve.handler(({ input }) => c.dissolve(input.clusterId)),
  };
}
