import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMembers, clusters } from '../../src/main/services/db/schema.ts';
import type { ClusterView } from '../../src/shared/contract/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { CANARY, canaries, hostileVariants, removeCanaries } from '../helpers/hostile.ts';
import { addServer } from '../helpers/servers.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';

/** Inside the bed's /16 and clear of its links (10.231.1-120), bastion links (192) and Docker ranges (224-239). */
const POOL = '10.231.240.0/20';

let bed: Testbed;
let a: TestServer;
let b: TestServer;
let c: TestServer;
let app: TestApp;
const ids: Record<string, string> = {};
let clusterId = '';

async function swarmState(s: TestServer): Promise<string> {
  return (await s.exec(['docker', 'info', '--format', '{{.Swarm.LocalNodeState}}'], { check: true })).stdout.trim();
}

async function nodeField(s: TestServer, node: string, format: string): Promise<string> {
  return (await s.exec(['docker', 'node', 'inspect', node, '--format', format], { check: true })).stdout.trim();
}

function nodeOf(view: ClusterView, s: TestServer) {
  const node = view.nodes.find((n) => n.serverId === ids[s.name]);
  if (!node) throw new Error(`${s.name} is not a node of the cluster: ${JSON.stringify(view.nodes.map((n) => n.hostname))}`);
  return node;
}

const view = () => app.client.cluster.get({ clusterId });

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'clus' });
  [a, b, c] = (await bed.addServers([{ name: 'a' }, { name: 'b' }, { name: 'c' }])) as [TestServer, TestServer, TestServer];
  app = await startTestApp({ ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 3, reconnect: { baseMs: 200, maxMs: 1_000, maxAttempts: 1000 } } });
  for (const s of [a, b, c]) ids[s.name] = (await addServer(app.client, s, { name: s.name })).id;
}, 120_000);

afterAll(async () => {
  await c?.restoreLink().catch(() => undefined);
  await app?.close();
  await bed?.teardown();
});

describe('clusters on Docker Swarm', () => {
  it('refuses hostile names, addresses, pools, roles, labels and node ids naming the field; nothing reaches a node', async () => {
    await c.exec(['touch', `${CANARY}-control`], { check: true });
    expect(await canaries(c)).toEqual([`${CANARY}-control`]);
    await removeCanaries(c);
    const member = { serverId: ids.a as string, role: 'manager' as const };
    for (const { value } of hostileVariants().filter((_, i) => i % 3 === 0)) {
      const cases: [string, () => Promise<unknown>][] = [
        ['name', () => app.client.cluster.create({ name: value, members: [member] })],
        ['members[0].advertiseAddr', () => app.client.cluster.create({ name: 'ok', members: [{ ...member, advertiseAddr: value }] })],
        ['addrPool', () => app.client.cluster.create({ name: 'ok', members: [member], addrPool: value })],
        ['members[0].role', () => app.client.cluster.create({ name: 'ok', members: [{ ...member, role: value as 'manager' }] })],
        ['members[0].serverId', () => app.client.cluster.create({ name: 'ok', members: [{ ...member, serverId: value }] })],
        ['labels', () => app.client.cluster.updateNode({ clusterId: 'x', nodeId: 'abc', labels: { [value]: 'v' } })],
        ['nodeId', () => app.client.cluster.updateNode({ clusterId: 'x', nodeId: value, availability: 'drain' })],
        ['role', () => app.client.cluster.join({ clusterId: 'x', serverId: ids.c as string, role: value as 'worker' })],
      ];
      for (const [field, call] of cases) {
        const e = await rpcError(call());
        expect(e.code, `${field} ← ${JSON.stringify(value)}`).toBe('INPUT_INVALID');
        expect(e.message, `${field} ← ${JSON.stringify(value)}`).toContain(field);
      }
    }
    const e = await rpcError(app.client.cluster.updateNode({ clusterId: 'x', nodeId: 'abc', labels: { zone: 'eu\n1' } }));
    expect(e.message).toMatch(/labels\.zone: expected printable text/);
    const key = await rpcError(app.client.cluster.updateNode({ clusterId: 'x', nodeId: 'abc', labels: { 'a b': 'v' } }));
    expect(key.message).toContain('labels.a b: key expected letters, digits');
    for (const s of [a, b, c]) {
      expect(await canaries(s)).toEqual([]);
      expect(await swarmState(s)).toBe('inactive');
    }
    expect(await app.client.cluster.list()).toEqual([]);
  });

  it('a wrong advertise address: refused when it is not usable, and a join that cannot reach it leaves nothing joined', async () => {
    const notOwn = await rpcError(app.client.cluster.create({ name: 'wrong', members: [{ serverId: ids.a as string, role: 'manager', advertiseAddr: b.host }] }));
    expect(notOwn.code).toBe('INPUT_INVALID');
    expect(notOwn.message).toContain(`members[0].advertiseAddr: ${b.host} is not an address of a (its addresses: ${a.host}`);
    const bridge = await rpcError(app.client.cluster.create({ name: 'wrong', members: [{ serverId: ids.a as string, role: 'manager', advertiseAddr: '10.231.224.1' }] }));
    expect(bridge.message).toMatch(/members\[0\]\.advertiseAddr: 10\.231\.224\.1 cannot be advertised: docker0 is a Docker bridge/);
    const pool = await rpcError(app.client.cluster.create({ name: 'wrong', members: [{ serverId: ids.a as string, role: 'manager' }], addrPool: '10.231.0.0/16' }));
    expect(pool.message).toMatch(/^addrPool: 10\.231\.0\.0\/16 overlaps 10\.231\.\d+\.0\/24 \(eth0/);

    // An address a really has but b and c cannot route to (a private address of another network).
    const hidden = `10.231.210.${a.host.split('.')[3]}`;
    await a.exec(['ip', 'addr', 'add', `${hidden}/32`, 'dev', 'eth0'], { check: true });
    try {
      const e = await rpcError(
        app.client.cluster.create({
          name: 'wrong',
          addrPool: POOL,
          members: [
            { serverId: ids.a as string, role: 'manager', advertiseAddr: hidden },
            { serverId: ids.b as string, role: 'worker' },
            { serverId: ids.c as string, role: 'worker' },
          ],
        }),
      );
      expect(e.code).toBe('REMOTE_COMMAND_FAILED');
      expect(e.message).toContain(`members[0].advertiseAddr: no server could join a at ${hidden}:2377`);
      // Both joins were really tried and failed, then the swarm initialised on a was dissolved.
      expect(e.message).toMatch(/b could not join at 10\.231\.210\.\d+:2377/);
      expect(e.message).toMatch(/c could not join at 10\.231\.210\.\d+:2377/);
      expect(e.message).toContain('Nothing was left joined: the swarm on a was dissolved.');
    } finally {
      await a.exec(['ip', 'addr', 'del', `${hidden}/32`, 'dev', 'eth0']);
    }
    for (const s of [a, b, c]) expect(await swarmState(s), s.name).toBe('inactive');
    expect(await app.client.cluster.list()).toEqual([]);
  }, 120_000);

  it('creates a cluster of three from known servers with the roles asked for and the address pool given', async () => {
    const addresses = await app.client.cluster.addresses({ serverIds: [ids.a as string, ids.b as string] });
    expect(addresses.servers.map((s) => s.suggested)).toEqual([a.host, b.host]);
    expect(addresses.used.map((u) => u.cidr)).toContain('10.231.224.0/24');
    expect(addresses.addrPool).toBe('10.10.0.0/16');

    const created = await app.client.cluster.create({
      name: 'prod',
      addrPool: POOL,
      members: [
        { serverId: ids.a as string, role: 'manager' },
        { serverId: ids.b as string, role: 'worker' },
        { serverId: ids.c as string, role: 'worker' },
      ],
    });
    clusterId = created.id;
    expect(created.pending).toEqual([]);
    expect(created.nodes.map((n) => [n.serverName, n.role, n.status, n.availability])).toEqual([
      ['a', 'manager', 'ready', 'active'],
      ['b', 'worker', 'ready', 'active'],
      ['c', 'worker', 'ready', 'active'],
    ]);
    expect(nodeOf(created, a).leader).toBe(true);
    expect(nodeOf(created, b).engineVersion).toMatch(/^\d+\./);
    expect(created.quorum).toMatchObject({ managers: 1, needed: 1, tolerance: 0 });
    expect(created.quorum?.warnings[0]).toMatch(/^One manager/);
    // What the engines say, not what the app stored.
    expect((await a.exec(['docker', 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}'], { check: true })).stdout.split('\n').filter(Boolean).map((l) => l.trim()).sort()).toEqual(['a Leader', 'b', 'c']);
    const ingress = (await a.exec(['docker', 'network', 'inspect', 'ingress', '--format', '{{range .IPAM.Config}}{{.Subnet}}{{end}}'], { check: true })).stdout.trim();
    expect(ingress).toMatch(/^10\.231\.24\d\.0\/24$/);
    expect((await app.client.cluster.list()).map((x) => [x.name, x.addrPool, x.members.map((m) => m.advertiseAddr)])).toEqual([['prod', POOL, [a.host, b.host, c.host]]]);
  }, 120_000);

  it('removing a member server is refused naming the cluster and what to do; nothing is removed', async () => {
    const e = await rpcError(app.client.servers.remove({ id: ids.c as string }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toBe('id: c is a member of cluster prod; remove it from the cluster first, then remove the server (nothing was removed)');
    expect((await app.client.servers.list()).map((s) => s.name).sort()).toEqual(['a', 'b', 'c']);
    expect((await app.client.cluster.list())[0]?.members.map((m) => m.serverName)).toEqual(['a', 'b', 'c']);
    expect(await swarmState(c)).toBe('active');
    expect(nodeOf(await view(), c).status).toBe('ready');
  });

  it('promotes and demotes, with the quorum explained', async () => {
    let v = await view();
    v = await app.client.cluster.updateNode({ clusterId, nodeId: nodeOf(v, b).id, role: 'manager' });
    await app.client.cluster.updateNode({ clusterId, nodeId: nodeOf(v, c).id, role: 'manager' });
    expect(await nodeField(a, 'c', '{{.Spec.Role}}')).toBe('manager');
    v = await waitFor(async () => {
      const now = await view();
      return now.quorum?.reachable === 3 ? now : null;
    }, 'three reachable managers', 30_000);
    expect(v.quorum).toMatchObject({ managers: 3, needed: 2, tolerance: 1, healthy: true, warnings: [] });
    expect(v.quorum?.oneMoreLost).toMatch(/leaves 2 of 3: still a majority/);
    v = await app.client.cluster.updateNode({ clusterId, nodeId: nodeOf(v, c).id, role: 'worker' });
    expect(await nodeField(a, 'c', '{{.Spec.Role}}')).toBe('worker');
    expect(v.quorum?.managers).toBe(2);
    expect(v.quorum?.warnings[0]).toMatch(/^Two managers tolerate no loss/);
    expect((await app.client.cluster.list())[0]?.members.map((m) => m.role)).toEqual(['manager', 'manager', 'worker']);
  }, 90_000);

  it('drains and activates a node, and edits labels (values are data, never run)', async () => {
    let v = await view();
    const node = nodeOf(v, c).id;
    v = await app.client.cluster.updateNode({ clusterId, nodeId: node, availability: 'drain' });
    expect(nodeOf(v, c).availability).toBe('drain');
    expect(await nodeField(a, 'c', '{{.Spec.Availability}}')).toBe('drain');
    v = await app.client.cluster.updateNode({ clusterId, nodeId: node, availability: 'active' });
    expect(nodeOf(v, c).availability).toBe('active');
    expect(await nodeField(a, 'c', '{{.Spec.Availability}}')).toBe('active');
    const labels = { zone: 'eu-1', 'com.example.tier': `$(touch ${CANARY})` };
    v = await app.client.cluster.updateNode({ clusterId, nodeId: node, labels });
    expect(nodeOf(v, c).labels).toEqual(labels);
    expect(JSON.parse(await nodeField(a, 'c', '{{json .Spec.Labels}}'))).toEqual(labels);
    for (const s of [a, b, c]) expect(await canaries(s)).toEqual([]);
  });

  it('rotates join tokens (the old one is refused), removes a node and joins it again', async () => {
    const old = (await a.exec(['docker', 'swarm', 'join-token', '-q', 'worker'], { check: true })).stdout.trim();
    expect(await app.client.cluster.rotateTokens({ clusterId, which: 'worker' })).toMatchObject({ rotated: ['worker'] });
    const fresh = (await a.exec(['docker', 'swarm', 'join-token', '-q', 'worker'], { check: true })).stdout.trim();
    expect(fresh).not.toBe(old);

    let v = await app.client.cluster.removeNode({ clusterId, nodeId: nodeOf(await view(), c).id });
    expect(v.nodes.map((n) => n.serverName)).toEqual(['a', 'b']);
    expect(v.members.map((m) => m.serverName)).toEqual(['a', 'b']);
    expect(await swarmState(c)).toBe('inactive');

    const refused = await c.exec(['docker', 'swarm', 'join', '--token', old, `${a.host}:2377`], { timeoutMs: 60_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/token/i);
    expect(await swarmState(c)).toBe('inactive');

    v = await app.client.cluster.join({ clusterId, serverId: ids.c as string, role: 'worker' });
    expect(nodeOf(v, c)).toMatchObject({ role: 'worker', status: 'ready' });
    expect(v.pending).toEqual([]);
  }, 120_000);

  it('a join that fails midway is shown with finish and undo; undo leaves nothing joined', async () => {
    await app.client.cluster.removeNode({ clusterId, nodeId: nodeOf(await view(), c).id });
    // The managers drop c's packets to the swarm port: the join times out inside Docker.
    for (const s of [a, b]) await s.exec(['iptables', '-I', 'INPUT', '-p', 'tcp', '--dport', '2377', '-s', c.host, '-j', 'DROP'], { check: true });
    try {
      const e = await rpcError(app.client.cluster.join({ clusterId, serverId: ids.c as string, role: 'worker' }));
      expect(e.message).toMatch(/c could not join at/);
      const v = await view();
      expect(v.pending).toHaveLength(1);
      expect(v.pending[0]).toMatchObject({ serverName: 'c', op: 'join', finish: 'Join again', undo: 'Leave the swarm and forget it' });
      expect(v.pending[0]?.detail).toMatch(/^The join as worker did not finish: c could not join/);
    } finally {
      for (const s of [a, b]) await s.exec(['iptables', '-D', 'INPUT', '-p', 'tcp', '--dport', '2377', '-s', c.host, '-j', 'DROP']);
    }
    const v = await app.client.cluster.undo({ clusterId, serverId: ids.c as string });
    expect(v.pending).toEqual([]);
    expect(v.members.map((m) => m.serverName)).toEqual(['a', 'b']);
    expect(await swarmState(c)).toBe('inactive');
    const back = await app.client.cluster.join({ clusterId, serverId: ids.c as string, role: 'worker' });
    expect(nodeOf(back, c).status).toBe('ready');
  }, 150_000);

  it('a node that left outside the app but is still listed is shown; finish removes it', async () => {
    await c.exec(['docker', 'swarm', 'leave'], { check: true });
    const v = await waitFor(async () => {
      const now = await view();
      return now.pending.length > 0 ? now : null;
    }, 'the half-done removal shown', 30_000);
    expect(v.pending[0]).toMatchObject({ serverName: 'c', op: 'remove', detail: 'It left the swarm but is still listed as a node (down)', finish: 'Remove the node' });
    expect(nodeOf(v, c).status).toBe('down');
    const done = await app.client.cluster.finish({ clusterId, serverId: ids.c as string });
    expect(done.pending).toEqual([]);
    expect(done.nodes.map((n) => n.serverName)).toEqual(['a', 'b']);
    expect((await a.exec(['docker', 'node', 'ls', '--format', '{{.Hostname}}'], { check: true })).stdout.trim().split('\n').sort()).toEqual(['a', 'b']);
    await app.client.cluster.join({ clusterId, serverId: ids.c as string, role: 'worker' });
  }, 90_000);

  it("a node whose link is cut is shown Down, and Ready again once it is back", async () => {
    expect(nodeOf(await view(), c).status).toBe('ready');
    await c.cutLink();
    try {
      const down = await waitFor(async () => {
        const now = await view();
        return nodeOf(now, c).status === 'down' ? now : null;
      }, 'c shown down', 40_000, 500);
      expect(nodeOf(down, a).status).toBe('ready');
      expect((await a.exec(['docker', 'node', 'inspect', 'c', '--format', '{{.Status.State}}'], { check: true })).stdout.trim()).toBe('down');
    } finally {
      await c.restoreLink();
    }
    await waitFor(async () => nodeOf(await view(), c).status === 'ready', 'c ready again', 40_000, 500);
  }, 120_000);

  it('dissolves: every member leaves and the cluster is forgotten', async () => {
    const result = await app.client.cluster.dissolve({ clusterId });
    expect(result.failed).toEqual([]);
    expect(result.left.sort()).toEqual([ids.a, ids.b, ids.c].sort());
    for (const s of [a, b, c]) expect(await swarmState(s)).toBe('inactive');
    expect(await app.client.cluster.list()).toEqual([]);
  }, 60_000);

  it('a create that stopped before swarm init is shown as unfinished; finish initialises the swarm', async () => {
    const db = app.services.storage.db;
    const at = Date.now();
    db.insert(clusters).values({ id: 'stopped', name: 'stopped', addrPool: POOL, swarmId: null, createdAt: at }).run();
    db.insert(clusterMembers)
      .values({ clusterId: 'stopped', serverId: ids.a as string, role: 'manager', advertiseAddr: a.host, nodeId: null, pending: { op: 'join', role: 'manager', error: null, at }, position: 0, updatedAt: at })
      .run();
    const before = await app.client.cluster.get({ clusterId: 'stopped' });
    expect(before.error).toMatch(/^No manager answered/);
    expect(before.pending).toEqual([expect.objectContaining({ serverName: 'a', op: 'join', detail: 'The join as manager did not finish (the app or the link went away meanwhile)' })]);
    expect(await swarmState(a)).toBe('inactive');
    const after = await app.client.cluster.finish({ clusterId: 'stopped', serverId: ids.a as string });
    expect(after.pending).toEqual([]);
    expect(after.nodes.map((n) => [n.serverName, n.role, n.leader])).toEqual([['a', 'manager', true]]);
    expect(await swarmState(a)).toBe('active');
    expect((await app.client.cluster.dissolve({ clusterId: 'stopped' })).failed).toEqual([]);
    expect(await swarmState(a)).toBe('inactive');
  }, 60_000);
});
