import { AppError } from '../core/errors.ts';
import type { ClusterService } from '../cluster/service.ts';
import type { RegistryService } from '../registry/service.ts';
import type { ForwardsService } from '../ssh/forwards.ts';
import type { TerminalsService } from '../terminals/service.ts';
import type { ServersService } from './service.ts';

export interface ServerRemovalDeps {
  servers: Pick<ServersService, 'get' | 'remove'>;
  terminals: Pick<TerminalsService, 'closeServer'>;
  forwards: Pick<ForwardsService, 'list' | 'stop'>;
  cluster: Pick<ClusterService, 'membershipOf'>;
  registry: Pick<RegistryService, 'ofServer' | 'forgetServer'>;
}

/**
 * Removes a server and what runs on its connection: its terminals and port forwards go first, while the
 * connection still exists, then the record, its secrets and its connection (ServersService.remove), then the
 * keychain entries of the registries it ran (the container stays, like everything else on the server). A cluster
 * member is refused: deleting its row would leave the node in the swarm with nothing in the app to show or
 * remove it.
 */
export async function removeServer(deps: ServerRemovalDeps, id: string): Promise<boolean> {
  const server = deps.servers.get(id);
  const membership = deps.cluster.membershipOf(id);
  if (membership) {
    const what = membership.pending ? `has an unfinished ${membership.pending} in cluster ${membership.clusterName}; finish or undo it there first` : `is a member of cluster ${membership.clusterName}; remove it from the cluster first`;
    throw new AppError('CONFLICT', `id: ${server.name} ${what}, then remove the server (nothing was removed)`);
  }
  await deps.terminals.closeServer(id);
  for (const f of deps.forwards.list().filter((f) => f.serverId === id)) await deps.forwards.stop(f.id);
  const registries = deps.registry.ofServer(id);
  const removed = await deps.servers.remove(id);
  await deps.registry.forgetServer(id, registries);
  return removed;
}
