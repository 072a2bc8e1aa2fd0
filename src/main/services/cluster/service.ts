import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import type { AddressesOutput, ClusterSummary, ClusterView, CreateClusterInput, MemberInput, NodeRole, UpdateNodeInput } from '../../../shared/contract/cluster.ts';
import { withTimeout } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import type { ExecResult } from '../ssh/exec.ts';
import { collisions, parseNetworks, pickPool, suggestAddress, type UsedNetwork } from './networks.ts';
import { ClusterStore, type MemberRow } from './store.ts';
import { hostPort, initSwarm, inspectSwarm, joinSwarm, leaveSwarm, localSwarm, removeNode, rotateTokens, updateNode } from './swarm.ts';
import { LocalChecks, readView, type Manager } from './view.ts';
import ADDRESSES_SCRIPT from './addresses.sh?raw';

export interface ClusterDeps {
  db: Db;
  docker: (serverId: string) => Promise<Docker>;
  exec: (serverId: string, argv: string[]) => Promise<ExecResult>;
  /** The server's name and the host the app connects to; throws NOT_FOUND for an unknown id. */
  server: (serverId: string) => { id: string; name: string; host: string };
  /** After a server joined the swarm (the registries write their CA roots to it); a failure does not undo the join. */
  onJoined?: (serverId: string) => Promise<unknown>;
}

const CONNECT_MS = 20_000;

type Probe = AddressesOutput['servers'][number] & { used: UsedNetwork[] };

/** Clusters as Docker Swarms over the servers' existing tunnels: create, join, nodes, half-done operations. */
export class ClusterService {
  private readonly store: ClusterStore;
  private readonly deps: ClusterDeps;
  private readonly localChecks = new LocalChecks();

  constructor(deps: ClusterDeps) {
    // A server cut off must not hold a cluster call forever: reaching its engine is bounded like every call.
    this.deps = { ...deps, docker: (id) => withTimeout(deps.docker(id), CONNECT_MS, `connecting to Docker on ${this.nameOf(id)}`) };
    this.store = new ClusterStore(deps.db);
  }

  list(): ClusterSummary[] {
    return this.store.list().map((c) => this.summary(c.id));
  }

  private summary(clusterId: string): ClusterSummary {
    const c = this.store.get(clusterId);
    const members = this.store.members(clusterId).map((m) => ({ serverId: m.serverId, serverName: this.nameOf(m.serverId), role: m.role, advertiseAddr: m.advertiseAddr }));
    return { id: c.id, name: c.name, addrPool: c.addrPool, createdAt: c.createdAt, members };
  }

  private nameOf(serverId: string): string {
    try {
      return this.deps.server(serverId).name;
    } catch {
      return serverId;
    }
  }

  /** The cluster a server belongs to (joined, joining or leaving), or null. */
  membershipOf(serverId: string): { clusterId: string; clusterName: string; pending: 'join' | 'remove' | null } | null {
    const member = this.store.memberOfServer(serverId);
    if (!member) return null;
    return { clusterId: member.clusterId, clusterName: this.store.get(member.clusterId).name, pending: member.pending?.op ?? null };
  }

  async get(clusterId: string): Promise<ClusterView> {
    return readView(this.summary(clusterId), this.store.members(clusterId), { docker: this.deps.docker, nameOf: (id) => this.nameOf(id), localChecks: this.localChecks });
  }

  async addresses(serverIds: string[]): Promise<AddressesOutput> {
    const probes = await Promise.all(serverIds.map((id) => this.probe(id)));
    const used = probes.flatMap((p) => p.used);
    return { servers: probes.map(({ used: _used, ...p }) => p), addrPool: pickPool(used), used };
  }

  private async probe(serverId: string): Promise<Probe> {
    const server = this.deps.server(serverId);
    try {
      const result = await this.deps.exec(serverId, ['sh', '-c', ADDRESSES_SCRIPT]);
      if (result.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `reading the addresses of ${server.name}: ${result.stderr.trim() || `exit ${result.code}`}`);
      const { addresses, used } = parseNetworks(result.stdout);
      const api = await this.deps.docker(serverId);
      const networks = (await withTimeout(api.listNetworks(), CONNECT_MS, `listing the Docker networks of ${server.name}`)) as { Name?: string; IPAM?: { Config?: { Subnet?: string }[] | null } }[];
      const dockerUsed = networks.flatMap((n) => (n.IPAM?.Config ?? []).filter((c) => c.Subnet && !c.Subnet.includes(':')).map((c) => ({ cidr: c.Subnet as string, source: `Docker network ${n.Name ?? '?'}` })));
      return {
        serverId,
        name: server.name,
        addresses,
        suggested: suggestAddress(server.host, addresses),
        error: null,
        used: [...used, ...dockerUsed].map((u) => ({ ...u, serverId })),
      };
    } catch (e) {
      return { serverId, name: server.name, addresses: [], suggested: null, error: errorMessage(e), used: [] };
    }
  }

  /** Checks what can be checked before anything reaches a node: names, membership, addresses, the pool, swarm state. */
  private async prepare(members: MemberInput[], field: (i: number) => string, addrPool?: string): Promise<{ advertise: string[]; pool: string }> {
    const seen = new Set<string>();
    members.forEach((m, i) => {
      if (seen.has(m.serverId)) throw new AppError('INPUT_INVALID', `${field(i)}serverId: the server is listed twice`);
      seen.add(m.serverId);
      this.deps.server(m.serverId);
      const other = this.store.memberOfServer(m.serverId);
      if (other) throw new AppError('CONFLICT', `${field(i)}serverId: ${this.nameOf(m.serverId)} is already in cluster ${this.store.get(other.clusterId).name}`);
    });
    const probes = await Promise.all(members.map((m) => this.probe(m.serverId)));
    const advertise = members.map((m, i) => {
      const probe = probes[i] as Probe;
      if (probe.error) throw new AppError('CONNECT_FAILED', `${field(i)}serverId: ${probe.name} could not be read: ${probe.error}`);
      if (!m.advertiseAddr) {
        if (!probe.suggested) throw new AppError('INPUT_INVALID', `${field(i)}advertiseAddr: ${probe.name} has no address other servers could reach; give one`);
        return probe.suggested;
      }
      const own = probe.addresses.find((a) => a.address === m.advertiseAddr);
      const list = probe.addresses.filter((a) => a.unusable === null).map((a) => a.address).join(', ') || 'none';
      if (!own) throw new AppError('INPUT_INVALID', `${field(i)}advertiseAddr: ${m.advertiseAddr} is not an address of ${probe.name} (its addresses: ${list})`);
      if (own.unusable) throw new AppError('INPUT_INVALID', `${field(i)}advertiseAddr: ${m.advertiseAddr} cannot be advertised: ${own.unusable} (usable: ${list})`);
      return m.advertiseAddr;
    });
    const used = probes.flatMap((p) => p.used);
    let pool = addrPool;
    if (pool) {
      const hit = collisions(pool, used);
      if (hit[0]) throw new AppError('INPUT_INVALID', `addrPool: ${pool} overlaps ${hit[0].cidr} (${hit[0].source} on ${this.nameOf(hit[0].serverId)}); pick a range no server uses`);
    } else {
      pool = pickPool(used) ?? undefined;
      if (!pool) throw new AppError('INPUT_INVALID', 'addrPool: every default range collides with a network on these servers; give a free IPv4 range like 10.99.0.0/16');
    }
    await Promise.all(
      members.map(async (m, i) => {
        const local = await localSwarm(await this.deps.docker(m.serverId), this.nameOf(m.serverId));
        if (local.state !== 'inactive') throw new AppError('CONFLICT', `${field(i)}serverId: ${this.nameOf(m.serverId)} is already in a swarm (${local.state}); it must leave it first`);
      }),
    );
    return { advertise, pool };
  }

  async create(input: CreateClusterInput): Promise<ClusterView> {
    if (input.members[0]?.role !== 'manager') throw new AppError('INPUT_INVALID', 'members[0].role: the first server initialises the swarm and must be a manager');
    if (this.store.byName(input.name)) throw new AppError('CONFLICT', `name: a cluster named ${input.name} already exists`);
    const { advertise, pool } = await this.prepare(input.members, (i) => `members[${i}].`, input.addrPool);
    const id = randomUUID();
    const at = Date.now();
    this.store.insertCluster({ id, name: input.name, addrPool: pool, swarmId: null, createdAt: at });
    input.members.forEach((m, i) => {
      this.store.insertMember({ clusterId: id, serverId: m.serverId, role: m.role, advertiseAddr: advertise[i] as string, nodeId: null, pending: { op: 'join', role: m.role, error: null, at } });
    });
    const first = input.members[0];
    const firstName = this.nameOf(first.serverId);
    try {
      const api = await this.deps.docker(first.serverId);
      const nodeId = await initSwarm(api, firstName, { advertiseAddr: advertise[0] as string, addrPool: pool });
      this.store.setSwarmId(id, (await inspectSwarm(api, firstName)).ID);
      this.store.updateMember(first.serverId, { nodeId, pending: null });
    } catch (e) {
      this.store.deleteCluster(id);
      throw e;
    }
    // Managers first, one at a time (each changes the Raft group), then the workers.
    const rest = input.members.slice(1).sort((a, b) => (a.role === b.role ? 0 : a.role === 'manager' ? -1 : 1));
    const failures: { serverId: string; error: string }[] = [];
    for (const m of rest) {
      const member = this.member(id, m.serverId);
      await this.completeJoin(member).catch((e: unknown) => failures.push({ serverId: m.serverId, error: errorMessage(e) }));
    }
    if (rest.length > 0 && failures.length === rest.length) await this.undoCreate(id, first.serverId, advertise[0] as string, failures);
    return this.get(id);
  }

  /** Every join failed: most likely the first manager's address. Dissolve, so nothing stays half-joined. */
  private async undoCreate(clusterId: string, firstId: string, address: string, failures: { serverId: string; error: string }[]): Promise<never> {
    const reasons = failures.map((f) => f.error).join('; ');
    const members = this.store.members(clusterId);
    const undone = await Promise.allSettled(members.map((m) => this.completeRemoval(m, { dissolving: true })));
    const stuck = undone.flatMap((r, i) => (r.status === 'rejected' ? [`${this.nameOf(members[i]?.serverId ?? '')}: ${errorMessage(r.reason)}`] : []));
    if (stuck.length === 0) this.store.deleteCluster(clusterId);
    const after = stuck.length === 0 ? `Nothing was left joined: the swarm on ${this.nameOf(firstId)} was dissolved.` : `Undoing did not finish (${stuck.join('; ')}): the cluster shows what to finish or undo.`;
    throw new AppError('REMOTE_COMMAND_FAILED', `members[0].advertiseAddr: no server could join ${this.nameOf(firstId)} at ${hostPort(address)} (${reasons}). The other servers must reach that address on TCP ${hostPort(address).split(':').pop()}. ${after}`, { field: 'members[0].advertiseAddr' });
  }

  private member(clusterId: string, serverId: string): MemberRow {
    const m = this.store.members(clusterId).find((x) => x.serverId === serverId);
    if (!m) throw new AppError('NOT_FOUND', `serverId: ${this.nameOf(serverId)} is not a member of this cluster`);
    return m;
  }

  /** A manager that answers as one, with its Docker API (also used by cluster-apps). */
  async manager(clusterId: string, except?: string): Promise<Manager> {
    const errors: string[] = [];
    for (const m of this.store.members(clusterId)) {
      if (m.role !== 'manager' || !m.nodeId || m.serverId === except || m.pending?.op === 'join') continue;
      const name = this.nameOf(m.serverId);
      try {
        const api = await this.deps.docker(m.serverId);
        if ((await localSwarm(api, name)).isManager) return { serverId: m.serverId, name, api, member: m };
        errors.push(`${name}: not a manager now`);
      } catch (e) {
        errors.push(`${name}: ${errorMessage(e)}`);
      }
    }
    throw new AppError('CONNECT_FAILED', `clusterId: no manager of this cluster answered (${errors.join('; ') || 'none joined'})`);
  }

  async join(clusterId: string, input: MemberInput): Promise<ClusterView> {
    this.store.get(clusterId);
    const { advertise } = await this.prepare([input], () => '');
    this.store.insertMember({ clusterId, serverId: input.serverId, role: input.role, advertiseAddr: advertise[0] as string, nodeId: null, pending: { op: 'join', role: input.role, error: null, at: Date.now() } });
    await this.completeJoin(this.member(clusterId, input.serverId));
    return this.get(clusterId);
  }

  /** Joins the member (leaving a half-joined state first); on failure the pending join stays with the reason. */
  private async completeJoin(member: MemberRow): Promise<void> {
    const name = this.nameOf(member.serverId);
    this.store.updateMember(member.serverId, { pending: { op: 'join', role: member.role, error: null, at: Date.now() } });
    try {
      if (member.role === 'manager' && !this.store.members(member.clusterId).some((m) => m.nodeId && !m.pending)) return await this.initMember(member);
      const manager = await this.manager(member.clusterId, member.serverId);
      const swarm = await inspectSwarm(manager.api, manager.name);
      const remote = this.store
        .members(member.clusterId)
        .filter((m) => m.role === 'manager' && m.nodeId && !m.pending && m.serverId !== member.serverId)
        .map((m) => hostPort(m.advertiseAddr));
      const api = await this.deps.docker(member.serverId);
      const local = await localSwarm(api, name);
      if (local.state === 'active' && local.swarmId === swarm.ID && local.nodeId) {
        this.store.updateMember(member.serverId, { nodeId: local.nodeId, pending: null });
        return;
      }
      if (local.state !== 'inactive') await leaveSwarm(api, name, true);
      const token = member.role === 'manager' ? swarm.JoinTokens.Manager : swarm.JoinTokens.Worker;
      try {
        await joinSwarm(api, name, { advertiseAddr: member.advertiseAddr, remoteAddrs: remote, token });
      } catch (e) {
        // A join that timed out keeps trying in the background ("pending"): stop it, so nothing is half-joined.
        const after = await localSwarm(api, name).catch(() => null);
        if (after && after.state !== 'inactive' && after.state !== 'active') await leaveSwarm(api, name, true).catch(() => undefined);
        throw e;
      }
      const joined = await localSwarm(api, name);
      this.store.updateMember(member.serverId, { nodeId: joined.nodeId, pending: null });
      await this.deps.onJoined?.(member.serverId).catch(() => undefined);
    } catch (e) {
      this.store.updateMember(member.serverId, { pending: { op: 'join', role: member.role, error: errorMessage(e), at: Date.now() } });
      throw e;
    }
  }

  /** The swarm's first manager (a create that stopped before or right after `swarm init`): init, or adopt what init made. */
  private async initMember(member: MemberRow): Promise<void> {
    const name = this.nameOf(member.serverId);
    const cluster = this.store.get(member.clusterId);
    const api = await this.deps.docker(member.serverId);
    const local = await localSwarm(api, name);
    if (!(local.state === 'active' && local.isManager && (!cluster.swarmId || local.swarmId === cluster.swarmId))) {
      if (local.state !== 'inactive') await leaveSwarm(api, name, true);
      await initSwarm(api, name, { advertiseAddr: member.advertiseAddr, addrPool: cluster.addrPool });
    }
    const after = await localSwarm(api, name);
    this.store.setSwarmId(cluster.id, (await inspectSwarm(api, name)).ID);
    this.store.updateMember(member.serverId, { nodeId: after.nodeId, pending: null });
  }

  /** Demotes (a manager), leaves on the node, removes it from the node list, forgets the member. */
  private async completeRemoval(member: MemberRow, opts: { dissolving?: boolean } = {}): Promise<void> {
    const name = this.nameOf(member.serverId);
    this.store.updateMember(member.serverId, { pending: { op: 'remove', role: member.role, error: null, at: Date.now() } });
    try {
      const manager = opts.dissolving ? null : await this.manager(member.clusterId, member.serverId).catch(() => null);
      if (!opts.dissolving && !manager && member.nodeId) throw new AppError('CONFLICT', `nodeId: ${name} is the last manager answering; dissolve the cluster instead`);
      if (manager && member.nodeId && member.role === 'manager') await updateNode(manager.api, manager.name, member.nodeId, { role: 'worker' }).catch(() => undefined);
      const api = await this.deps.docker(member.serverId);
      await leaveSwarm(api, name, true);
      if (manager && member.nodeId) await removeNode(manager.api, manager.name, member.nodeId);
      this.store.deleteMember(member.serverId);
      if (!opts.dissolving && this.store.members(member.clusterId).length === 0) this.store.deleteCluster(member.clusterId);
    } catch (e) {
      this.store.updateMember(member.serverId, { pending: { op: 'remove', role: member.role, error: errorMessage(e), at: Date.now() } });
      throw e;
    }
  }

  async updateNode(input: UpdateNodeInput): Promise<ClusterView> {
    const manager = await this.manager(input.clusterId);
    const member = this.store.members(input.clusterId).find((m) => m.nodeId === input.nodeId);
    if (input.role === 'worker' && member?.role === 'manager') {
      const managers = this.store.members(input.clusterId).filter((m) => m.role === 'manager' && m.nodeId && !m.pending);
      if (managers.length <= 1) throw new AppError('CONFLICT', 'role: this is the only manager; promote another node first');
    }
    await updateNode(manager.api, manager.name, input.nodeId, { availability: input.availability, role: input.role, labels: input.labels });
    if (member && input.role) this.store.updateMember(member.serverId, { role: input.role });
    return this.get(input.clusterId);
  }

  async removeNode(clusterId: string, nodeId: string): Promise<ClusterView> {
    const member = this.store.members(clusterId).find((m) => m.nodeId === nodeId);
    if (member) {
      await this.completeRemoval(member);
    } else {
      const manager = await this.manager(clusterId);
      await removeNode(manager.api, manager.name, nodeId);
    }
    return this.get(clusterId);
  }

  /** Finish what was started: the join (join again) or the removal (leave, node rm). */
  async finish(clusterId: string, serverId: string): Promise<ClusterView> {
    const { member, op } = await this.pendingOf(clusterId, serverId);
    if (op === 'join') await this.completeJoin(member);
    else await this.completeRemoval(member);
    return this.get(clusterId);
  }

  /** Undo what was started: a join is reversed (leave, node rm, forgotten); a removal is reversed by joining again. */
  async undo(clusterId: string, serverId: string): Promise<ClusterView> {
    const { member, op } = await this.pendingOf(clusterId, serverId);
    if (op === 'join') await this.completeRemoval(member);
    else await this.completeJoin(member);
    return this.get(clusterId);
  }

  private async pendingOf(clusterId: string, serverId: string): Promise<{ member: MemberRow; op: 'join' | 'remove' }> {
    const member = this.member(clusterId, serverId);
    const shown = (await this.get(clusterId)).pending.find((p) => p.serverId === serverId);
    if (!shown) throw new AppError('CONFLICT', `serverId: ${this.nameOf(serverId)} has no unfinished operation`);
    return { member, op: shown.op };
  }

  async rotateTokens(clusterId: string, which: 'worker' | 'manager' | 'both'): Promise<{ rotated: NodeRole[]; at: number }> {
    const manager = await this.manager(clusterId);
    const worker = which !== 'manager';
    const mgr = which !== 'worker';
    await rotateTokens(manager.api, manager.name, { worker, manager: mgr });
    return { rotated: [...(worker ? (['worker'] as const) : []), ...(mgr ? (['manager'] as const) : [])], at: Date.now() };
  }

  async dissolve(clusterId: string): Promise<{ left: string[]; failed: { serverId: string; error: string }[] }> {
    this.store.get(clusterId);
    const members = this.store.members(clusterId).sort((a, b) => (a.role === b.role ? b.position - a.position : a.role === 'worker' ? -1 : 1));
    const left: string[] = [];
    const failed: { serverId: string; error: string }[] = [];
    for (const m of members) {
      try {
        await leaveSwarm(await this.deps.docker(m.serverId), this.nameOf(m.serverId), true);
        this.store.deleteMember(m.serverId);
        left.push(m.serverId);
      } catch (e) {
        failed.push({ serverId: m.serverId, error: errorMessage(e) });
        this.store.updateMember(m.serverId, { pending: { op: 'remove', role: m.role, error: errorMessage(e), at: Date.now() } });
      }
    }
    if (failed.length === 0) this.store.deleteCluster(clusterId);
    return { left, failed };
  }
}
