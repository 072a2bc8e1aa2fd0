/**
 * Issue 15 part 2, a fleet of 50 test servers, side by side in one run (25 ms each way = 50 ms RTT):
 * - connect → first Docker result of one server, in round trips (median of 5);
 * - every server from a cold start (connect → first Docker result on all): the pool's bounded connects vs unbounded
 *   vs one at a time; and 20 logins to one sshd, bounded vs unbounded (sshd's MaxStartups drops the excess);
 * - fleet refresh (listContainers on every server over the warm pool), in round trips;
 * - the built web process (`openpanel web`) with the 50 servers added and sampled every 2 s: `containers.list`
 *   across the fleet, its RSS, and the dashboard in Chromium (long tasks while 50 servers stream metrics).
 * Env: BENCH_FLEET (50), BENCH_CONTAINERS (10 per server, BENCH_RUNNING of them running: 2), BENCH_WATCH_SEC (30).
 * Needs the built app (npx electron-vite build) and the test keyring (scripts/with-keyring.sh), like `npm run bench`.
 */
import { request } from 'node:http';
import type { Agent } from 'node:http';
import { connectDocker, type DockerClient } from '../src/main/services/docker/client.ts';
import { AppError } from '../src/main/services/core/errors.ts';
import { DEFAULT_CONNECT_LIMITS, type ConnectLimits } from '../src/main/services/ssh/connect-gate.ts';
import type { HostKeyVerifier } from '../src/main/services/ssh/connection.ts';
import { ConnectionPool } from '../src/main/services/ssh/pool.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../tests/testbed/index.ts';
import { cpuSeconds, dashboardRun, load } from './fleet-dashboard.ts';
import { connectionTo, fmt, median, proxyProcesses, table, type Proxy } from './lib.ts';

const DELAY = 25;
const RTT = 2 * DELAY;
const FLEET = Number(process.env.BENCH_FLEET ?? 50);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 10);
const RUNNING = Number(process.env.BENCH_RUNNING ?? 2);
const SAME_SSHD = 20;

const rtts = (ms: number) => fmt(ms / RTT);
const mb = (bytes: number) => `${fmt(bytes / 1048576, 0)} MB`;

/** Host keys checked against each test server's real key (looked up by the proxy port the pool dials). */
function verifier(byPort: Map<number, TestServer>): HostKeyVerifier {
  return {
    preferredAlgorithms: () => ['ssh-ed25519'],
    verify: async (endpoint, key) =>
      key.fingerprint === byPort.get(endpoint.port)?.hostKeyFingerprint ? { ok: true } : { ok: false, error: new AppError('HOST_KEY_CHANGED', `unexpected host key on ${endpoint.port}`) },
  };
}

function poolFor(targets: { server: TestServer; proxy: Proxy }[], limits?: ConnectLimits): ConnectionPool {
  const byPort = new Map(targets.map((t) => [t.proxy.port, t.server]));
  return new ConnectionPool({
    hostKeys: verifier(byPort),
    ...(limits ? { connectLimits: limits } : {}),
    describe: async (id) => {
      const t = targets[Number(id)]!;
      return { label: `root@${t.server.name}#${id}`, endpoint: { host: t.proxy.host, port: t.proxy.port, username: 'root' }, jumpServerId: null, resolveAuth: async () => ({ privateKey: t.server.users.root.privateKey }) };
    },
  });
}

/** Connect → first Docker result on every target at once; the time until the last one answered, and failures. */
async function coldConnect(targets: { server: TestServer; proxy: Proxy }[], limits?: ConnectLimits): Promise<{ ms: number; failed: number; peak: number }> {
  const pool = poolFor(targets, limits);
  const t0 = performance.now();
  let failed = 0;
  await Promise.all(
    targets.map(async (_t, i) => {
      try {
        const docker = await connectDocker(await pool.acquire(String(i)));
        docker.close();
      } catch {
        failed++;
      }
    }),
  );
  const ms = performance.now() - t0;
  const peak = Math.max(0, ...pool.gate.peak.perServer.values());
  pool.closeAll();
  return { ms, failed, peak };
}

async function firstResult(s: TestServer, proxy: Proxy): Promise<number> {
  const t0 = performance.now();
  const conn = connectionTo(s, proxy);
  await conn.ready();
  const docker = await connectDocker(conn);
  const ms = performance.now() - t0;
  docker.close();
  conn.close();
  return ms;
}

/** GET /containers/json?all=1 written directly on the client's kept-alive agent: what dockerode adds is the difference. */
function leanList(agent: Agent): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: 'docker', path: '/containers/json?all=1' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown[]));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

const bed = await Testbed.create({ prefix: 'bfleet' });
try {
  console.log(`Bringing up ${FLEET} test servers in parallel, ${CONTAINERS} containers each (${RUNNING} running)…`);
  const t0 = performance.now();
  const fleet = await bed.addServers(Array.from({ length: FLEET }, (_, i) => ({ name: `f${i}`, images: ['busybox' as const] })));
  await inBatches(fleet, 10, (s) =>
    s.sh(
      `for i in $(seq 1 ${CONTAINERS - RUNNING}); do docker create --name c$i ${BUSYBOX_TAG} sleep 1000 >/dev/null; done; ` +
        `for i in $(seq 1 ${RUNNING}); do docker run -d --name r$i ${BUSYBOX_TAG} sleep 100000 >/dev/null; done`,
      { check: true, timeoutMs: 600_000 },
    ),
  );
  console.log(`up in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  const proxies = await proxyProcesses(fleet, DELAY);
  const targets = fleet.map((server, i) => ({ server, proxy: proxies[i]! }));

  // 1. One server: connect → first Docker result (the first run warms the code up).
  await firstResult(fleet[0]!, proxies[0]!);
  const singles: number[] = [];
  for (let i = 1; i <= 5; i++) singles.push(await firstResult(fleet[i % FLEET]!, proxies[i % FLEET]!));
  console.log(`\n${load()}\nconnect → first Docker result at ${RTT} ms RTT: median ${fmt(median(singles))} ms = ${rtts(median(singles))} RTT (min ${rtts(Math.min(...singles))}, max ${rtts(Math.max(...singles))})`);
  // At 200 ms RTT the CPU time of a loaded machine weighs a quarter as much against the round trips.
  const [slow] = await proxyProcesses([fleet[0]!], 4 * DELAY);
  const slowRuns: number[] = [];
  for (let i = 0; i < 3; i++) slowRuns.push(await firstResult(fleet[0]!, slow!));
  slow!.close();
  console.log(`same at ${4 * RTT} ms RTT: median ${fmt(median(slowRuns) / (4 * RTT))} RTT (min ${fmt(Math.min(...slowRuns) / (4 * RTT))})`);

  // 2. Cold start of the whole fleet, then 20 logins onto one sshd.
  // Best of three, alternating, so that neither side gets the warmer machine.
  type Cold = Awaited<ReturnType<typeof coldConnect>>;
  const best = async (a: () => Promise<Cold>, b: () => Promise<Cold>): Promise<[Cold, Cold]> => {
    const runs: [Cold[], Cold[]] = [[], []];
    for (let round = 0; round < 3; round++) {
      runs[0].push(await a());
      runs[1].push(await b());
    }
    const fastest = (r: Cold[]) => r.reduce((x, y) => (y.ms < x.ms ? y : x));
    return [fastest(runs[0]), fastest(runs[1])];
  };
  const unlimited = { perServer: Infinity, total: Infinity };
  const [bounded, unbounded] = await best(() => coldConnect(targets), () => coldConnect(targets, unlimited));
  const sequential = await coldConnect(targets, { perServer: 1, total: 1 });
  const one = Array.from({ length: SAME_SSHD }, () => targets[0]!);
  const [sameBounded, sameUnbounded] = await best(() => coldConnect(one), () => coldConnect(one, unlimited));
  console.log(`\ncold start: connect → first Docker result on every server, ${RTT} ms RTT (best of 3; one at a time: 1 run); ${load()}`);
  console.log(
    table([
      ['', `OpenPanel (${DEFAULT_CONNECT_LIMITS.perServer} per sshd, ${DEFAULT_CONNECT_LIMITS.total} in all)`, 'unbounded', 'one at a time'],
      [`${FLEET} servers: all answered after`, `${fmt(bounded.ms, 0)} ms`, `${fmt(unbounded.ms, 0)} ms`, `${fmt(sequential.ms, 0)} ms`],
      ['  failed', bounded.failed, unbounded.failed, sequential.failed],
      [`${SAME_SSHD} logins to one sshd: after`, `${fmt(sameBounded.ms, 0)} ms`, `${fmt(sameUnbounded.ms, 0)} ms`, '-'],
      ['  failed (sshd MaxStartups 10:30:100)', sameBounded.failed, sameUnbounded.failed, '-'],
      ['  most handshakes at once to it', sameBounded.peak, sameUnbounded.peak, '-'],
    ]),
  );

  // 3. Fleet refresh over the warm pool, for part of the fleet and all of it (this process's CPU per refresh beside it):
  // dockerode as the app calls it, and the same request written directly on the same kept-alive agent.
  const pool = poolFor(targets);
  const rssBefore = process.memoryUsage.rss();
  const dockers = await Promise.all(targets.map(async (_t, i) => connectDocker(await pool.acquire(String(i)))));
  await Promise.all(dockers.map((d) => d.api.listContainers({ all: true })));
  const rows: string[][] = [['servers', 'containers', 'client', 'median wall', 'round trips', 'client CPU per refresh', 'their dockerd CPU per refresh']];
  const dockerdCpu = (servers: TestServer[]) => servers.reduce((n, f) => n + cpuSeconds(f.dockerdPid), 0);
  const clients: [string, (d: DockerClient) => Promise<unknown[]>][] = [
    ['dockerode', (d) => d.api.listContainers({ all: true })],
    ['direct request', (d) => leanList(d.agent)],
  ];
  for (const n of [...new Set([10, 25, FLEET].filter((x) => x <= FLEET))]) {
    for (const [name, list] of clients) {
      const refreshes: number[] = [];
      let listed = 0;
      const cpu = process.cpuUsage();
      const engines = dockerdCpu(fleet.slice(0, n));
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        const lists = await Promise.all(dockers.slice(0, n).map(list));
        refreshes.push(performance.now() - t);
        listed = lists.reduce((sum, l) => sum + l.length, 0);
      }
      const used = process.cpuUsage(cpu);
      const engineMs = ((dockerdCpu(fleet.slice(0, n)) - engines) * 1000) / 10;
      rows.push([String(n), String(listed), name, `${fmt(median(refreshes))} ms`, rtts(median(refreshes)), `${fmt((used.user + used.system) / 1000 / 10, 1)} ms`, `${fmt(engineMs, 0)} ms`]);
    }
  }
  console.log(`\nfleet refresh over the pool (listContainers on every server at once), ${RTT} ms RTT; ${load()}`);
  console.log(table(rows));
  console.log(`this process: ${mb(process.memoryUsage.rss())} RSS (+${mb(process.memoryUsage.rss() - rssBefore)} for ${FLEET} connections and Docker clients)`);
  dockers.forEach((d) => d.close());
  pool.closeAll();

  // 4. The product: the built web process with the fleet, its API, its RSS, the dashboard in Chromium.
  await dashboardRun(targets, { rtt: RTT, watchSec: Number(process.env.BENCH_WATCH_SEC ?? 30) });
  proxies[0]!.close();
  console.log('\ntargets: first result ≤ 7 RTT; all 50 connected from cold ≤ 3 s; fleet refresh ≤ 1.5 RTT; main-process RSS ≤ 200 MB; no long task > 100 ms');
} finally {
  await bed.teardown();
}
