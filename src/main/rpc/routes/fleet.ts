import { on } from 'node:events';
import type { Alert, ServerSnapshot } from '../../../shared/contract/fleet.ts';
import type { AppServices } from '../../app.ts';
import type { Os } from '../os.ts';

async function* fromEmitter<T>(emitter: NodeJS.EventEmitter, event: string, signal?: AbortSignal, initial: T[] = []): AsyncGenerator<T> {
  const stream = on(emitter, event, signal ? { signal } : {});
  for (const i of initial) yield i;
  try {
    for await (const [v] of stream) yield v as T;
  } catch (e) {
    if (!(e instanceof Error && e.name === 'AbortError')) throw e;
  }
}

export function fleetRoutes(os: Os, services: AppServices) {
  const m = services.monitor;
  return {
    overview: os.fleet.overview.handler(() => m.overview()),
    watch: os.fleet.watch.handler(({ signal }) => fromEmitter<ServerSnapshot>(m, 'snapshot', signal, m.overview())),
    hostHistory: os.fleet.hostHistory.handler(({ input }) => services.metrics.hostHistory(input.serverId, input.range)),
    containerHistory: os.fleet.containerHistory.handler(({ input }) => services.metrics.containerHistory(input.serverId, input.range)),
    alerts: os.fleet.alerts.handler(({ signal }) => fromEmitter<Alert>(m, 'alert', signal)),
    sampleNow: os.fleet.sampleNow.handler(({ input }) => m.sample(input.serverId)),
  };
}
