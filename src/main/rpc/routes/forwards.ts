import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function forwardsRoutes(os: Os, services: AppServices) {
  return {
    start: os.forwards.start.handler(({ input }) => services.forwards.start(input.serverId, input.remoteHost, input.remotePort, input.localPort)),
    list: os.forwards.list.handler(() => services.forwards.list()),
    stop: os.forwards.stop.handler(async ({ input }) => ({ stopped: await services.forwards.stop(input.id) })),
  };
}
