import type { ForwardsService } from '../ssh/forwards.ts';
import type { TerminalsService } from '../terminals/service.ts';
import type { ServersService } from './service.ts';

export interface ServerRemovalDeps {
  servers: Pick<ServersService, 'remove'>;
  terminals: Pick<TerminalsService, 'closeServer'>;
  forwards: Pick<ForwardsService, 'list' | 'stop'>;
}

/**
 * Removes a server and what runs on its connection: its terminals and port forwards go first, while the
 * connection still exists, then the record, its secrets and its connection (ServersService.remove).
 */
export async function removeServer(deps: ServerRemovalDeps, id: string): Promise<boolean> {
  await deps.terminals.closeServer(id);
  for (const f of deps.forwards.list().filter((f) => f.serverId === id)) await deps.forwards.stop(f.id);
  return deps.servers.remove(id);
}
