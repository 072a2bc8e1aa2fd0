import type { Container } from '../../../shared/contract/containers.ts';
import { AsyncQueue, linkSignals, within } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { ContainersService } from './containers.ts';
import type { DockerService } from './service.ts';

export interface WatchOptions {
  /** Events arriving within this window are coalesced into one re-list (create/start/attach… come together). */
  debounceMs?: number;
  /**
   * After a burst, the list is taken once more when no further event came within this time. The engine logs
   * some events (`die`) before its list view reflects them; a single list right after such an event can
   * still show the old state, and without a follow-up the view would stay wrong until the next event.
   */
  settleMs?: number;
}

/**
 * A server's container list, then the list again after every burst of container events (debounced),
 * so views stay live without re-polling.
 */
export async function* watchContainers(docker: DockerService, containers: ContainersService, serverId: string, signal: AbortSignal, opts: WatchOptions = {}): AsyncGenerator<Container[]> {
  const debounceMs = opts.debounceMs ?? 250;
  const settleMs = opts.settleMs ?? 1_000;
  const events = docker.events(serverId, signal);
  // Subscribe before the first list, so a change made between the list and the subscription is not missed.
  let pending: Promise<IteratorResult<unknown>> | null = events.next();
  let last = await containers.list(serverId);
  yield last;
  const next = async (ms: number): Promise<IteratorResult<unknown> | null> => {
    pending ??= events.next();
    const raced = await within(pending, ms);
    if (raced !== null) pending = null;
    return raced;
  };
  let unsettled = false;
  while (!signal.aborted) {
    const first = unsettled ? await next(settleMs) : await next(2 ** 31 - 1);
    if (first === null) {
      // Quiet since the last burst: one more look, sent only if something changed.
      unsettled = false;
      const again = await containers.list(serverId);
      if (signal.aborted) return;
      if (JSON.stringify(again) !== JSON.stringify(last)) yield (last = again);
      continue;
    }
    if (first.done) return;
    if ((first.value as { type?: string }).type !== 'container') continue;
    const deadline = Date.now() + debounceMs;
    while (Date.now() < deadline && !signal.aborted) {
      const raced = await next(Math.max(0, deadline - Date.now()));
      if (raced === null) break;
      if (raced.done) return;
    }
    if (signal.aborted) return;
    yield (last = await containers.list(serverId));
    unsettled = true;
  }
}

/**
 * Several servers' container lists merged into one stream, each change tagged with its server. A server that
 * fails (unreachable, no Docker) drops out silently; the others keep streaming until `signal` aborts.
 */
export async function* watchServersContainers(docker: DockerService, containers: ContainersService, serverIds: readonly string[], signal?: AbortSignal): AsyncGenerator<{ serverId: string; containers: Container[] }> {
  const link = linkSignals(signal);
  const merged = new AsyncQueue<{ serverId: string; containers: Container[] }>({ signal: link.signal, what: 'containers.watch' });
  const pumps = serverIds.map(async (serverId) => {
    try {
      for await (const list of watchContainers(docker, containers, serverId, link.signal)) merged.push({ serverId, containers: list });
    } catch {
      /* that server is unreachable: the others keep streaming */
    }
  });
  // It stays open (empty) when every server dropped out, until cancelled; it ends once every watch has stopped.
  try {
    yield* merged;
  } finally {
    link.abort();
    await Promise.allSettled(pumps);
  }
}

/** Several servers' containers at once: what every reachable one has, and one error per server that failed. */
export async function listServersContainers(containers: ContainersService, serverIds: readonly string[]): Promise<{ containers: Container[]; errors: { serverId: string; code: string; message: string }[] }> {
  const results = await Promise.allSettled(serverIds.map(async (id) => containers.list(id)));
  return {
    containers: results.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])),
    errors: results.flatMap((r, i) => (r.status === 'rejected' ? [{ serverId: serverIds[i]!, code: r.reason instanceof AppError ? r.reason.code : 'INTERNAL', message: errorMessage(r.reason) }] : [])),
  };
}
