import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function clusterStacksRoutes(os: Os, services: AppServices) {
  const s = services.clusterStacks;
  return {
    deploy: os.clusterStacks.deploy.handler(({ input }) => s.deploy(input)),
    get: os.clusterStacks.get.handler(({ input }) => s.get(input.clusterId, input.name)),
    list: os.clusterStacks.list.handler(({ input }) => s.list(input.clusterId)),
    job: os.clusterStacks.job.handler(({ input }) => s.job(input.clusterId, input.name, input.deployId)),
    rollback: os.clusterStacks.rollback.handler(({ input }) => s.rollback(input.clusterId, input.name, input.deployId)),
    remove: os.clusterStacks.remove.handler(({ input }) => s.remove(input.clusterId, input.name)),
  };
}
