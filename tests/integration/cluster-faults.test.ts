import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterAppInput, ClusterAppView, LogBatch, LogsContainer } from '../../src/shared/contract/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';

/** Inside the bed's /16 and clear of its links and Docker ranges (as in cluster.test.ts). */
const POOL = '10.231.240.0/20';
const WEB = 'openpanel-test/ticker:v1';
const DOMAIN = 'web.test';
/** Debian's Caddy 2.6 standing in for caddy:2 on the edge node (as in cluster-apps.test.ts). */
const CADDY_STANDIN = 'openpanel-test/caddy:latest';

let bed: Testbed;
let a: TestServer;
let b: TestServer;
let c: TestServer;
let app: TestApp;
const ids: Record<string, string> = {};
let clusterId = '';

/** Serves "v1 <hostname>" on 8080 and prints "tick <hostname> <n>" every 0.3 s, so every task has log lines. */
async function makeImage(s: TestServer): Promise<void> {
  const cmd = JSON.stringify(['sh', '-c', 'echo "v1 $(hostname)" > /www/index.html; (i=0; while :; do i=$((i+1)); echo "tick $(hostname) $i"; sleep 0.3; done) & exec httpd -f -p 8080 -h /www']);
  await s.exec(['docker', 'run', '--name', 'mk', BUSYBOX_TAG, 'mkdir', '-p', '/www'], { check: true });
  await s.exec(['docker', 'commit', '--change', `CMD ${cmd}`, 'mk', WEB], { check: true });
  await s.exec(['docker', 'rm', 'mk'], { check: true });
}

const spec = (): ClusterAppInput => ({
  clusterId,
  name: 'web',
  image: WEB,
  replicas: 3,
  port: 8080,
  domains: [{ host: DOMAIN, tls: false, issuer: 'acme' }],
  update: { parallelism: 1, delayS: 0, order: 'start-first', monitorS: 3, failureAction: 'rollback', maxFailureRatio: 0 },
  restart: { condition: 'any', delayS: 1, maxAttempts: 0 },
});

const get = () => app.client.clusterApps.get({ clusterId, name: 'web' });
const running = (v: ClusterAppView) => v.tasks.filter((t) => t.state === 'running' && t.desired === 'running');
const nodeOf = async (s: TestServer) => {
  const n = (await app.client.cluster.get({ clusterId })).nodes.find((x) => x.serverId === ids[s.name]);
  if (!n) throw new Error(`${s.name} is not a node`);
  return n;
};

/**
 * One request through the edge (a's host-mode port 80, Host: web.test). Allowance: the edge retries another task
 * for up to 5 s (lb_try_duration) after a 1 s dial timeout, so the client waits 8 s; a request with any other
 * answer, or none within that, counts as failed.
 */
const EDGE_GET = 'get() { timeout 8 wget -q -O - --header "Host: $OP_DOMAIN" "http://$OP_EDGE/" 2>/dev/null | tail -n 1; }';
const LOOP = [
  'ok=0; failed=0; i=0; end=$(( $(date +%s) + 150 ))',
  EDGE_GET,
  'while [ $i -lt 5000 ] && [ ! -f /tmp/stop ] && [ $(date +%s) -lt $end ]; do',
  '  r=$(get); case "$r" in "v1 "*) ok=$((ok+1));; *) failed=$((failed+1)); echo "failed at $(date +%T): $r";; esac',
  '  i=$((i+1))',
  'done',
  'echo "result $ok $failed"',
].join('\n');

/** Continuous requests through the edge from b's host network (a client inside the bed); returns the stopper. */
async function startRequests(s: TestServer): Promise<() => Promise<{ ok: number; failed: number; log: string }>> {
  await s.exec(['docker', 'run', '-d', '--name', 'requests', '--network', 'host', '-e', `OP_EDGE=${a.host}`, '-e', `OP_DOMAIN=${DOMAIN}`, BUSYBOX_TAG, 'sh', '-c', LOOP], { check: true });
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

/** What a task answers at its overlay address, asked from a container on the apps network on a ('' when nothing). */
async function askTask(ip: string): Promise<string> {
  const r = await a.exec(['docker', 'run', '--rm', '--network', 'openpanel-cluster-apps', '-e', `OP_IP=${ip}`, BUSYBOX_TAG, 'sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 "$OP_IP" 8080']);
  return r.stdout.trim().split('\n').pop() ?? '';
}

/** A followed log stream's lines with their task (container entry), its statuses, and how it ended. */
interface Followed {
  lines: { task: LogsContainer; t: number | null; text: string }[];
  containers: LogsContainer[];
  statuses: NonNullable<LogBatch['status']>[];
  ended: { error: unknown } | null;
  stop: () => void;
}

function followLogs(tail: number): Followed {
  const ac = new AbortController();
  const out: Followed = { lines: [], containers: [], statuses: [], ended: null, stop: () => ac.abort() };
  const flowId = randomUUID();
  void (async () => {
    try {
      for await (const batch of await app.client.logs.followClusterApp({ clusterId, name: 'web', tail, flowId }, { signal: ac.signal })) {
        if (batch.containers) out.containers = batch.containers;
        for (const [i, , t, text] of batch.lines) {
          const task = out.containers[i];
          if (!task) throw new Error(`line for container index ${i}, not named: ${JSON.stringify(out.containers)}`);
          out.lines.push({ task, t, text });
        }
        if (batch.status) out.statuses.push(batch.status);
        await app.client.logs.ack({ flowId, seq: batch.seq });
      }
      out.ended = { error: null };
    } catch (e) {
      out.ended = { error: ac.signal.aborted ? null : e };
    }
  })();
  return out;
}

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'cfault' });
  [a, b, c] = (await bed.addServers([
    { name: 'a', images: ['busybox'] },
    { name: 'b', images: ['busybox'] },
    { name: 'c', images: ['busybox'] },
  ])) as [TestServer, TestServer, TestServer];
  // A lost connection is noticed after 2 missed keep-alives of 1 s (the default is 3 × 5 s).
  app = await startTestApp({ ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 2 } });
  await Promise.all([...[a, b, c].map(makeImage), a.loadImage('debian', { packages: ['caddy'], tag: CADDY_STANDIN })]);
  for (const s of [a, b, c]) ids[s.name] = (await addServer(app.client, s, { name: s.name })).id;
  await app.client.proxy.updateSettings({ serverId: ids.a as string, settings: { imageOverrides: { prefix: null, images: { 'caddy:2': CADDY_STANDIN } } } });
  const created = await app.client.cluster.create({
    name: 'faults',
    members: [
      { serverId: ids.a as string, role: 'manager' },
      { serverId: ids.b as string, role: 'worker' },
      { serverId: ids.c as string, role: 'worker' },
    ],
    addrPool: POOL,
  });
  clusterId = created.id;
  await app.client.cluster.updateNode({ clusterId, nodeId: (await nodeOf(a)).id, labels: { 'openpanel.edge': 'true' } });
  await app.client.clusterApps.deploy(spec());
  await waitFor(async () => {
    const live = running(await get());
    return live.length === 3 && new Set(live.map((t) => t.serverId)).size === 3 ? live : null;
  }, '3 tasks running, one on each node', 90_000, 300);
  const probe = `${EDGE_GET}\necho "= $(get)"`;
  await waitFor(
    async () => (await b.exec(['docker', 'run', '--rm', '--network', 'host', '-e', `OP_EDGE=${a.host}`, '-e', `OP_DOMAIN=${DOMAIN}`, BUSYBOX_TAG, 'sh', '-c', probe])).stdout.startsWith('= v1 '),
    'the app through the edge',
    60_000,
    1000,
  );
}, 300_000);

afterAll(async () => {
  await c?.restoreLink().catch(() => undefined);
  await a?.restoreLink().catch(() => undefined);
  await app?.close();
  await bed?.teardown();
});

describe('a cluster app under faults (three test servers)', () => {
  let logs: Followed;

  it('merges the logs of all 3 tasks through the manager, each line tagged with its task and node, in time order', async () => {
    logs = followLogs(5);
    const seen = await waitFor(() => {
      const nodes = new Set(logs.lines.filter((l) => l.text.startsWith('tick ')).map((l) => l.task.node));
      return nodes.size === 3 ? nodes : null;
    }, 'lines from the tasks on a, b and c', 30_000, 200);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(logs.ended).toBeNull();
    for (const task of logs.containers) expect(task.name).toBe(`web.${task.slot}@${task.node}`);
    // Each task prints its own container hostname: a line's tag is the task that printed it.
    const hostOf = new Map<string, string>();
    for (const l of logs.lines) {
      const host = /^tick (\S+) \d+$/.exec(l.text)?.[1];
      if (!host) continue;
      expect(hostOf.get(l.task.id) ?? host, `${l.task.name}: ${l.text}`).toBe(host);
      hostOf.set(l.task.id, host);
    }
    expect(new Set(hostOf.values()).size).toBe(3);
    // The backfill (5 lines of each task) comes merged by time, not task after task.
    const first = logs.lines.slice(0, 15).map((l) => l.t ?? 0);
    expect(first).toEqual([...first].sort((x, y) => x - y));
  }, 60_000);

  it('a worker cut off under requests: shown down, its task unreachable and rescheduled; no request fails; logs follow the new task; back ready', async () => {
    const before = await get();
    const lost = running(before).find((t) => t.serverId === ids.c);
    if (!lost) throw new Error(`no task on c: ${JSON.stringify(before.tasks)}`);
    const addr = (await a.exec(['docker', 'inspect', lost.id, '--format', '{{range .NetworksAttachments}}{{range .Addresses}}{{.}} {{end}}{{end}}'], { check: true })).stdout.trim().split(/[ /]/)[0] ?? '';
    expect(await askTask(addr)).toMatch(/^v1 /); // positive control: the probe reaches c's task while the link is up
    const tasksBefore = new Set(logs.containers.map((t) => t.id));
    const stop = await startRequests(b);
    let requests: { ok: number; failed: number; log: string } | null = null;
    try {
      await c.cutLink();
      // The fault happened: the manager marks c down, and c's task does not answer on the overlay any more.
      await waitFor(async () => ((await nodeOf(c)).status === 'down' ? true : null), 'c shown down in cluster.get', 40_000, 500);
      expect((await nodeOf(a)).status).toBe('ready');
      expect(await askTask(addr)).toBe('');
      const moved = await waitFor(async () => {
        const v = await get();
        const live = running(v);
        return live.length === 3 && live.every((t) => t.serverId !== ids.c) ? v : null;
      }, 'the lost task rescheduled on a and b', 60_000, 500);
      expect(new Set(running(moved).map((t) => t.serverId))).toEqual(new Set([ids.a, ids.b]));
      const old = moved.tasks.find((t) => t.id === lost.id);
      expect(old, 'the lost task is still listed').toBeDefined();
      expect(old?.desired).not.toBe('running');
      expect(old?.serverId).toBe(ids.c);
      expect(old?.nodeState).toBe('down'); // a task left on the cut node may still say running: its node says why not
      expect(moved.running).toBe(3);
      // The merged logs follow the replacement task: lines from a task that did not exist before, on a or b.
      const fresh = await waitFor(() => logs.lines.find((l) => !tasksBefore.has(l.task.id) && l.text.startsWith('tick ')) ?? null, 'lines of the replacement task', 30_000, 200);
      expect(['a', 'b']).toContain(fresh.task.node);
      expect(logs.ended).toBeNull();
      requests = await stop();
    } finally {
      await c.restoreLink();
      if (!requests) await stop().catch(() => undefined);
    }
    expect(requests.failed, requests.log).toBe(0);
    expect(requests.ok).toBeGreaterThan(20);
    await waitFor(async () => ((await nodeOf(c)).status === 'ready' ? true : null), 'c ready again', 40_000, 500);
    expect(logs.ended).toBeNull();
  }, 240_000);

  it('the manager lost: the merged logs say reconnecting, switch to another manager and go on with the living tasks', async () => {
    for (const s of [b, c]) await app.client.cluster.updateNode({ clusterId, nodeId: (await nodeOf(s)).id, role: 'manager' });
    // A promoted node is a manager once it has joined Raft: before that, losing a would lose the swarm's control.
    const managers = await waitFor(async () => {
      const nodes = (await app.client.cluster.get({ clusterId })).nodes.filter((n) => n.role === 'manager' && n.reachability === 'reachable');
      const control = await Promise.all([b, c].map(async (s) => (await s.exec(['docker', 'info', '--format', '{{.Swarm.ControlAvailable}}'])).stdout.trim() === 'true'));
      return nodes.length === 3 && control.every(Boolean) ? nodes : null;
    }, 'b and c reachable managers', 60_000, 500);
    expect(managers).toHaveLength(3);
    const statusesBefore = logs.statuses.length;
    await a.cutLink();
    try {
      const cutAt = Date.now();
      const back = await waitFor(() => {
        const since = logs.statuses.slice(statusesBefore);
        const r = since.findIndex((st) => st.state === 'reconnecting');
        return r >= 0 && since.slice(r + 1).some((st) => st.state === 'live') ? since : null;
      }, 'the stream to report reconnecting, then live', 60_000, 200).catch((e: unknown) => {
        throw new Error(`${String(e)}; statuses ${JSON.stringify(logs.statuses)}; ended ${String((logs.ended?.error as Error | undefined)?.message ?? logs.ended)}; lines ${logs.lines.length}, last ${JSON.stringify(logs.lines.at(-1))}`);
      });
      const reconnecting = back.find((st) => st.state === 'reconnecting');
      expect(reconnecting?.error).toBeTruthy();
      // Lines printed after the cut keep coming, through b or c, from the tasks on b and c.
      const after = await waitFor(() => {
        const nodes = new Set(logs.lines.filter((l) => (l.t ?? 0) > cutAt + 2_000 && l.text.startsWith('tick ')).map((l) => l.task.node));
        return nodes.has('b') && nodes.has('c') ? nodes : null;
      }, 'lines of the tasks on b and c after the cut', 60_000, 200);
      expect(after.has('a')).toBe(false);
      expect(logs.ended).toBeNull();
      // No line was delivered twice across the switch (the stream resumes a little before the newest line).
      const keys = logs.lines.map((l) => `${l.task.id} ${l.t} ${l.text}`);
      expect(keys.length - new Set(keys).size).toBe(0);
    } finally {
      await a.restoreLink();
    }
    logs.stop();
  }, 180_000);
});
