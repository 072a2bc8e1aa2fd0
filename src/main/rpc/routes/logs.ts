import { followClusterApp } from '../../services/cluster-apps/logs.ts';
import { linkedStream } from '../../services/core/async.ts';
import { followApp } from '../../services/docker/log-app.ts';
import { LogsService } from '../../services/docker/logs.ts';
import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

export function logsRoutes(os: Os, services: AppServices) {
  // One per router (per transport): acks arrive on the same connection as the stream they acknowledge.
  const logs = new LogsService((id) => services.docker.client(id));
  return {
    follow: os.logs.follow.handler(({ input, signal }) => linkedStream(signal, (linked) => logs.follow(input.serverId, input, linked))),
    // Not a generator itself: an unknown app (or one on another server) fails the call at once.
    followApp: os.logs.followApp.handler(({ input, signal }) => {
      const runtime = services.ship.runtime;
      runtime.serverOf(input.appId, input.serverId);
      return linkedStream(signal, (linked) => followApp(logs, input.serverId, () => runtime.live(input.appId), input, linked));
    }),
    followClusterApp: os.logs.followClusterApp.handler(({ input, signal }) =>
      linkedStream(signal, (linked) => followClusterApp({ manager: (id, except) => services.cluster.manager(id, except), client: (id) => services.docker.client(id) }, logs, input, linked)),
    ),
    ack: os.logs.ack.handler(({ input }) => ({ ok: logs.ack(input.flowId, input.seq) })),
  };
}
