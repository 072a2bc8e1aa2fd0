import type { Alert, ServerSnapshot } from '../../../shared/contract/fleet.ts';
import type { AppServices } from '../../app.ts';
import { eventQueue } from '../../services/core/async.ts';
import type { Os } from '../os.ts';

export function fleetRoutes(os: Os, services: AppServices) {
  const m = services.monitor;
  return {
    overview: os.fleet.overview.handler(() => m.overview()),
    watch: os.fleet.watch.handler(({ signal }) => eventQueue<ServerSnapshot>(m, 'snapshot', { signal, what: 'fleet.watch', initial: m.overview() })),
    hostHistory: os.fleet.hostHistory.handler(({ input }) => services.hostHistory.hostHistory(input.serverId, input.range)),
    containerHistory: os.fleet.containerHistory.handler(({ input }) => services.metrics.containerHistory(input.serverId, input.range)),
    alerts: os.fleet.alerts.handler(({ signal }) => eventQueue<Alert>(m, 'alert', { signal, what: 'fleet.alerts' })),
    sampleNow: os.fleet.sampleNow.handler(({ input }) => m.sample(input.serverId)),
  };
}
