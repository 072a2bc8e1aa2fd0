import type Docker from 'dockerode';
import type { ClusterNode, NodeAvailability, NodeRole } from '../../../shared/contract/cluster.ts';
import { withTimeout } from '../core/async.ts';
import { dockerError } from '../docker/errors.ts';

/** The Docker Engine's swarm endpoints as the cluster service uses them, each bounded in time. */

export const SWARM_PORT = 2377;
const CALL_MS = 15_000;
/** Docker gives up on a join after ~20 s ("will continue in the background"); a little more than that. */
const JOIN_MS = 40_000;

export type LocalState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

export interface LocalSwarm {
  state: LocalState;
  nodeId: string | null;
  swarmId: string | null;
  isManager: boolean;
  error: string | null;
}

interface InfoSwarm {
  LocalNodeState?: string;
  NodeID?: string;
  ControlAvailable?: boolean;
  Error?: string;
  Cluster?: { ID?: string };
}

export interface RawNode {
  ID: string;
  Version: { Index: number };
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string };
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

interface RawSwarm {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown>;
  JoinTokens: { Worker: string; Manager: string };
}

/** One Engine API call of a swarm, given up after `ms` (TIMEOUT naming `what`) with its signal aborted. */
export function bounded<T>(work: (signal: AbortSignal) => Promise<T>, what: string, ms = CALL_MS): Promise<T> {
  return withTimeout(work, ms, what);
}

export function hostPort(address: string): string {
  return address.includes(':') ? `[${address}]:${SWARM_PORT}` : `${address}:${SWARM_PORT}`;
}

export async function localSwarm(api: Docker, name: string): Promise<LocalSwarm> {
  const info = (await bounded(() => api.info(), `reading Docker's state on ${name}`)) as { Swarm?: InfoSwarm };
  const swarm = info.Swarm ?? {};
  const state = (['inactive', 'pending', 'active', 'error', 'locked'].includes(swarm.LocalNodeState ?? '') ? swarm.LocalNodeState : 'inactive') as LocalState;
  return {
    state,
    nodeId: swarm.NodeID || null,
    swarmId: swarm.Cluster?.ID || null,
    isManager: swarm.ControlAvailable === true,
    error: swarm.Error || null,
  };
}

export async function initSwarm(api: Docker, name: string, opts: { advertiseAddr: string; addrPool: string }): Promise<string> {
  try {
    const nodeId = await bounded(
      (signal) => api.swarmInit({ ListenAddr: `0.0.0.0:${SWARM_PORT}`, AdvertiseAddr: opts.advertiseAddr, DefaultAddrPool: [opts.addrPool], SubnetSize: 24, abortSignal: signal }),
      `swarm init on ${name}`,
      JOIN_MS,
    );
    return String(nodeId).replace(/"/g, '').trim();
  } catch (e) {
    throw dockerError(e, `swarm init on ${name}`);
  }
}

export async function joinSwarm(api: Docker, name: string, opts: { advertiseAddr: string; remoteAddrs: string[]; token: string }): Promise<void> {
  try {
    await bounded(
      (signal) => api.swarmJoin({ ListenAddr: `0.0.0.0:${SWARM_PORT}`, AdvertiseAddr: opts.advertiseAddr, RemoteAddrs: opts.remoteAddrs, JoinToken: opts.token, abortSignal: signal }),
      `joining ${name} to the swarm`,
      JOIN_MS,
    );
  } catch (e) {
    throw dockerError(e, `${name} could not join at ${opts.remoteAddrs.join(', ')}`);
  }
}

export async function leaveSwarm(api: Docker, name: string, force: boolean): Promise<void> {
  try {
    await bounded((signal) => api.swarmLeave({ force, abortSignal: signal }), `leaving the swarm on ${name}`);
  } catch (e) {
    // 503 "not part of a swarm": already left, which is what was asked.
    if ((e as { statusCode?: number }).statusCode === 503) return;
    throw dockerError(e, `leaving the swarm on ${name}`);
  }
}

export async function inspectSwarm(api: Docker, name: string): Promise<RawSwarm> {
  try {
    return (await bounded(() => api.swarmInspect(), `reading the swarm on ${name}`)) as RawSwarm;
  } catch (e) {
    throw dockerError(e, `reading the swarm on ${name}`);
  }
}

export async function rotateTokens(api: Docker, name: string, which: { worker: boolean; manager: boolean }): Promise<void> {
  const swarm = await inspectSwarm(api, name);
  try {
    await bounded(
      () => api.swarmUpdate({ _query: { version: swarm.Version.Index, rotateWorkerToken: which.worker, rotateManagerToken: which.manager }, _body: swarm.Spec }),
      `rotating join tokens on ${name}`,
    );
  } catch (e) {
    throw dockerError(e, `rotating join tokens on ${name}`);
  }
}

export async function listNodes(api: Docker, name: string): Promise<RawNode[]> {
  try {
    return (await bounded((signal) => api.listNodes({ abortSignal: signal }), `listing nodes on ${name}`)) as RawNode[];
  } catch (e) {
    throw dockerError(e, `listing nodes on ${name}`);
  }
}

/** Running tasks per node id. */
export async function runningTasks(api: Docker, name: string): Promise<Map<string, number>> {
  const tasks = (await bounded((signal) => api.listTasks({ filters: { 'desired-state': ['running'] }, abortSignal: signal }), `listing tasks on ${name}`).catch((e: unknown) => {
    throw dockerError(e, `listing tasks on ${name}`);
  })) as { NodeID?: string; Status?: { State?: string } }[];
  const counts = new Map<string, number>();
  for (const t of tasks) if (t.NodeID && t.Status?.State === 'running') counts.set(t.NodeID, (counts.get(t.NodeID) ?? 0) + 1);
  return counts;
}

export interface NodeChange {
  availability?: NodeAvailability;
  role?: NodeRole;
  labels?: Record<string, string>;
}

export async function updateNode(api: Docker, name: string, nodeId: string, change: NodeChange): Promise<void> {
  const node = api.getNode(nodeId);
  try {
    const current = (await bounded(() => node.inspect(), `reading node ${nodeId}`)) as RawNode;
    const spec = { ...current.Spec };
    if (change.availability) spec.Availability = change.availability;
    if (change.role) spec.Role = change.role;
    if (change.labels) spec.Labels = change.labels;
    await bounded(() => node.update({ _query: { version: current.Version.Index }, _body: spec }), `updating node ${nodeId} on ${name}`);
  } catch (e) {
    throw dockerError(e, `updating node ${nodeId}`, { notFound: () => `nodeId: no node ${nodeId} in this cluster` });
  }
}

export async function removeNode(api: Docker, name: string, nodeId: string): Promise<void> {
  try {
    await bounded((signal) => api.getNode(nodeId).remove({ force: true, abortSignal: signal }), `removing node ${nodeId} on ${name}`);
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return;
    throw dockerError(e, `removing node ${nodeId}`);
  }
}

export function toNode(raw: RawNode, tasks: Map<string, number>, server: { id: string; name: string } | null): ClusterNode {
  return {
    id: raw.ID,
    hostname: raw.Description?.Hostname ?? raw.ID,
    serverId: server?.id ?? null,
    serverName: server?.name ?? null,
    role: raw.Spec.Role === 'manager' ? 'manager' : 'worker',
    availability: raw.Spec.Availability === 'drain' ? 'drain' : raw.Spec.Availability === 'pause' ? 'pause' : 'active',
    status: raw.Status?.State ?? 'unknown',
    message: raw.Status?.Message || null,
    address: raw.Status?.Addr ?? null,
    engineVersion: raw.Description?.Engine?.EngineVersion ?? null,
    labels: raw.Spec.Labels ?? {},
    tasksRunning: tasks.get(raw.ID) ?? 0,
    leader: raw.ManagerStatus?.Leader === true,
    reachability: raw.ManagerStatus?.Reachability ?? null,
  };
}
