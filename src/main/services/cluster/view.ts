import type Docker from 'dockerode';
import type { ClusterNode, ClusterSummary, ClusterView, PendingOperation } from '../../../shared/contract/cluster.ts';
import { withTimeout, within } from '../core/async.ts';
import { errorMessage } from '../core/errors.ts';
import { quorumOf } from './quorum.ts';
import type { MemberRow } from './store.ts';
import { listNodes, localSwarm, runningTasks, toNode, type RawNode } from './swarm.ts';

export interface Manager {
  serverId: string;
  name: string;
  api: Docker;
  member: MemberRow;
}

export interface ViewDeps {
  docker: (serverId: string) => Promise<Docker>;
  nameOf: (serverId: string) => string;
  /** Down nodes' own answers, asked in the background (a cut-off node must not hold the view). */
  localChecks: LocalChecks;
}

/** How long a down node's own engine gets to say whether it left the swarm (it may be cut off). */
const LOCAL_CHECK_MS = 3_000;
/** How long the view waits for that answer before showing the node without it (it comes with a later read). */
const LOCAL_WAIT_MS = 250;
/** How long an answer is reused. */
const LOCAL_KEEP_MS = 5_000;

/**
 * Whether a down node's own engine says it left the swarm. The question runs in the background, bounded by
 * LOCAL_CHECK_MS; a view waits LOCAL_WAIT_MS for it (a reachable engine answers well within that) and otherwise
 * shows the node as the managers see it, with the answer in a later read.
 */
export class LocalChecks {
  private readonly checks = new Map<string, { result: Promise<string | null>; settledAt: number | null }>();

  state(serverId: string, ask: () => Promise<string | null>): Promise<string | null> {
    const cur = this.checks.get(serverId);
    if (cur && (cur.settledAt === null || Date.now() - cur.settledAt < LOCAL_KEEP_MS)) return within(cur.result, LOCAL_WAIT_MS);
    const entry: { result: Promise<string | null>; settledAt: number | null } = { result: Promise.resolve(null), settledAt: null };
    entry.result = within(ask(), LOCAL_CHECK_MS)
      .catch(() => null)
      .finally(() => (entry.settledAt = Date.now()));
    this.checks.set(serverId, entry);
    return within(entry.result, LOCAL_WAIT_MS);
  }
}
/** How long one manager gets before the next is asked. */
const MANAGER_MS = 12_000;

/** The cluster as the first manager that answers sees it, with every half-done operation made visible. */
export async function readView(summary: ClusterSummary, members: MemberRow[], deps: ViewDeps): Promise<ClusterView> {
  const errors: string[] = [];
  let read: { manager: string; nodes: RawNode[]; tasks: Map<string, number> } | null = null;
  for (const m of members) {
    if (m.role !== 'manager' || !m.nodeId || m.pending?.op === 'join') continue;
    const name = deps.nameOf(m.serverId);
    try {
      read = await withTimeout(
        async () => {
          const api = await deps.docker(m.serverId);
          if (!(await localSwarm(api, name)).isManager) throw new Error('not a manager now');
          return { manager: m.serverId, nodes: await listNodes(api, name), tasks: await runningTasks(api, name) };
        },
        MANAGER_MS,
        `reading the cluster from ${name}`,
      );
      break;
    } catch (e) {
      errors.push(`${name}: ${errorMessage(e)}`);
    }
  }
  const byNode = new Map(members.filter((m) => m.nodeId).map((m) => [m.nodeId as string, m]));
  const nodes: ClusterNode[] = (read?.nodes ?? []).map((raw) => {
    const member = byNode.get(raw.ID);
    return toNode(raw, read?.tasks ?? new Map(), member ? { id: member.serverId, name: deps.nameOf(member.serverId) } : null);
  });
  nodes.sort((a, b) => (a.role === b.role ? (a.serverName ?? a.hostname).localeCompare(b.serverName ?? b.hostname) : a.role === 'manager' ? -1 : 1));
  const pending = read ? await pendingOps(members, nodes, deps) : members.flatMap((m) => (m.pending ? [stored(m, deps)] : []));
  const managers = nodes.filter((n) => n.role === 'manager');
  return {
    ...summary,
    nodes,
    pending,
    quorum: read ? quorumOf(managers.length, managers.filter((n) => n.reachability === 'reachable').length) : null,
    readFrom: read?.manager ?? null,
    error: read ? null : `No manager answered: ${errors.join('; ') || 'none has joined'}`,
  };
}

function stored(m: MemberRow, deps: ViewDeps): PendingOperation {
  const p = m.pending as NonNullable<MemberRow['pending']>;
  const serverName = deps.nameOf(m.serverId);
  const failed = p.error ? `: ${p.error}` : ' (the app or the link went away meanwhile)';
  return p.op === 'join'
    ? { serverId: m.serverId, serverName, op: 'join', role: p.role, detail: `The join as ${p.role} did not finish${failed}`, finish: 'Join again', undo: 'Leave the swarm and forget it', at: p.at }
    : { serverId: m.serverId, serverName, op: 'remove', role: p.role, detail: `The removal did not finish${failed}`, finish: 'Leave and remove the node', undo: 'Keep it (join again if it left)', at: p.at };
}

async function pendingOps(members: MemberRow[], nodes: ClusterNode[], deps: ViewDeps): Promise<PendingOperation[]> {
  const ids = new Set(nodes.map((n) => n.id));
  const out = await Promise.all(
    members.map(async (m): Promise<PendingOperation | null> => {
      if (m.pending) return stored(m, deps);
      if (!m.nodeId) return null;
      const serverName = deps.nameOf(m.serverId);
      const base = { serverId: m.serverId, serverName, role: m.role, at: Date.now() };
      if (!ids.has(m.nodeId)) {
        return { ...base, op: 'join', detail: 'It is no longer a node of the swarm (removed outside OpenPanel)', finish: 'Join again', undo: 'Forget it', at: Date.now() };
      }
      const node = nodes.find((n) => n.id === m.nodeId);
      if (node?.status !== 'down') return null;
      const local = await deps.localChecks.state(m.serverId, () => deps.docker(m.serverId).then(async (api) => (await localSwarm(api, serverName)).state));
      if (local !== 'inactive') return null;
      return { ...base, op: 'remove', detail: 'It left the swarm but is still listed as a node (down)', finish: 'Remove the node', undo: 'Join again', at: Date.now() };
    }),
  );
  return out.filter((p): p is PendingOperation => p !== null);
}
