/**
 * Cluster figures (issue 14) on a 3-node Swarm of test servers, each side by side with its alternative in this run.
 * Every SSH connection, the app's and OpenSSH's, goes through the bed's delay proxies (25 ms each way = 50 ms RTT).
 * 1. Scale 1 → 10: clusterApps.scale (Engine API over the SSH tunnel) vs `ssh <manager> docker service scale`
 *    (a new connection per command; the CLI waits for convergence and then checks the tasks stay up). Time to 10
 *    running tasks as the manager's own socket shows them (no latency), the call's own time, and when the app's view
 *    (clusterApps.get) first showed 10.
 * 2. Node failure: a worker's link is cut; time until its node is down and until the service runs all its replicas
 *    on the living nodes, as the app's views show it vs `docker node ls` / `docker service ps` in a loop over one ssh
 *    session on the manager vs the manager's socket.
 * 3. Deploy to 3 nodes: clusterApps.deployFromGit (build once on the manager, push to the private registry, the
 *    service updated by digest; the product's default rolling update, one task at a time, start-first) vs
 *    `docker build` on each node over ssh + clusterApps.deploy of that tag vs a single-server deploy of the same git
 *    repository (apps.deploy: builder, proxy switch). Each round changes the repository (no cached build).
 * Runs the built CLI in web mode (npx electron-vite build first). BENCH_CLUSTER_ROUNDS (default 2) and BENCH_CLUSTER_DEPLOYS (default 3) set the rounds.
 */
import { execFileSync } from 'node:child_process';
import type { ClusterAppView } from '../src/shared/contract/index.ts';
import { loadRegistryStandin, registryImageMapping } from '../tests/helpers/registry-standin.ts';
import { authFor } from '../tests/helpers/servers.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { followDeploy, GitRepo, loadShipImages, setupProxy } from '../tests/integration/deploy-fixture.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../tests/testbed/index.ts';
import { busyShare, cpuTimes, desiredTasks, engineGet, load, median, secs, SshCli, until } from './cluster-lib.ts';
import { proxyProcesses, table } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 2);
const DEPLOY_ROUNDS = Number(process.env.BENCH_CLUSTER_DEPLOYS ?? 3);
const DELAY = 25;
const POOL = '10.231.240.0/20';
const WEB = 'openpanel-test/bench-web:1';
const SERVE = `CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]`;
// The deployed app: some build work (a CPU loop) and an 8 MB layer to ship, served by busybox httpd.
const DOCKERFILE = `FROM ${BUSYBOX_TAG}
COPY index.html /www/index.html
RUN i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; head -c 8388608 /dev/urandom > /blob
${SERVE}
`;

const started = performance.now();
const bed = await Testbed.create({ prefix: 'bclus' });
const repo = new GitRepo();
const web = await startWebProcess();
const app = await web.client();
const api = app.client;
const certDirs: string[] = [];
let cli: SshCli | null = null;
let closeProxies = () => {};
try {
  const servers = (await bed.addServers([1, 2, 3].map((i) => ({ name: `s${i}`, images: ['busybox' as const] })))) as [TestServer, TestServer, TestServer];
  const [s1, , s3] = servers;
  const proxies = await proxyProcesses(servers, DELAY);
  closeProxies = () => proxies[0]?.close();
  cli = new SshCli(servers, proxies);
  const ssh = cli;
  // Images load while the servers are added and form the swarm (which needs no image).
  const imagesReady = Promise.all([
    loadShipImages(s1),
    loadRegistryStandin(s1),
    ...servers.map((s) => s.exec(['docker', 'build', '-q', '-t', WEB, '-'], { input: `FROM ${BUSYBOX_TAG}\nRUN mkdir /www && echo ok > /www/index.html\n${SERVE}\n`, env: { DOCKER_BUILDKIT: '0' }, check: true })),
  ]);
  const ids: string[] = [];
  const formed = (async () => {
    for (const [i, s] of servers.entries()) {
      const { username, auth } = authFor(s, 'root');
      const created = await api.servers.create({ name: s.name, host: proxies[i]!.host, port: proxies[i]!.port, username, auth, jumpServerId: null });
      await api.servers.trustHostKey({ id: created.id, keyType: 'ssh-ed25519', fingerprint: s.hostKeyFingerprint, replace: false });
      ids.push(created.id);
    }
    return api.cluster.create({
      name: 'bench',
      members: servers.map((s, i) => ({ serverId: ids[i]!, role: i === 0 ? ('manager' as const) : ('worker' as const), advertiseAddr: s.host })),
      addrPool: POOL,
    });
  })();
  const [[images], cluster] = await Promise.all([imagesReady, formed]);
  await setupProxy(api, ids[0]!, { ...images, ...registryImageMapping() });
  const clusterId = cluster.id;
  console.log(`setup: 3-node swarm, registry, proxy in ${secs(performance.now() - started)} s; load average ${load()}`);

  const get = (name: string) => api.clusterApps.get({ clusterId, name });
  const live = (v: ClusterAppView, image = v.image) => v.tasks.filter((t) => t.state === 'running' && t.desired === 'running' && t.image === image);
  /** The app's view until `n` tasks of its image run and nothing else is meant to run. */
  const settled = (name: string, n: number, timeoutMs = 90_000) =>
    until(async () => {
      const v = await get(name);
      return live(v).length === n && v.tasks.filter((t) => t.desired === 'running').length === n ? v : null;
    }, `${n} running tasks of ${name}`, timeoutMs, 100);
  /** The manager's own count of running tasks meant to run, polled on its socket every 50 ms. */
  const truthRunning = async (service: string) => (await desiredTasks(s1, service)).filter((t) => t.Status?.State === 'running').length;

  // ---- 1. Scale 1 → 10 ----
  await api.clusterApps.deploy({ clusterId, name: 'scale', image: WEB, replicas: 1, port: 8080 });
  await settled('scale', 1);
  const scale = { appTruth: [] as number[], appCall: [] as number[], appSeen: [] as number[], cliTruth: [] as number[], cliCall: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const path of r % 2 === 0 ? ['app', 'cli'] : ['cli', 'app']) {
      const t0 = performance.now();
      const truth = until(async () => ((await truthRunning('op-scale')) === 10 ? performance.now() - t0 : null), '10 running tasks (socket)', 90_000, 50);
      if (path === 'app') {
        await api.clusterApps.scale({ clusterId, name: 'scale', replicas: 10 });
        scale.appCall.push(performance.now() - t0);
        await settled('scale', 10);
        scale.appSeen.push(performance.now() - t0);
        scale.appTruth.push(await truth);
      } else {
        const res = await ssh.run(0, ['docker', 'service', 'scale', 'op-scale=10']);
        scale.cliCall.push(res.ms);
        scale.cliTruth.push(await truth);
      }
      await api.clusterApps.scale({ clusterId, name: 'scale', replicas: 1 });
      await until(async () => ((await truthRunning('op-scale')) === 1 ? true : null), '1 running task (socket)', 60_000, 100);
    }
  }
  const m = (xs: number[]) => secs(median(xs));
  const runs = (xs: number[]) => xs.map((x) => secs(x)).join(' ');
  console.log(`\n1. scale 1 → 10 (median of ${ROUNDS}; load average ${load()}; ${secs(performance.now() - started)} s in)`);
  console.log(table([
    ['', 'to 10 running (socket), s', 'call returns, s', 'app view shows 10, s', 'runs (to 10 running)'],
    ['clusterApps.scale (Engine API over SSH)', m(scale.appTruth), m(scale.appCall), m(scale.appSeen), runs(scale.appTruth)],
    ['ssh manager docker service scale', m(scale.cliTruth), m(scale.cliCall), '', runs(scale.cliTruth)],
    ['ratio CLI / app (to 10 running; call)', (median(scale.cliTruth) / median(scale.appTruth)).toFixed(2), (median(scale.cliCall) / median(scale.appCall)).toFixed(2), '', ''],
  ]));

  // ---- 2. Node failure → tasks running elsewhere ----
  await api.clusterApps.scale({ clusterId, name: 'scale', replicas: 6 });
  const before = await settled('scale', 6);
  const victimNode = cluster.nodes.find((n) => n.serverId === ids[2])!;
  const onVictim = live(before).filter((t) => t.nodeId === victimNode.id).length;
  if (onVictim === 0) throw new Error(`no task of op-scale on ${s3.name}: nothing to reschedule`);
  const seen: Record<'socket' | 'app' | 'cli', { down?: number; moved?: number }> = { socket: {}, app: {}, cli: {} };
  const done = () => Object.values(seen).every((x) => x.down !== undefined && x.moved !== undefined);
  const LOOP = [
    'i=0; end=$(( $(date +%s) + 90 ))',
    'while [ $i -lt 900 ] && [ $(date +%s) -lt $end ]; do',
    '  echo "N $(docker node ls --format "{{.Hostname}}={{.Status}}" | tr "\\n" ";")"',
    '  echo "T $(docker service ps op-scale --filter desired-state=running --format "{{.Node}}={{.CurrentState}}" | tr "\\n" ";")"',
    '  sleep 0.1; i=$((i+1))',
    'done',
  ].join('\n');
  let t0 = 0;
  let downCallAsked = 0;
  const cliLoop = ssh.stream(0, ['sh', '-c', LOOP], (line, at) => {
    if (!t0) return;
    const words = line.slice(2).split(';').map((w) => w.trim()).filter(Boolean);
    if (line.startsWith('N ') && seen.cli.down === undefined && words.includes(`${s3.name}=Down`)) seen.cli.down = at - t0;
    const running = words.filter((w) => w.includes('=Running'));
    if (line.startsWith('T ') && seen.cli.moved === undefined && words.length === 6 && running.length === 6 && running.every((w) => !w.startsWith(`${s3.name}=`))) seen.cli.moved = at - t0;
  });
  await new Promise((r) => setTimeout(r, 2000)); // the loop's ssh connection is up and printing before the cut
  t0 = performance.now();
  await s3.cutLink();
  const deadline = t0 + 90_000;
  const watch = async (fn: () => Promise<void>) => {
    while (!done() && performance.now() < deadline) {
      await fn().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await Promise.all([
    watch(async () => {
      const nodes = await engineGet<{ ID: string; Status: { State: string } }[]>(s1, '/nodes');
      if (seen.socket.down === undefined && nodes.find((n) => n.ID === victimNode.id)?.Status.State === 'down') seen.socket.down = performance.now() - t0;
      const tasks = await desiredTasks(s1, 'op-scale');
      const ok = tasks.filter((t) => t.Status?.State === 'running' && t.NodeID !== victimNode.id);
      if (seen.socket.moved === undefined && tasks.length === 6 && ok.length === 6) seen.socket.moved = performance.now() - t0;
    }),
    watch(async () => {
      const asked = performance.now() - t0;
      const v = await api.cluster.get({ clusterId });
      if (seen.app.down === undefined && v.nodes.find((n) => n.id === victimNode.id)?.status === 'down') {
        seen.app.down = performance.now() - t0;
        downCallAsked = asked;
      }
    }),
    watch(async () => {
      const v = await get('scale');
      const meant = v.tasks.filter((t) => t.desired === 'running');
      if (seen.app.moved === undefined && meant.length === 6 && live(v).filter((t) => t.nodeId !== victimNode.id).length === 6) seen.app.moved = performance.now() - t0;
    }),
  ]);
  cliLoop.stop();
  await s3.restoreLink();
  if (!done()) throw new Error(`node failure not seen by every observer within 90 s: ${JSON.stringify(seen)}`);
  // The fault happened: the manager itself marked the node down (seen.socket.down); it comes back once restored.
  await until(async () => ((await api.cluster.get({ clusterId })).nodes.find((n) => n.id === victimNode.id)?.status === 'ready' ? true : null), `${s3.name} ready again`, 60_000, 500);
  const f = (x?: number) => (x === undefined ? '' : secs(x));
  console.log(`\n2. ${s3.name}'s link cut (${onVictim} of 6 tasks on it; load average ${load()}; ${secs(performance.now() - started)} s in)`);
  console.log(table([
    ['seen by', 'node down, s', '6 running on the living nodes, s'],
    ['manager socket (no latency)', f(seen.socket.down), f(seen.socket.moved)],
    ['app (cluster.get / clusterApps.get)', f(seen.app.down), f(seen.app.moved)],
    ['ssh manager docker node ls / service ps, one session', f(seen.cli.down), f(seen.cli.moved)],
    ['app − CLI, s', f(seen.app.down! - seen.cli.down!), f(seen.app.moved! - seen.cli.moved!)],
  ]));
  console.log(`the cluster.get that first showed the node down was asked at ${secs(downCallAsked)} s and answered at ${f(seen.app.down)} s`);

  // ---- 3. Deploy to 3 nodes ----
  await api.clusterApps.remove({ clusterId, name: 'scale' });
  repo.commit({ Dockerfile: DOCKERFILE, 'index.html': 'r0\n' }, 'r0');
  await repo.serve(bed);
  // Both cluster paths update a running 3-replica service (a rolling update), as every deploy after the first does.
  const [registry] = await Promise.all([
    api.registry.createPrivate({ name: 'bench', serverId: ids[0]!, clusterId, address: s1.host, port: 5443 }),
    ...['shipped', 'local'].map((name) => api.clusterApps.deploy({ clusterId, name, image: WEB, replicas: 3, port: 8080 }).then(() => settled(name, 3))),
  ]);
  certDirs.push(`/etc/docker/certs.d/${registry.registry.host}`);
  const single = await api.apps.create({ name: 'single', serverId: ids[0]!, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'single.test', tls: false }] });
  type Phases = Record<string, number>;
  const paths: Record<'shipped' | 'local' | 'single', { total: number[]; phases: Phases[]; busy: number[] }> = {
    shipped: { total: [], phases: [], busy: [] },
    local: { total: [], phases: [], busy: [] },
    single: { total: [], phases: [], busy: [] },
  };
  /** Runs one path, timing its phases (each `mark` ends one) and the machine's CPU busy share over it. */
  const timed = async (path: keyof typeof paths, keep: boolean, fn: (mark: (phase: string) => void, note: (phase: string, ms: number) => void) => Promise<void>) => {
    const phases: Phases = {};
    const cpu = cpuTimes();
    const t = performance.now();
    let last = t;
    await fn(
      (phase) => {
        const now = performance.now();
        phases[phase] = now - last;
        last = now;
      },
      (phase, ms) => (phases[phase] = ms),
    );
    if (!keep) return;
    paths[path].total.push(performance.now() - t);
    paths[path].phases.push(phases);
    paths[path].busy.push(busyShare(cpu, cpuTimes()));
  };
  for (let i = 1; i <= DEPLOY_ROUNDS + 1; i++) {
    const keep = i > 1; // the first round warms the builder on s1 and creates the single-server app's container
    repo.commit({ 'index.html': `r${i}a\n` }, `r${i}a`);
    await timed('shipped', keep, async (mark) => {
      const started = await api.clusterApps.deployFromGit({ clusterId, name: 'shipped', replicas: 3, port: 8080, source: { kind: 'git', url: repo.url, ref: 'main' }, builderServerId: ids[0]!, registryId: registry.registry.id });
      let step = 'build';
      const built = await until(async () => {
        const b = await api.clusterApps.build({ clusterId, name: 'shipped', deployId: started.id });
        if (b.step !== step) mark(`${step} step`);
        step = b.step;
        return b.status === 'running' ? null : b;
      }, `deployFromGit ${i}`, 180_000, 100);
      if (built.status === 'failed') throw new Error(`deployFromGit ${i} failed: ${built.error}`);
      if (step !== 'done') mark(`${step} step`);
      await settled('shipped', 3);
      if (live(await get('shipped'), built.image ?? '').length !== 3) throw new Error(`shipped: not running ${built.image}`);
      mark('until 3 running');
    });
    if (keep) repo.commit({ 'index.html': `r${i}b\n` }, `r${i}b`);
    if (keep) await timed('local', keep, async (mark) => {
      await Promise.all(servers.map((_, n) => ssh.run(n, ['env', 'DOCKER_BUILDKIT=0', 'docker', 'build', '-q', '-t', `local/bench:${i}`, `${repo.url}#main`], 600_000)));
      mark('docker build ×3 in parallel');
      await api.clusterApps.deploy({ clusterId, name: 'local', image: `local/bench:${i}`, replicas: 3, port: 8080 });
      await settled('local', 3);
      mark('rolling update to 3 running');
    });
    repo.commit({ 'index.html': `r${i}c\n` }, `r${i}c`);
    await timed('single', keep, async (mark, note) => {
      const job = await api.apps.deploy({ id: single.id });
      const { deploy: d } = await followDeploy(api, job.id, 120_000);
      if (d.status !== 'succeeded') throw new Error(`single-server deploy ${i} ${d.status}: ${d.error}`);
      mark('deploy job');
      note('of which build', (d.buildSeconds ?? 0) * 1000);
    });
  }
  const phaseText = (p: (typeof paths)['shipped']) => {
    const names = [...new Set(p.phases.flatMap((x) => Object.keys(x)))];
    return names.map((n) => `${n} ${secs(median(p.phases.map((x) => x[n] ?? 0).filter((x) => x > 0)))}`).join(', ');
  };
  const pct = (xs: number[]) => `${(median(xs) * 100).toFixed(0)} %`;
  console.log(`\n3. deploy to 3 nodes (median of ${DEPLOY_ROUNDS}, after a warm-up round; load average ${load()}; ${secs(performance.now() - started)} s in)`);
  console.log(table([
    ['', 'deploy, s', 'runs, s', 'machine CPU busy', 'phases (median, s)'],
    ['3 nodes: clusterApps.deployFromGit (build once, push, update by digest)', m(paths.shipped.total), runs(paths.shipped.total), pct(paths.shipped.busy), phaseText(paths.shipped)],
    ['3 nodes: docker build on each node over ssh + clusterApps.deploy', m(paths.local.total), runs(paths.local.total), pct(paths.local.busy), phaseText(paths.local)],
    ['1 server: apps.deploy of the same repository', m(paths.single.total), runs(paths.single.total), pct(paths.single.busy), phaseText(paths.single)],
    ['ratio 3 nodes (registry) / 1 server (target ≤ 1.3)', (median(paths.shipped.total) / median(paths.single.total)).toFixed(2), '', '', ''],
    ['ratio build everywhere / build once', (median(paths.local.total) / median(paths.shipped.total)).toFixed(2), '', '', ''],
  ]));
  console.log(`\ntotal ${secs(performance.now() - started)} s`);
} finally {
  app.close();
  await web.stop();
  closeProxies();
  cli?.close();
  for (const dir of certDirs) execFileSync('rm', ['-rf', dir]);
  repo.close();
  await bed.teardown();
}
