import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function appsRoutes(os: Os, services: AppServices) {
  const { apps, deploys } = services.ship;
  return {
    list: os.apps.list.handler(({ input }) => apps.list(input.serverId)),
    get: os.apps.get.handler(({ input }) => apps.get(input.id)),
    create: os.apps.create.handler(({ input }) => apps.create(input)),
    update: os.apps.update.handler(({ input }) => apps.update(input)),
    remove: os.apps.remove.handler(async ({ input }) => ({ removed: await services.ship.removeApp(input.id, input.stopContainers) })),
    deploy: os.apps.deploy.handler(({ input }) => deploys.deploy(input.id)),
    rollback: os.apps.rollback.handler(({ input }) => deploys.rollback(input.id, input.toDeployId)),
    cancel: os.apps.cancel.handler(({ input }) => deploys.cancel(input.deployId)),
    deploys: os.apps.deploys.handler(({ input }) => deploys.history(input.id, input.limit)),
    deployLog: os.apps.deployLog.handler(({ input }) => ({ text: deploys.log(input.deployId) })),
    images: os.apps.images.handler(({ input }) => deploys.images(input.id)),
    // Not a generator itself: an unknown id fails the call at once.
    watchDeploy: os.apps.watchDeploy.handler(({ input, signal }) => {
      deploys.get(input.deployId);
      const ac = new AbortController();
      signal?.addEventListener('abort', () => ac.abort(), { once: true });
      const events = deploys.watch(input.deployId, input.since, ac.signal);
      return (async function* () {
        try {
          yield* events;
        } finally {
          ac.abort();
        }
      })();
    }),
  };
}
