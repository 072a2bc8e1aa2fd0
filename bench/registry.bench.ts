/**
 * Build once and ship vs build everywhere, on three test servers (issue 14):
 * - registry path: registry.buildAndPush on s1 (git through the builder, push to the private registry over TLS
 *   with auth) then registry.pull by digest on s2 and s3 in parallel;
 * - alternative: `docker build` from the same git repository on each of the three servers, in parallel.
 * Runs the built CLI in web mode (npx electron-vite build first). Each round changes the repository so no build is served from cache. Figures: median seconds and the ratio.
 */
import { execFileSync } from 'node:child_process';
import { loadRegistryStandin, registryImageMapping } from '../tests/helpers/registry-standin.ts';
import { addServer } from '../tests/helpers/servers.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { GitRepo } from '../tests/integration/deploy-fixture.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../tests/testbed/index.ts';
import { fmt, median, table } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_REGISTRY_ROUNDS ?? 3);
// Some real build work (a CPU loop) and a 16 MB layer to ship.
const DOCKERFILE = `FROM ${BUSYBOX_TAG}
COPY rev /rev
RUN i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; head -c 16777216 /dev/urandom > /blob
CMD ["cat", "/rev"]
`;

const bed = await Testbed.create({ prefix: 'breg' });
const repo = new GitRepo();
const web = await startWebProcess();
const app = await web.client();
const certDirs: string[] = [];
try {
  const servers = (await bed.addServers([1, 2, 3].map((i) => ({ name: `s${i}`, images: ['busybox' as const] })))) as [TestServer, TestServer, TestServer];
  const [s1] = servers;
  await loadRegistryStandin(s1);
  const builder = await s1.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder:latest' });
  const ids = [];
  for (const s of servers) ids.push((await addServer(app.client, s, { name: s.name })).id);
  await app.client.proxy.updateSettings({ serverId: ids[0]!, settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...registryImageMapping(), 'docker:27-cli': builder } } } });
  repo.commit({ Dockerfile: DOCKERFILE, rev: 'r0\n' }, 'r0');
  await repo.serve(bed);
  const registry = await app.client.registry.createPrivate({ name: 'bench', serverId: ids[0]!, trust: ids.slice(1), port: 5443 });
  certDirs.push(`/etc/docker/certs.d/${registry.registry.host}`);

  const viaRegistry: number[] = [];
  const everywhere: number[] = [];
  for (let i = 1; i <= ROUNDS + 1; i++) {
    repo.commit({ rev: `r${i}a\n` }, `r${i}a`);
    let t0 = performance.now();
    const pushed = await app.client.registry.buildAndPush({ registryId: registry.registry.id, buildServerId: ids[0]!, app: 'bench', deployId: `d-${i}`, source: { kind: 'git', url: repo.url, ref: 'main' } });
    await Promise.all(ids.slice(1).map((serverId) => app.client.registry.pull({ registryId: registry.registry.id, serverId, app: 'bench', digest: pushed.digest })));
    const shipped = (performance.now() - t0) / 1000;
    repo.commit({ rev: `r${i}b\n` }, `r${i}b`);
    t0 = performance.now();
    await Promise.all(servers.map((s) => s.exec(['docker', 'build', '-q', '-t', `local/bench:${i}`, `${repo.url}#main`], { check: true, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 600_000 })));
    const built = (performance.now() - t0) / 1000;
    if (i === 1) continue; // warms the builder image and the base layers
    viaRegistry.push(shipped);
    everywhere.push(built);
  }
  const a = median(viaRegistry);
  const b = median(everywhere);
  console.log(table([
    ['3 nodes, median of ' + ROUNDS, 'seconds', 'runs'],
    ['build once on s1 + push + pull by digest on s2, s3', fmt(a), viaRegistry.map((x) => fmt(x, 1)).join(' ')],
    ['docker build on s1, s2, s3 in parallel', fmt(b), everywhere.map((x) => fmt(x, 1)).join(' ')],
    ['ratio (build everywhere / build once)', fmt(b / a), ''],
  ]));
} finally {
  app.close();
  await web.stop();
  for (const dir of certDirs) execFileSync('rm', ['-rf', dir]);
  repo.close();
  await bed.teardown();
}
