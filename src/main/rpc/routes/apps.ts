import type { AppServices } from '../../app.ts';
import { linkedStream } from '../../services/core/async.ts';
import type { Os } from '../os.ts';

export function appsRoutes(os: Os, services: AppServices) {
  const { apps, deploys, webhooks } = services.ship;
  return {
    list: os.apps.list.handler(({ input }) => apps.list(input.serverId)),
    get: os.apps.get.handler(({ input }) => apps.get(input.id)),
    create: os.apps.create.handler(({ input }) => apps.create(input)),
    update: os.apps.update.handler(async ({ input }) => {
      const app = await apps.update(input);
      webhooks.refreshSoon(app.serverId);
      return app;
    }),
    remove: os.apps.remove.handler(async ({ input }) => ({ removed: await services.ship.removeApp(input.id, input.stopContainers, input.removeVolumes, input.removeImages) })),
    generateDeployKey: os.apps.generateDeployKey.handler(async ({ input }) => {
      const app = await apps.generateDeployKey(input.id);
      webhooks.refreshSoon(app.serverId);
      return app;
    }),
    deploy: os.apps.deploy.handler(({ input }) => deploys.deploy(input.id)),
    rollback: os.apps.rollback.handler(({ input }) => deploys.rollback(input.id, input.toDeployId)),
    cancel: os.apps.cancel.handler(({ input }) => deploys.cancel(input.deployId)),
    deploys: os.apps.deploys.handler(({ input }) => deploys.history(input.id, input.limit)),
    deployLog: os.apps.deployLog.handler(({ input }) => ({ text: deploys.log(input.deployId) })),
    images: os.apps.images.handler(({ input }) => deploys.images(input.id)),
    runtime: os.apps.runtime.handler(({ input }) => services.ship.runtime.runtime(input.id)),
    control: os.apps.control.handler(({ input }) => services.ship.runtime.control(input.id, input.action)),
    webhook: {
      get: os.apps.webhook.get.handler(({ input }) => webhooks.get(input.id)),
      enable: os.apps.webhook.enable.handler(({ input }) => webhooks.enable(input.id, input.host, input.tls)),
      disable: os.apps.webhook.disable.handler(({ input }) => webhooks.disable(input.id)),
      rotate: os.apps.webhook.rotate.handler(({ input }) => webhooks.rotate(input.id)),
      deliveries: os.apps.webhook.deliveries.handler(({ input }) => webhooks.deliveries(input.id, input.limit)),
    },
    // Not a generator itself: an unknown id fails the call at once.
    watchDeploy: os.apps.watchDeploy.handler(({ input, signal }) =>
      linkedStream(signal, (linked) => {
        deploys.get(input.deployId);
        return deploys.watch(input.deployId, input.since, linked);
      }),
    ),
  };
}
