import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function clusterAppsRoutes(os: Os, services: AppServices) {
  const s = services.clusterApps;
  return {
    deploy: os.clusterApps.deploy.handler(({ input }) => s.deploy(input)),
    get: os.clusterApps.get.handler(({ input }) => s.get(input.clusterId, input.name)),
    list: os.clusterApps.list.handler(({ input }) => s.list(input.clusterId)),
    scale: os.clusterApps.scale.handler(({ input }) => s.scale(input.clusterId, input.name, input.replicas)),
    rollback: os.clusterApps.rollback.handler(({ input }) => s.rollback(input.clusterId, input.name, input.deployId)),
    remove: os.clusterApps.remove.handler(({ input }) => s.remove(input.clusterId, input.name)),
    deployFromGit: os.clusterApps.deployFromGit.handler(({ input }) => s.deployFromGit(input)),
    builds: os.clusterApps.builds.handler(({ input }) => s.builds(input.clusterId, input.name)),
    build: os.clusterApps.build.handler(({ input }) => s.build(input.clusterId, input.name, input.deployId)),
  };
}
