/**
 * Deploying a git app to a 3-node cluster vs the alternatives, on three test servers (issue 14), side by side:
 * - cluster: clusterApps.deployFromGit (build once on n1, push to the private registry on n1 over TLS with auth,
 *   the Swarm service updated by digest) until 3 tasks of the new digest run on n1, n2, n3;
 * - build everywhere: `docker build` from the same repository on n1, n2 and n3 in parallel (nothing deployed);
 * - single server: apps.deploy of the same app on n1 (build, start, health check, proxy switch) until it succeeded.
 * Target: the 3-node deploy ≤ 1.3 × the single-server deploy. Each round changes the repository so no build is
 * served from cache. Runs the built CLI in web mode (npx electron-vite build first). Figures: median seconds.
 */
import { execFileSync } from 'node:child_process';
import { loadRegistryStandin, registryImageMapping } from '../tests/helpers/registry-standin.ts';
import { addServer } from '../tests/helpers/servers.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { followDeploy, GitRepo } from '../tests/integration/deploy-fixture.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../tests/testbed/index.ts';
import { fmt, median, table } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_CLUSTER_DEPLOY_ROUNDS ?? 2);
/** Rolling update batch: 1 (one task at a time, the default) or 3 (all at once, still start-first). */
const PARALLELISM = Number(process.env.BENCH_CLUSTER_DEPLOY_PARALLELISM ?? 3);
const DEADLINE_MS = 300_000;
// Some real build work (a CPU loop) and an 8 MB layer to ship; busybox httpd on 8080 answers the health check.
const DOCKERFILE = `FROM ${BUSYBOX_TAG}
COPY index.html /www/index.html
RUN i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; head -c 8388608 /dev/urandom > /blob
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
`;

async function until<T>(what: string, probe: () => Promise<T | null>): Promise<T> {
  const end = Date.now() + DEADLINE_MS;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out: ${what}`);
}

const bed = await Testbed.create({ prefix: 'bcdep' });
const repo = new GitRepo();
const web = await startWebProcess();
const app = await web.client();
const certDirs: string[] = [];
try {
  const servers = (await bed.addServers([1, 2, 3].map((i) => ({ name: `n${i}`, images: ['busybox' as const] })))) as [TestServer, TestServer, TestServer];
  const [n1] = servers;
  await loadRegistryStandin(n1);
  const builder = await n1.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder:latest' });
  const caddy = await n1.loadImage('debian', { packages: ['caddy'], tag: 'openpanel-test/caddy:latest' });
  const ids: string[] = [];
  for (const s of servers) ids.push((await addServer(app.client, s, { name: s.name })).id);
  const n1Id = ids[0]!;
  await app.client.proxy.updateSettings({ serverId: n1Id, settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...registryImageMapping(), 'docker:27-cli': builder, 'caddy:2': caddy } } } });
  const proxy = await app.client.proxy.install({ serverId: n1Id });
  if (!proxy.running) throw new Error('the proxy on n1 is not running');
  const cluster = await app.client.cluster.create({ name: 'bench', members: servers.map((_, i) => ({ serverId: ids[i]!, role: i === 0 ? ('manager' as const) : ('worker' as const) })), addrPool: '10.231.240.0/20' });
  const registry = await app.client.registry.createPrivate({ name: 'bench', serverId: n1Id, clusterId: cluster.id, port: 5443 });
  certDirs.push(`/etc/docker/certs.d/${registry.registry.host}`);
  repo.commit({ Dockerfile: DOCKERFILE, 'index.html': 'r0\n' }, 'r0');
  await repo.serve(bed);
  const single = await app.client.apps.create({ name: 'single', serverId: n1Id, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'single.test', tls: false }] });

  const clusterTimes: number[] = [];
  const everywhereTimes: number[] = [];
  const singleTimes: number[] = [];
  for (let i = 1; i <= ROUNDS + 1; i++) {
    repo.commit({ 'index.html': `r${i}c\n` }, `r${i}c`);
    let t0 = performance.now();
    const started = await app.client.clusterApps.deployFromGit({ clusterId: cluster.id, name: 'bench', replicas: 3, port: 8080, source: { kind: 'git', url: repo.url, ref: 'main' }, builderServerId: n1Id, registryId: registry.registry.id, update: { parallelism: PARALLELISM, delayS: 0, order: 'start-first', monitorS: 5, failureAction: 'rollback', maxFailureRatio: 0 } });
    const steps: Record<string, number> = {};
    const build = await until('the cluster deploy', async () => {
      const b = await app.client.clusterApps.build({ clusterId: cluster.id, name: 'bench', deployId: started.id });
      if (b.status === 'failed') throw new Error(`cluster deploy ${i} failed: ${b.error}`);
      steps[b.step] ??= (performance.now() - t0) / 1000;
      return b.status === 'succeeded' ? b : null;
    });
    await until('3 tasks of the new digest', async () => {
      const v = await app.client.clusterApps.get({ clusterId: cluster.id, name: 'bench' });
      const meant = v.tasks.filter((t) => t.desired === 'running');
      return meant.length === 3 && meant.every((t) => t.state === 'running' && t.image === build.image) ? v : null;
    });
    const viaCluster = (performance.now() - t0) / 1000;
    // A step shorter than the 200 ms poll is not seen: '-'.
    const at = (step: string) => (steps[step] === undefined ? '-' : fmt(steps[step], 1));

    repo.commit({ 'index.html': `r${i}b\n` }, `r${i}b`);
    t0 = performance.now();
    await Promise.all(servers.map((s) => s.exec(['docker', 'build', '-q', '-t', `local/bench:${i}`, `${repo.url}#main`], { check: true, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 600_000 })));
    const everywhere = (performance.now() - t0) / 1000;

    repo.commit({ 'index.html': `r${i}s\n` }, `r${i}s`);
    t0 = performance.now();
    const deploy = await app.client.apps.deploy({ id: single.id });
    const { deploy: done } = await followDeploy(app.client, deploy.id, DEADLINE_MS);
    if (done.status !== 'succeeded') throw new Error(`single-server deploy ${i} ${done.status}: ${done.error}`);
    const oneServer = (performance.now() - t0) / 1000;
    console.log(`round ${i}${i === 1 ? ' (warm-up, not counted)' : ''}: cluster ${fmt(viaCluster, 1)} s (push from ${at('push')}, update from ${at('update')}, done ${at('done')}), build everywhere ${fmt(everywhere, 1)} s, single server ${fmt(oneServer, 1)} s`);
    if (i === 1) continue; // warms the builder image, the base layers and the nodes' first pull
    clusterTimes.push(viaCluster);
    everywhereTimes.push(everywhere);
    singleTimes.push(oneServer);
  }
  const c = median(clusterTimes);
  const e = median(everywhereTimes);
  const s = median(singleTimes);
  console.log(table([
    [`median of ${ROUNDS}, rolling update parallelism ${PARALLELISM}`, 'seconds', 'runs'],
    ['cluster: build once on n1, push, 3 tasks by digest on n1..n3', fmt(c), clusterTimes.map((x) => fmt(x, 1)).join(' ')],
    ['docker build on n1, n2, n3 in parallel (no deploy)', fmt(e), everywhereTimes.map((x) => fmt(x, 1)).join(' ')],
    ['single-server deploy on n1', fmt(s), singleTimes.map((x) => fmt(x, 1)).join(' ')],
    ['ratio cluster / single server (target ≤ 1.3)', fmt(c / s), ''],
    ['ratio build everywhere / cluster', fmt(e / c), ''],
  ]));
} finally {
  app.close();
  await web.stop();
  for (const dir of certDirs) execFileSync('rm', ['-rf', dir]);
  repo.close();
  await bed.teardown();
}
