import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterAppInput, ClusterAppView } from '../../src/shared/contract/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { CANARY, canaries, hostileVariants, removeCanaries } from '../helpers/hostile.ts';
import { addServer } from '../helpers/servers.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';

/** Inside the bed's /16 and clear of its links and Docker ranges (as in cluster.test.ts). */
const POOL = '10.231.240.0/20';
const WEB = 'openpanel-test/web';
const DOMAIN = 'web.test';
/** Debian's Caddy 2.6 (supports `dynamic a` upstreams), standing in for caddy:2 on the edge node. */
const CADDY_STANDIN = 'openpanel-test/caddy:latest';

let bed: Testbed;
let servers: TestServer[];
let app: TestApp;
const ids: Record<string, string> = {};
let clusterId = '';

/**
 * v1 and v2 serve "<version> <hostname>" (a task's container hostname, so replicas can be told apart) and have
 * /healthy; bad serves but lacks /healthy (its health check fails).
 */
async function makeImages(s: TestServer): Promise<void> {
  const variants: [string, string][] = [
    ['v1', 'mkdir -p /www && echo v1 > /version && touch /healthy'],
    ['v2', 'mkdir -p /www && echo v2 > /version && touch /healthy'],
    ['bad', 'mkdir -p /www && echo bad > /version'],
  ];
  const cmd = JSON.stringify(['sh', '-c', 'echo "$(cat /version) $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www']);
  for (const [tag, script] of variants) {
    const name = `mk-${tag}`;
    await s.exec(['docker', 'run', '--name', name, BUSYBOX_TAG, 'sh', '-c', script], { check: true });
    await s.exec(['docker', 'commit', '--change', `CMD ${cmd}`, name, `${WEB}:${tag}`], { check: true });
    await s.exec(['docker', 'rm', name], { check: true });
  }
}

const base = (): ClusterAppInput => ({
  clusterId,
  name: 'web',
  image: `${WEB}:v1`,
  replicas: 3,
  port: 8080,
  domains: [{ host: DOMAIN, tls: false, issuer: 'acme' }],
  health: { test: ['test', '-f', '/healthy'], intervalS: 1, timeoutS: 1, retries: 2, startPeriodS: 0 },
  update: { parallelism: 1, delayS: 0, order: 'start-first', monitorS: 3, failureAction: 'rollback', maxFailureRatio: 0 },
  restart: { condition: 'any', delayS: 1, maxAttempts: 0 },
});

const get = () => app.client.clusterApps.get({ clusterId, name: 'web' });
const running = (v: ClusterAppView) => v.tasks.filter((t) => t.state === 'running' && t.desired === 'running');

/** Waits until the app runs `n` tasks of `image` and nothing else is meant to run. */
async function settled(n: number, image: string, timeoutMs = 60_000): Promise<ClusterAppView> {
  return waitFor(
    async () => {
      const v = await get();
      const live = running(v);
      const meant = v.tasks.filter((t) => t.desired === 'running');
      return live.length === n && meant.length === n && live.every((t) => t.image === image) ? v : null;
    },
    `${n} running tasks of ${image}`,
    timeoutMs,
    300,
  );
}

/** What the app's tasks answer, asked from a container on the apps network through `tasks.op-web` DNS. */
async function fetchFromNetwork(s: TestServer): Promise<string> {
  const r = await s.exec(['docker', 'run', '--rm', '--network', 'openpanel-cluster-apps', BUSYBOX_TAG, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 3 tasks.op-web 8080'], { check: true });
  return (r.stdout.trim().split('\n').pop() ?? '').split(' ')[0] ?? '';
}

/**
 * One request through the edge proxy on $OP_EDGE:80 with the app's Host header: the body's last line. wget, not
 * nc: nc half-closes after the request, and Go's server then cancels the request (Caddy's upstream lookup with it).
 */
const EDGE_GET = 'get() { timeout 5 wget -q -O - --header "Host: $OP_DOMAIN" "http://$OP_EDGE/" 2>/dev/null | tail -n 1; }';

/**
 * Requests the app through the edge proxy (edge node's host-mode port 80, Host: web.test) from the host network
 * of `s` until told to stop (at most 3000 or 120 s). Allowance: none on the client; a request answered with
 * anything but v1/v2 counts as failed (the proxy itself retries another task for up to 5 s, lb_try_duration).
 */
const LOOP = [
  'ok=0; failed=0; i=0; end=$(( $(date +%s) + 120 ))',
  EDGE_GET,
  'while [ $i -lt 3000 ] && [ ! -f /tmp/stop ] && [ $(date +%s) -lt $end ]; do',
  '  r=$(get); case "$r" in "v1 "*|"v2 "*) ok=$((ok+1));; *) failed=$((failed+1)); echo "failed: $r";; esac',
  '  i=$((i+1))',
  'done',
  'echo "result $ok $failed"',
].join('\n');

/** `n` requests through the edge from the host network of `s`: each answer's last line (empty when none came). */
async function throughEdge(s: TestServer, n: number): Promise<string[]> {
  const script = `${EDGE_GET}\ni=0; while [ $i -lt ${n} ]; do echo "= $(get)"; i=$((i+1)); done`;
  const r = await s.exec(['docker', 'run', '--rm', '--network', 'host', '-e', `OP_EDGE=${edge().host}`, '-e', `OP_DOMAIN=${DOMAIN}`, BUSYBOX_TAG, 'sh', '-c', script], { check: true });
  return r.stdout.split('\n').filter((l) => l.startsWith('= ')).map((l) => l.slice(2).trim());
}

const edge = () => servers[0] as TestServer;

async function startRequests(s: TestServer): Promise<() => Promise<{ ok: number; failed: number; log: string }>> {
  await s.exec(['docker', 'run', '-d', '--name', 'requests', '--network', 'host', '-e', `OP_EDGE=${edge().host}`, '-e', `OP_DOMAIN=${DOMAIN}`, BUSYBOX_TAG, 'sh', '-c', LOOP], { check: true });
  return async () => {
    await s.exec(['docker', 'exec', 'requests', 'touch', '/tmp/stop'], { check: true });
    await s.exec(['timeout', '30', 'docker', 'wait', 'requests'], { check: true });
    const log = (await s.exec(['docker', 'logs', 'requests'], { check: true })).stdout;
    await s.exec(['docker', 'rm', '-f', 'requests'], { check: true });
    const m = /result (\d+) (\d+)/.exec(log);
    if (!m) throw new Error(`the request loop printed no result: ${log}`);
    return { ok: Number(m[1]), failed: Number(m[2]), log };
  };
}

/** Swarm's DNS on the asking node follows a rollout a moment after the tasks' states do: wait for it, bounded. */
async function served(s: TestServer, version: string): Promise<void> {
  await waitFor(async () => ((await fetchFromNetwork(s)) === version ? true : null), `tasks.op-web to answer ${version} on ${s.name}`, 20_000, 500);
}

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'capps' });
  servers = await bed.addServers([
    { name: 'a', images: ['busybox'] },
    { name: 'b', images: ['busybox'] },
    { name: 'c', images: ['busybox'] },
  ]);
  app = await startTestApp();
  const [a, b, c] = servers as [TestServer, TestServer, TestServer];
  await Promise.all([...servers.map(makeImages), a.loadImage('debian', { packages: ['caddy'], tag: CADDY_STANDIN })]);
  for (const s of servers) ids[s.name] = (await addServer(app.client, s, { name: s.name })).id;
  await app.client.proxy.updateSettings({ serverId: ids[a.name] as string, settings: { imageOverrides: { prefix: null, images: { 'caddy:2': CADDY_STANDIN } } } });
  const created = await app.client.cluster.create({
    name: 'apps',
    members: [
      { serverId: ids[a.name] as string, role: 'manager' },
      { serverId: ids[b.name] as string, role: 'worker' },
      { serverId: ids[c.name] as string, role: 'worker' },
    ],
    addrPool: POOL,
  });
  clusterId = created.id;
  expect(created.nodes).toHaveLength(3);
  const edgeNode = created.nodes.find((n) => n.serverId === ids[a.name]);
  if (!edgeNode) throw new Error('a is not a node');
  await app.client.cluster.updateNode({ clusterId, nodeId: edgeNode.id, labels: { 'openpanel.edge': 'true' } });
}, 240_000);

afterAll(async () => {
  await app?.close();
  await bed?.teardown();
});

describe('apps on a cluster as Swarm services', () => {
  it('refuses hostile names, images, constraints and replica counts naming the field; nothing reaches a node', async () => {
    const s = servers[0] as TestServer;
    await s.exec(['touch', `${CANARY}-control`], { check: true });
    expect(await canaries(s)).toEqual([`${CANARY}-control`]);
    await removeCanaries(s);
    for (const { value } of hostileVariants().filter((_, i) => i % 3 === 0)) {
      const cases: [string, () => Promise<unknown>][] = [
        ['name', () => app.client.clusterApps.deploy({ ...base(), name: value })],
        ['image', () => app.client.clusterApps.deploy({ ...base(), image: value })],
        ['domains[0].host', () => app.client.clusterApps.deploy({ ...base(), domains: [{ host: value, tls: false }] })],
        ['constraints[0]', () => app.client.clusterApps.deploy({ ...base(), constraints: [value] })],
        ['constraints[0]', () => app.client.clusterApps.deploy({ ...base(), constraints: [`node.labels.zone==${value}`] })],
        ['health.test', () => app.client.clusterApps.deploy({ ...base(), health: { test: [], intervalS: 1, timeoutS: 1, retries: 1, startPeriodS: 0 } })],
      ];
      for (const [field, call] of cases) {
        const e = await rpcError(call());
        expect(e.code, `${field} ← ${JSON.stringify(value)}`).toBe('INPUT_INVALID');
        expect(e.message, `${field} ← ${JSON.stringify(value)}`).toContain(field);
      }
    }
    for (const replicas of [-1, 101, 1e9, 1.5]) {
      const e = await rpcError(app.client.clusterApps.deploy({ ...base(), replicas }));
      expect(e.code).toBe('INPUT_INVALID');
      expect(e.message).toContain('replicas: expected a whole number from 0 to 100');
      const scale = await rpcError(app.client.clusterApps.scale({ clusterId, name: 'web', replicas }));
      expect(scale.message).toContain('replicas: expected a whole number from 0 to 100');
    }
    const op = await rpcError(app.client.clusterApps.deploy({ ...base(), constraints: ['node.role=manager'] }));
    expect(op.message).toContain('constraints[0]: expected node.role, node.hostname or node.labels.<key>');
    for (const s2 of servers) expect(await canaries(s2)).toEqual([]);
    expect((await s.exec(['docker', 'service', 'ls', '-q'], { check: true })).stdout.trim()).toBe('');
  });

  it('3 replicas spread on 3 nodes, reachable through tasks.<service> and through the edge proxy (every replica); scale 3 → 6 → 1', async () => {
    const created = await app.client.clusterApps.deploy(base());
    expect(created.service).toBe('op-web');
    expect(created.deploys).toHaveLength(1);
    const v = await settled(3, `${WEB}:v1`);
    expect(new Set(running(v).map((t) => t.serverId))).toEqual(new Set(Object.values(ids)));
    const a = servers[0] as TestServer;
    const spec = JSON.parse((await a.exec(['docker', 'service', 'inspect', 'op-web', '--format', '{{json .Spec}}'], { check: true })).stdout);
    expect(spec.EndpointSpec.Mode).toBe('dnsrr');
    expect(spec.UpdateConfig).toMatchObject({ Order: 'start-first', FailureAction: 'rollback', Parallelism: 1, Monitor: 3e9 });
    expect(spec.Labels['dev.openpanel.managed']).toBe('true');
    await served(servers[1] as TestServer, 'v1');
    expect(created.domains).toEqual([{ host: DOMAIN, tls: false, issuer: 'acme' }]);

    // The edge: one Caddy task on the labelled node only, port 80 published in host mode, no VIP.
    const edgeSpec = JSON.parse((await a.exec(['docker', 'service', 'inspect', 'openpanel-edge', '--format', '{{json .Spec}}'], { check: true })).stdout);
    expect(edgeSpec.EndpointSpec.Ports).toContainEqual(expect.objectContaining({ TargetPort: 80, PublishedPort: 80, PublishMode: 'host' }));
    expect(edgeSpec.TaskTemplate.ContainerSpec.Image).toBe(CADDY_STANDIN);
    const b = servers[1] as TestServer;
    await waitFor(async () => ((await throughEdge(b, 1))[0]?.startsWith('v1 ') ? true : null), `${DOMAIN} through the edge on ${edge().name}`, 60_000, 1000).catch(async (e: unknown) => {
      const ps = await a.exec(['docker', 'service', 'ps', '--no-trunc', 'openpanel-edge']);
      const cs = await a.exec(['sh', '-c', 'for c in $(docker ps -aq --filter label=openpanel.proxy=caddy-edge); do docker logs --tail 30 $c 2>&1; done; ss -ltnp']);
      throw new Error(`${String(e)}\n${ps.stdout}${ps.stderr}\n${cs.stdout}${cs.stderr}`);
    });
    const edgeTasks = (await a.exec(['docker', 'service', 'ps', 'openpanel-edge', '--filter', 'desired-state=running', '--format', '{{.Node}}'], { check: true })).stdout.trim().split('\n');
    expect(edgeTasks).toHaveLength(1);
    // Round robin over tasks.op-web: 30 requests reach every replica (3 distinct task hostnames), none fails.
    const answers = await throughEdge(b, 30);
    expect(answers.filter((r) => !r.startsWith('v1 ')), answers.join('\n')).toEqual([]);
    expect(new Set(answers.map((r) => r.split(' ')[1])).size).toBe(3);
    // A Host the edge does not route gets no app answer (the Host header is what routes).
    const other = await b.exec(['docker', 'run', '--rm', '--network', 'host', '-e', `OP_EDGE=${edge().host}`, '-e', 'OP_DOMAIN=other.test', BUSYBOX_TAG, 'sh', '-c', `${EDGE_GET}\necho "= $(get)"`], { check: true });
    expect(other.stdout.trim()).toBe('=');

    await app.client.clusterApps.scale({ clusterId, name: 'web', replicas: 6 });
    const six = await settled(6, `${WEB}:v1`);
    expect(new Set(running(six).map((t) => t.serverId)).size).toBe(3);
    await app.client.clusterApps.scale({ clusterId, name: 'web', replicas: 1 });
    const one = await settled(1, `${WEB}:v1`);
    expect(one.replicas).toBe(1);
    // After 3 → 1 the edge follows tasks DNS (refreshed each second): every request answered, by one task.
    const single = await waitFor(
      async () => {
        const got = await throughEdge(b, 10);
        expect(got.filter((r) => !r.startsWith('v1 ')), got.join('\n')).toEqual([]);
        return new Set(got.map((r) => r.split(' ')[1])).size === 1 ? got : null;
      },
      'the edge to answer from the one task left',
      30_000,
      500,
    );
    expect(single).toHaveLength(10);
    await app.client.clusterApps.scale({ clusterId, name: 'web', replicas: 3 });
    await settled(3, `${WEB}:v1`);
  }, 180_000);

  it('an update is a deploy record (no failed request through the edge proxy while it rolls); a failing health check is rolled back by Swarm and shown with the reason; manual rollback by record', async () => {
    const stop = await startRequests(servers[1] as TestServer);
    const v2 = await app.client.clusterApps.deploy({ ...base(), image: `${WEB}:v2` });
    expect(v2.deploys.map((d) => d.image)).toEqual([`${WEB}:v2`, `${WEB}:v1`]);
    await settled(3, `${WEB}:v2`, 90_000);
    const requests = await stop();
    expect(requests.failed, requests.log).toBe(0);
    expect(requests.ok).toBeGreaterThan(20);
    await served(servers[2] as TestServer, 'v2');

    await app.client.clusterApps.deploy({ ...base(), image: `${WEB}:bad` });
    const rolled = await waitFor(async () => {
      const v = await get();
      return v.update?.state === 'rollback_completed' ? v : null;
    }, 'Swarm to roll back the failing update', 120_000, 500);
    expect(rolled.update?.rolledBack).toBe(true);
    expect(rolled.update?.message).toMatch(/rollback/i);
    expect(rolled.image).toBe(`${WEB}:v2`);
    await settled(3, `${WEB}:v2`, 60_000);
    expect(rolled.deploys[0]?.image).toBe(`${WEB}:bad`);

    const v1 = rolled.deploys.find((d) => d.image === `${WEB}:v1`);
    if (!v1) throw new Error('the v1 deploy is not kept');
    const back = await app.client.clusterApps.rollback({ clusterId, name: 'web', deployId: v1.id });
    expect(back.deploys[0]).toMatchObject({ kind: 'rollback', image: `${WEB}:v1` });
    await settled(3, `${WEB}:v1`, 90_000);
    await served(servers[0] as TestServer, 'v1');
    const unknown = await rpcError(app.client.clusterApps.rollback({ clusterId, name: 'web', deployId: 'ffffffffffff' }));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('deployId: ffffffffffff is not a kept deploy of web');
  }, 300_000);

  it('draining a node moves its tasks to the others', async () => {
    // Rolling updates place replacements where Swarm likes: drain a node that runs a task now.
    const before = running(await get());
    const serverId = before.find((t) => t.serverId !== null)?.serverId;
    if (!serverId) throw new Error(`no running task on a known server: ${JSON.stringify(before)}`);
    const view = await app.client.cluster.get({ clusterId });
    const node = view.nodes.find((n) => n.serverId === serverId);
    if (!node) throw new Error(`${serverId} is not a node`);
    await app.client.cluster.updateNode({ clusterId, nodeId: node.id, availability: 'drain' });
    const moved = await waitFor(async () => {
      const v = await get();
      const live = running(v);
      return live.length === 3 && live.every((t) => t.serverId !== serverId) ? v : null;
    }, 'the tasks to leave the drained node', 60_000, 300);
    expect(new Set(running(moved).map((t) => t.serverId)).has(serverId)).toBe(false);
    await app.client.cluster.updateNode({ clusterId, nodeId: node.id, availability: 'active' });
    expect((await app.client.clusterApps.remove({ clusterId, name: 'web' })).removed).toBe(true);
    const a = servers[0] as TestServer;
    expect((await a.exec(['docker', 'service', 'ls', '-q'], { check: true })).stdout.trim()).toBe('');
    expect((await a.exec(['docker', 'config', 'ls', '-q', '--filter', 'label=openpanel.app=web'], { check: true })).stdout.trim()).toBe('');
  }, 120_000);
});
