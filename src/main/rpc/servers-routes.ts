import { on } from 'node:events';
import type { ConnectionStatus } from '../../shared/contract/servers.ts';
import type { AppServices } from '../app.ts';
import { parseSshConfig } from '../services/hosts/ssh-config.ts';
import type { StateEvent } from '../services/ssh/connection.ts';
import type { HostKeyPrompt } from '../services/ssh/host-keys.ts';

export function toStatus(serverId: string, s: StateEvent): ConnectionStatus {
  return { serverId, state: s.state, errorCode: s.error?.code ?? null, error: s.error?.message ?? null, attempt: s.attempt, retryAt: s.retryAt };
}

/** Current status of every server, then every change, until the client cancels. */
export async function* watchStatus(services: AppServices, signal?: AbortSignal): AsyncGenerator<ConnectionStatus> {
  const stream = on(services.pool, 'state', signal ? { signal } : {});
  for (const s of services.servers.list()) yield toStatus(s.id, services.pool.state(s.id));
  try {
    for await (const [id, state] of stream) yield toStatus(id as string, state as StateEvent);
  } catch (e) {
    if (!(e instanceof Error && e.name === 'AbortError')) throw e;
  }
}

/** Host-key prompts for the UI; while at least one client listens, first-use keys are asked about instead of refused. */
export async function* hostKeyPrompts(services: AppServices, signal?: AbortSignal): AsyncGenerator<HostKeyPrompt> {
  const hk = services.hostKeys;
  hk.promptListeners++;
  try {
    const stream = on(hk, 'prompt', signal ? { signal } : {});
    for (const p of hk.pending()) yield p;
    for await (const [prompt] of stream) yield prompt as HostKeyPrompt;
  } catch (e) {
    if (!(e instanceof Error && e.name === 'AbortError')) throw e;
  } finally {
    hk.promptListeners--;
  }
}

export function serverListings(services: AppServices) {
  const s = services.servers;
  return {
    list: () => s.list(),
    parseSshConfig: (text: string) => parseSshConfig(text),
    status: () => s.list().map((srv) => toStatus(srv.id, services.pool.state(srv.id))),
  };
}
