/**
 * Deploy overhead and rollback time on a real test server (Caddy proxy, builder container, git daemon on the bed):
 * - deploy overhead = total time (apps.deploy call → the app sees the job succeeded) minus the `docker build`
 *   time the job measured itself; it covers starting the builder, the clone, starting the container, the health
 *   check, the proxy switch, the 1 s drain and stopping the old container, and the app's polling;
 * - rollback = apps.rollback call → succeeded (no build). Targets: ≤ 3 s each.
 * Runs the built CLI in web mode (npx electron-vite build first) and talks to it over its WebSocket API.
 */
import { Testbed } from '../tests/testbed/index.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { addServer } from '../tests/helpers/servers.ts';
import { followDeploy, GitRepo, loadShipImages, SAMPLE_DOCKERFILE, setupProxy } from '../tests/integration/deploy-fixture.ts';

const ROUNDS = Number(process.env.BENCH_DEPLOY_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const bed = await Testbed.create({ prefix: 'bdeploy' });
const repo = new GitRepo();
const web = await startWebProcess();
const app = await web.client();
try {
  const s = await bed.addServer({ name: 'ship' });
  const images = await loadShipImages(s);
  repo.commit({ 'Dockerfile': SAMPLE_DOCKERFILE, 'index.html': 'r0\n' }, 'r0');
  await repo.serve(bed);
  const serverId = (await addServer(app.client, s, { name: 'ship' })).id;
  await setupProxy(app.client, serverId, images);
  const created = await app.client.apps.create({ name: 'bench', serverId, source: { kind: 'git', url: repo.url, branch: 'main' }, port: 8080, domains: [{ host: 'bench.test', tls: false }] });
  const totals: number[] = [];
  const builds: number[] = [];
  const overheads: number[] = [];
  const deployIds: string[] = [];
  for (let i = 1; i <= ROUNDS + 1; i++) {
    repo.commit({ 'index.html': `r${i}\n` }, `r${i}`);
    const t0 = performance.now();
    const started = await app.client.apps.deploy({ id: created.id });
    const { deploy } = await followDeploy(app.client, started.id, 120_000);
    const total = (performance.now() - t0) / 1000;
    if (deploy.status !== 'succeeded') throw new Error(`deploy ${i} ${deploy.status}: ${deploy.error}`);
    deployIds.push(deploy.id);
    if (i === 1) continue; // the first one warms the build cache and the builder image
    totals.push(total);
    builds.push(deploy.buildSeconds ?? 0);
    overheads.push(total - (deploy.buildSeconds ?? 0));
  }
  const rollbacks: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const to = deployIds[i % (deployIds.length - 1)]!;
    const t0 = performance.now();
    const started = await app.client.apps.rollback({ id: created.id, toDeployId: to });
    const { deploy } = await followDeploy(app.client, started.id, 60_000);
    if (deploy.status !== 'succeeded') throw new Error(`rollback ${deploy.status}: ${deploy.error}`);
    rollbacks.push((performance.now() - t0) / 1000);
  }
  const f = (x: number) => `${x.toFixed(2)} s`;
  console.log(`deploy (${ROUNDS} rounds, warm cache): total ${f(median(totals))}, docker build ${f(median(builds))}, overhead ${f(median(overheads))} (target ≤ 3 s) [min ${f(Math.min(...overheads))}, max ${f(Math.max(...overheads))}]`);
  console.log(`rollback (${ROUNDS} rounds): ${f(median(rollbacks))} (target ≤ 3 s) [min ${f(Math.min(...rollbacks))}, max ${f(Math.max(...rollbacks))}]`);
} finally {
  app.close();
  await web.stop();
  repo.close();
  await bed.teardown();
}
