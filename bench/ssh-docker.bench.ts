/**
 * Issue 3 benchmarks, side by side in one run against the same test servers:
 * - per-call listContainers: OpenPanel's kept-alive tunnel vs `docker -H ssh://` (one CLI run per call),
 *   with no added latency and with 25 ms each way; ratios and round trips;
 * - connect → first Docker result, in round trips;
 * - fleet refresh of 10 servers × 30 containers: wall time, round trips, main-process RSS.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectDocker } from '../src/main/services/docker/client.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../tests/testbed/index.ts';
import { connectionTo, fmt, median, proxyProcess, proxyProcesses, table, type Proxy } from './lib.ts';

const run = promisify(execFile);
const DELAY = 25;
const RTT = 2 * DELAY;
const CALLS = Number(process.env.BENCH_CALLS ?? 30);
const CLI_CALLS = Number(process.env.BENCH_CLI_CALLS ?? 8);
const FLEET = Number(process.env.BENCH_FLEET ?? 10);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 30);


async function cliConfig(s: TestServer): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'openpanel-bench-home-'));
  await run('mkdir', ['-p', join(home, '.ssh')]);
  const config = join(home, '.ssh', 'config');
  writeFileSync(config, `Host *\n  IdentityFile ${s.users.root.privateKeyPath}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n`, { mode: 0o600 });
  // OpenSSH reads the passwd home, not $HOME: the docker CLI gets an ssh that uses this config.
  await run('mkdir', ['-p', join(home, 'bin')]);
  writeFileSync(join(home, 'bin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${config} "$@"\n`, { mode: 0o755 });
  return home;
}

async function timeCli(home: string, target: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < CLI_CALLS; i++) {
    const t = performance.now();
    await run('docker', ['-H', `ssh://root@${target}`, 'ps', '-a', '-q'], { env: { ...process.env, HOME: home, PATH: `${join(home, 'bin')}:${process.env.PATH}` } });
    times.push(performance.now() - t);
  }
  return times;
}

async function timeTunnel(s: TestServer, via?: Proxy): Promise<{ calls: number[]; firstResult: number; conn: ReturnType<typeof connectionTo> }> {
  const t0 = performance.now();
  const conn = connectionTo(s, via);
  await conn.ready();
  const docker = await connectDocker(conn);
  const firstResult = performance.now() - t0;
  const calls: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    await docker.api.listContainers({ all: true });
    calls.push(performance.now() - t);
  }
  docker.close();
  return { calls, firstResult, conn };
}

async function main() {
  const bed = await Testbed.create({ prefix: 'bench' });
  try {
    console.log(`Bringing up ${FLEET} test servers with ${CONTAINERS} containers each…`);
    const fleet = await bed.addServers(Array.from({ length: FLEET }, (_, i) => ({ name: `f${i}`, images: ['busybox' as const] })));
    await Promise.all(fleet.map((s) => s.sh(`for i in $(seq 1 ${CONTAINERS}); do docker create --name c$i ${BUSYBOX_TAG} sleep 1000 >/dev/null; done`, { check: true, timeoutMs: 600_000 })));
    const s = fleet[0]!;
    const home = await cliConfig(s);

    // 1. Per call, no added latency.
    const local = await timeTunnel(s);
    local.conn.close();
    const cliLocal = await timeCli(home, s.host);
    // 2. Per call, 25 ms each way (each side through its own delay proxy process).
    const proxy = await proxyProcess(s, DELAY);
    const slow = await timeTunnel(s, proxy);
    slow.conn.close();
    const cliSlow = await timeCli(home, `127.0.0.1:${proxy.port}`);
    proxy.close();

    const tl = median(local.calls);
    const cl = median(cliLocal);
    const ts = median(slow.calls);
    const cs = median(cliSlow);
    console.log('\nlistContainers per call (median)');
    console.log(
      table([
        ['added latency', 'OpenPanel tunnel', 'docker -H ssh://', 'speed-up', 'tunnel RTTs', 'CLI RTTs'],
        ['none', `${fmt(tl)} ms`, `${fmt(cl)} ms`, `${fmt(cl / tl, 0)}×`, '-', '-'],
        [`${DELAY} ms each way`, `${fmt(ts)} ms`, `${fmt(cs)} ms`, `${fmt(cs / ts, 0)}×`, fmt(ts / RTT), fmt(cs / RTT)],
      ]),
    );
    console.log(`\nconnect → first Docker result at ${RTT} ms RTT: ${fmt(slow.firstResult)} ms = ${fmt(slow.firstResult / RTT)} round trips (no latency: ${fmt(local.firstResult)} ms)`);

    // 3. Fleet refresh: warm connections to every server through delay proxies, one refresh = listContainers on all.
    const proxies = await proxyProcesses(fleet, DELAY);
    const rssBefore = process.memoryUsage.rss();
    const clients = await Promise.all(
      fleet.map(async (f, i) => {
        const conn = connectionTo(f, proxies[i]);
        await conn.ready();
        return { conn, docker: await connectDocker(conn) };
      }),
    );
    await Promise.all(clients.map((c) => c.docker.api.listContainers({ all: true })));
    const refreshes: number[] = [];
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      const lists = await Promise.all(clients.map((c) => c.docker.api.listContainers({ all: true })));
      refreshes.push(performance.now() - t);
      total = lists.reduce((n, l) => n + l.length, 0);
    }
    const rss = process.memoryUsage.rss();
    console.log(`\nfleet refresh: ${FLEET} servers × ${CONTAINERS} containers (${total} listed), ${RTT} ms RTT`);
    console.log(
      table([
        ['median wall', 'round trips', 'RSS', 'RSS added by the fleet'],
        [`${fmt(median(refreshes))} ms`, fmt(median(refreshes) / RTT), `${fmt(rss / 1048576, 0)} MB`, `${fmt((rss - rssBefore) / 1048576, 1)} MB`],
      ]),
    );
    for (const c of clients) {
      c.docker.close();
      c.conn.close();
    }
    proxies.forEach((p) => p.close());
    console.log('\ntargets: ≥ 100× faster than the CLI per call, ≤ 1.1 RTT per warm call, fleet refresh ≤ 1.5 RTT, first result ≤ 10 RTT');
  } finally {
    await bed.teardown();
  }
}

await main();
