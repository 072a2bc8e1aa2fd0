import type { ConnectionStatus } from '../../shared/contract/servers.ts';
import type { AppServices } from '../app.ts';
import { eventQueue, type AsyncQueue } from '../services/core/async.ts';
import { previewSshConfig, readKeyHead } from '../services/servers/ssh-config.ts';
import type { StateEvent } from '../services/ssh/connection.ts';
import type { HostKeyPrompt } from '../services/ssh/host-keys.ts';

function toStatus(serverId: string, s: StateEvent): ConnectionStatus {
  return { serverId, state: s.state, errorCode: s.error?.code ?? null, error: s.error?.message ?? null, attempt: s.attempt, retryAt: s.retryAt };
}

/** Current status of every server, then every change, until the client cancels. */
export function watchStatus(services: AppServices, signal?: AbortSignal): AsyncQueue<ConnectionStatus> {
  return eventQueue<ConnectionStatus>(services.pool, 'state', {
    signal,
    what: 'servers.watchStatus',
    initial: services.servers.list().map((s) => toStatus(s.id, services.pool.state(s.id))),
    map: (id: string, state: StateEvent) => toStatus(id, state),
  });
}

/** Host-key prompts for the UI; while at least one client listens, first-use keys are asked about instead of refused. */
export function hostKeyPrompts(services: AppServices, signal?: AbortSignal): AsyncQueue<HostKeyPrompt> {
  const hk = services.hostKeys;
  hk.promptListeners++;
  return eventQueue<HostKeyPrompt>(hk, 'prompt', { signal, what: 'servers.hostKeyPrompts', initial: hk.pending(), onClose: () => hk.promptListeners-- });
}

export function serverListings(services: AppServices) {
  const s = services.servers;
  return {
    list: () => s.list(),
    parseSshConfig: (text: string) => previewSshConfig(text, readKeyHead),
    status: () => s.list().map((srv) => toStatus(srv.id, services.pool.state(srv.id))),
  };
}
