import type { Container } from '../../../shared/contract/containers.ts';
import type { ContainersService } from './containers.ts';
import type { DockerService } from './service.ts';

/**
 * A server's container list, then the list again after every burst of container events (debounced),
 * so views stay live without re-polling.
 */
export async function* watchContainers(docker: DockerService, containers: ContainersService, serverId: string, signal: AbortSignal, debounceMs = 250): AsyncGenerator<Container[]> {
  yield await containers.list(serverId);
  const events = docker.events(serverId, signal);
  let pending: Promise<IteratorResult<unknown>> | null = null;
  while (!signal.aborted) {
    pending ??= events.next();
    const first = await pending;
    pending = null;
    if (first.done) return;
    if ((first.value as { type?: string }).type !== 'container') continue;
    // Coalesce the burst (create/start/attach… arrive together).
    const deadline = Date.now() + debounceMs;
    while (Date.now() < deadline && !signal.aborted) {
      pending = events.next();
      const raced = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now())))]);
      if (raced === null) break;
      pending = null;
      if (raced.done) return;
    }
    if (signal.aborted) return;
    yield await containers.list(serverId);
  }
}
