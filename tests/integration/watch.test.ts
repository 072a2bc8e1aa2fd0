// The Watch stack on real test servers (real sshd + dockerd): Prometheus, Alertmanager, node-exporter and
// blackbox-exporter from Debian's packages as stand-ins for the prom/* images, the collector in the builder
// stand-in. The app turns the stack on and configures it; the alerts are then read straight from Alertmanager
// and Prometheus on the servers with the app CLOSED (that is the point of Watch), then the app comes back to fix
// thresholds and turn it off. Intervals are lowered through the same settings a user edits.
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchProgress } from '../../src/shared/contract/watch.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { loadWatchImages, watchImageMapping, WATCH_STANDINS } from '../helpers/watch-standins.ts';
import { followDeploy, GitRepo, loadShipImages, SAMPLE_DOCKERFILE } from './deploy-fixture.ts';

const CONTAINERS = ['openpanel-watch-node-exporter', 'openpanel-watch-blackbox', 'openpanel-watch-collector', 'openpanel-watch-alertmanager', 'openpanel-watch-prometheus'];
const CONFIG = '/var/lib/openpanel/watch';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Alertmanager's active alerts, asked on the server itself (the app plays no part). */
async function amAlerts(s: TestServer): Promise<AmAlert[]> {
  const r = await s.exec(['curl', '-sf', '--max-time', '5', 'http://127.0.0.1:9093/api/v2/alerts?active=true&silenced=false&inhibited=false'], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`Alertmanager on ${s.name}: curl exit ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout) as AmAlert[];
}

async function promQuery(s: TestServer, query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await s.exec(['curl', '-sf', '--max-time', '5', '--get', '--data-urlencode', `query=${query}`, 'http://127.0.0.1:9090/api/v1/query'], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`Prometheus on ${s.name}: curl exit ${r.code} ${r.stderr}`);
  return (JSON.parse(r.stdout) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
}

/** Waits (bounded) for `cond`; a timeout says what Prometheus and Alertmanager showed on `s`. */
async function waitOn<T>(s: TestServer, cond: () => Promise<T>, what: string, timeoutMs = 120_000): Promise<NonNullable<T>> {
  try {
    return await waitFor(cond, what, timeoutMs, 500);
  } catch (e) {
    const alerts = await amAlerts(s).catch((x: unknown) => String(x));
    const logs = await s.exec(['docker', 'logs', '--tail', '15', 'openpanel-watch-prometheus']);
    throw new Error(`${String(e)}\nAlertmanager: ${JSON.stringify(alerts).slice(0, 1500)}\nPrometheus log: ${logs.stderr.slice(-2500)}`, { cause: e });
  }
}

const firing = async (s: TestServer, alertname: string, match: (a: AmAlert) => boolean = () => true) => (await amAlerts(s)).find((a) => a.labels.alertname === alertname && match(a)) ?? null;

describe('Watch stack on the servers (real sshd + dockerd, Debian prom stand-ins)', () => {
  let bed: Testbed;
  let a: TestServer;
  let b: TestServer;
  let app: TestApp | null = null;
  let idA: string;
  let idB: string;
  const names = { a: 'watch-a', b: 'watch-b' };

  let dataDir: string | null = null;
  let repo: GitRepo | null = null;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'watch' });
    const servers = await bed.addServers([{ name: 'wa' }, { name: 'wb' }]);
    a = servers[0]!;
    b = servers[1]!;
    // a: the proxy and an app with a TLS domain from Caddy's internal CA (probed by blackbox); b: only the stack
    const [shipA, shipB] = await Promise.all(
      [a, b].map(async (s) => {
        await loadWatchImages(s);
        return loadShipImages(s);
      }),
    );
    repo = new GitRepo();
    repo.commit({ Dockerfile: SAMPLE_DOCKERFILE, 'index.html': 'watched\n' }, 'v1');
    await repo.serve(bed);
    app = await startTestApp({ dataDir: (dataDir = mkdtempSync('/tmp/openpanel-watch-')) });
    idA = (await addServer(app.client, a, { name: names.a })).id;
    idB = (await addServer(app.client, b, { name: names.b })).id;
    for (const [id, images] of [[idA, shipA!], [idB, shipB!]] as const) {
      await app.client.proxy.updateSettings({ serverId: id, settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...images, ...watchImageMapping() } } } });
      await app.client.watch.setSettings({ serverId: id, patch: { intervals: { scrapeSeconds: 1, evaluateSeconds: 1, collectorSeconds: 1 }, thresholds: { pendingSeconds: 0, restarts: 2, restartWindowMinutes: 1 } } });
    }
  }, 600_000);

  afterAll(async () => {
    await b?.restoreLink().catch(() => undefined);
    await app?.close();
    repo?.close();
    await bed?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses hostile settings and peers naming the field, before anything reaches a server', async () => {
    const c = app!.client;
    const issues = async (call: Promise<unknown>) => {
      const e = await rpcError(call);
      expect(e.code).toBe('INPUT_INVALID');
      return (e.data as { issues: { path: string; message: string }[] }).issues;
    };
    expect(await issues(c.watch.setSettings({ serverId: idA, patch: { thresholds: { diskPercent: 0 } } }))).toEqual([{ path: 'patch.thresholds.diskPercent', message: expect.stringContaining('expected percent from 1 to 99') }]);
    expect((await issues(c.watch.setSettings({ serverId: idA, patch: { retention: { days: 100_000 } } })))[0]!.path).toBe('patch.retention.days');
    expect((await issues(c.watch.setSettings({ serverId: idA, patch: { intervals: { scrapeSeconds: 0.5 } } })))[0]).toMatchObject({ path: 'patch.intervals.scrapeSeconds', message: expect.stringContaining('whole number') });
    expect((await issues(c.watch.setSettings({ serverId: idA, patch: { thresholds: { evil: 1 } } } as never)))[0]!.message).toMatch(/evil/);
    expect((await issues(c.watch.turnOff({ serverId: '../../etc' })))[0]!.path).toBe('serverId');
    const own = await rpcError(c.watch.setPeers({ serverId: idA, peerIds: [idA] }));
    expect(own).toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/^peerIds\[0\]: a server cannot be its own peer/) });
    const unknown = await rpcError(c.watch.setPeers({ serverId: idA, peerIds: ['nope'] }));
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^peerIds\[0\]/) });
    // the settings kept are still the ones set in beforeAll, and no Watch file or container exists on the servers yet
    expect((await c.watch.settings({ serverId: idA })).thresholds).toMatchObject({ diskPercent: 90, restarts: 2 });
    for (const s of [a, b]) {
      expect((await s.exec(['test', '-e', CONFIG])).code).not.toBe(0);
      expect((await s.exec(['docker', 'ps', '-aq', '--filter', 'label=openpanel.watch=1'], { check: true })).stdout.trim()).toBe('');
    }
  });

  it('turns on with progress: five containers running, listening on loopback only, config private, memory shown', async () => {
    const c = app!.client;
    const turnOn = async (id: string) => {
      const steps: WatchProgress[] = [];
      for await (const p of await c.watch.turnOn({ serverId: id })) steps.push(p);
      return steps;
    };
    for (const steps of await Promise.all([turnOn(idA), turnOn(idB)])) {
      expect(steps.map((p) => p.step)).toEqual(['images', 'config', 'volumes', 'containers', 'ready', 'done']);
      const st = steps.at(-1)!.status!;
      expect(st).toMatchObject({ state: 'on', enabled: true, error: null });
      expect(st.containers.map((x) => [x.name, x.state])).toEqual(CONTAINERS.map((n) => [n, 'running']));
      expect(st.containers.find((x) => x.part === 'prometheus')!.image).toBe(WATCH_STANDINS.prometheus);
      for (const x of st.containers) expect(x.memoryBytes, x.name).toBeGreaterThan(0);
      expect(st.memoryBytes).toBe(st.containers.reduce((n, x) => n + x.memoryBytes!, 0));
    }
    const listening = (await a.exec(['ss', '-Hltn'], { check: true })).stdout;
    const watchPorts = listening
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[3] ?? '')
      .filter((addr) => /:(909[0-9]|9100|9115)$/.test(addr));
    expect(watchPorts.sort()).toEqual(['127.0.0.1:9090', '127.0.0.1:9093', '127.0.0.1:9100', '127.0.0.1:9115']);
    expect((await a.exec(['stat', '-c', '%a %u', CONFIG, `${CONFIG}/alertmanager.yml`, `${CONFIG}/prometheus.yml`], { check: true })).stdout.trim().split('\n')).toEqual(['700 65534', '600 65534', '600 65534']);
    // the generated files are valid for Prometheus' own checker (promtool of the same package)
    const promtool = (file: string, kind: string) => a.exec(['docker', 'run', '--rm', '--user', '0', '--entrypoint', 'promtool', '-v', `${CONFIG}:/w:ro`, WATCH_STANDINS.prometheus, 'check', kind, `/w/${file}`], { timeoutMs: 60_000 });
    const rules = await promtool('rules/openpanel.yml', 'rules');
    expect(rules.code, rules.stdout + rules.stderr).toBe(0);
    expect(rules.stdout + rules.stderr).toMatch(/SUCCESS: 13 rules found/);
    // the external label names the server; the Watchdog fires from the start
    await waitFor(() => firing(a, 'Watchdog', (x) => x.labels.server === names.a), 'the Watchdog alert on a', 60_000, 500);
  }, 400_000);

  it('probes an app domain through the server\'s own proxy (Host + SNI) and reports its certificate expiring, naming the domain', async () => {
    const c = app!.client;
    expect((await c.proxy.install({ serverId: idA })).running).toBe(true);
    const created = await c.apps.create({ name: 'certy', serverId: idA, source: { kind: 'git', url: repo!.url, branch: 'main' }, port: 8080, domains: [{ host: 'certy.lan', tls: true, issuer: 'internal' }, { host: 'certy.test', tls: false }] });
    // certy.test (plain HTTP) is the host the deploy's route switch confirms through the proxy
    const { deploy, log } = await followDeploy(c, (await c.apps.deploy({ id: created.id })).id, 180_000);
    expect(deploy.status, log).toBe('succeeded');
    // Caddy's internal certificates live 12 h: a 2-day threshold makes it "expiring"
    await c.watch.setSettings({ serverId: idA, patch: { thresholds: { certificateDays: 2 } } });
    expect((await c.watch.resync({ serverId: idA })).probes).toEqual(['certy.lan', 'certy.test']);
    const cert = await waitOn(a, () => firing(a, 'CertificateExpiring', (x) => x.labels.domain === 'certy.lan'), 'CertificateExpiring for certy.lan');
    expect(cert.labels).toMatchObject({ server: names.a, app: 'certy', severity: 'warning' });
    expect(cert.annotations.summary).toMatch(new RegExp(`^Server ${names.a}: the certificate of certy\\.lan expires in .+ \\(threshold 2 days\\)$`));
    // the probe itself succeeds (the app answers through the proxy), so no ProbeFailed
    await waitOn(a, async () => (await promQuery(a, 'probe_success{domain=~"certy.lan|certy.test"} == 1')).length === 2, 'both domains probed successfully');
    expect(await firing(a, 'ProbeFailed')).toBeNull();
  }, 400_000);

  it('with the app closed: DiskFull, ContainerRestartLoop, ContainerUnhealthy, and ServerDown for a cut peer, each resolving when fixed', async () => {
    const c = app!.client;
    const each = await c.watch.watchEachOther({ serverIds: [idA, idB] });
    expect(each.map((st) => st.peers.map((p) => p.name))).toEqual([[names.b], [names.a]]);
    // b now also serves node-exporter on its private address, for a
    const onB = (await b.exec(['ss', '-Hltn'], { check: true })).stdout;
    expect(onB).toContain(`${b.host}:9100`);
    const changed = await c.watch.setSettings({ serverId: idA, patch: { thresholds: { diskPercent: 1 } } });
    // only what the patch names changes
    expect(changed.thresholds).toMatchObject({ diskPercent: 1, pendingSeconds: 0, restarts: 2, restartWindowMinutes: 1 });
    expect(changed.intervals).toMatchObject({ scrapeSeconds: 1, evaluateSeconds: 1 });
    await app!.close();
    app = null;

    // The containers first: the restart loop's window (1 min after the removal) runs out during the other cases.
    await a.exec(['docker', 'run', '-d', '--name', 'crashy', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', 'sleep 1; exit 3'], { check: true });
    await a.exec(['docker', 'run', '-d', '--name', 'sick', '--health-cmd', 'exit 1', '--health-interval', '1s', '--health-retries', '1', BUSYBOX_TAG, 'sleep', '3600'], { check: true });
    const loop = await waitOn(a, () => firing(a, 'ContainerRestartLoop', (x) => x.labels.container === 'crashy'), 'ContainerRestartLoop for crashy');
    expect(loop.annotations.summary).toMatch(new RegExp(`^Server ${names.a}: container crashy restarted \\d+ times in 1 min`));
    const sick = await waitOn(a, () => firing(a, 'ContainerUnhealthy', (x) => x.labels.container === 'sick'), 'ContainerUnhealthy for sick');
    expect(sick.annotations.summary).toContain('container sick is unhealthy');
    // fixed: the crash-looping container is gone
    await a.exec(['docker', 'rm', '-f', 'crashy', 'sick'], { check: true });

    // the peer is scraped (up == 1), then its link is cut: a reports b down, naming it
    await waitFor(async () => (await promQuery(a, 'up{job="peer-node"}')).some((r) => r.metric.peer === names.b && r.value[1] === '1'), 'a scraping b', 60_000, 500);
    expect((await a.exec(['curl', '-sf', '--max-time', '3', '-o', '/dev/null', `http://${b.host}:9100/metrics`])).code).toBe(0);
    await b.cutLink();
    try {
      expect((await a.exec(['curl', '-sf', '--max-time', '3', '-o', '/dev/null', `http://${b.host}:9100/metrics`])).code).not.toBe(0);
      const down = await waitOn(a, () => firing(a, 'ServerDown', (x) => x.labels.peer === names.b), 'ServerDown for b reported by a');
      expect(down.labels).toMatchObject({ server: names.a, severity: 'critical' });
      expect(down.annotations.summary).toContain(`Server ${names.b} is down`);
    } finally {
      await b.restoreLink();
    }

    const disk = await waitOn(a, () => firing(a, 'DiskFull', (x) => x.labels.mountpoint === '/'), 'DiskFull on a');
    expect(disk.annotations.summary).toMatch(new RegExp(`^Server ${names.a}: disk / is \\d+% full \\(threshold 1%\\)`));

    // fixed: the peer is back, the crash-looping container gone
    await waitOn(a, async () => !(await firing(a, 'ServerDown')), 'ServerDown for b resolved');
    await waitOn(a, async () => !(await firing(a, 'ContainerRestartLoop')), 'ContainerRestartLoop resolved', 180_000);
    expect(await firing(a, 'ContainerUnhealthy')).toBeNull();
  }, 600_000);

  it('with the app back: a raised disk threshold rewrites the rules, reloads Prometheus and resolves DiskFull', async () => {
    app = await startTestApp({ dataDir: dataDir! });
    expect(await firing(a, 'DiskFull')).not.toBeNull();
    await app.client.watch.setSettings({ serverId: idA, patch: { thresholds: { diskPercent: 99 } } });
    expect((await a.exec(['cat', `${CONFIG}/rules/openpanel.yml`], { check: true })).stdout).toContain('> 99');
    // Prometheus' view: a changed rule starts afresh, so Alertmanager only drops the old alert at its endsAt (4 x max(evaluation, resend delay 5 s))
    await waitOn(a, async () => (await promQuery(a, 'ALERTS{alertname="DiskFull",mountpoint="/"}')).length === 0, 'DiskFull resolved');
    const st = await app.client.watch.status({ serverId: idA });
    expect(st).toMatchObject({ state: 'on', settings: { thresholds: { diskPercent: 99 } } });
    expect(st.watchedBy.map((p) => p.name)).toEqual([names.b]);
  }, 200_000);

  it('turns off: containers removed, data volumes kept (or removed when asked)', async () => {
    const c = app!.client;
    const volumes = async (s: TestServer) => (await s.exec(['docker', 'volume', 'ls', '-q', '--filter', 'label=openpanel.watch=1'], { check: true })).stdout.trim().split('\n').filter(Boolean).sort();
    const off = await c.watch.turnOff({ serverId: idA });
    expect(off).toMatchObject({ state: 'off', enabled: false });
    expect(off.containers.every((x) => x.state === 'missing')).toBe(true);
    expect((await a.exec(['docker', 'ps', '-aq', '--filter', 'label=openpanel.watch=1'], { check: true })).stdout.trim()).toBe('');
    expect(await volumes(a)).toEqual(['openpanel-watch-alertmanager-data', 'openpanel-watch-prometheus-data', 'openpanel-watch-textfile']);
    await c.watch.turnOff({ serverId: idB, removeData: true });
    expect(await volumes(b)).toEqual(['openpanel-watch-textfile']);
  }, 120_000);
});
