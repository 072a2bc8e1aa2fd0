// Watch's promise, end to end: with the OpenPanel app CLOSED, two servers watching each other send email alerts on
// their own: a scheduled backup failing (S3 refusing uploads) and succeeding again, the backup scheduler stopped
// (backup missed) and started again, a crash-looping container and its removal, a peer whose link is cut reported
// down by the living one while the dead peer's watchdog pings stop; at the next start the app lists what fired.
// The two closed-app cases run side by side (each waits on Alertmanager's and cron's minutes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpReceivers, startSmtp, type TestHttpReceivers, type TestSmtp } from '../helpers/alert-receivers.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { DATA_PACKAGES, startS3, startS3Gate, TOOLS_STANDIN, type S3Gate, type TestS3 } from '../helpers/s3.ts';
import { addServer } from '../helpers/servers.ts';
import { loadWatchImages, watchImageMapping } from '../helpers/watch-standins.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';

let bed: Testbed;
let a: TestServer;
let b: TestServer;
let smtp: TestSmtp;
let http: TestHttpReceivers;
let app: TestApp | null = null;
let dataDir: string;
const ids: Record<'alpha' | 'bravo', string> = { alpha: '', bravo: '' };
let closedAt = 0;
let s3: TestS3;
let gate: S3Gate;
const SCHEDULER = 'openpanel-backup-scheduler';
let jobId = '';

const pingsOf = (server: string, after = 0) => http.of('ping').filter((r) => r.at > after && (r.json?.alerts as { labels: Record<string, string> }[] | undefined)?.some((x) => x.labels.server === server));
/** The first email after `after` about this alert as sent by alpha's Alertmanager (peers may report it too). */
const mailAbout = (what: string, status: 'FIRING' | 'RESOLVED', after = 0) => smtp.mails.find((m) => m.at > after && m.subject.startsWith(`[${status}] ${what} on alpha`));

function step() {
  let resolve: () => void = () => undefined;
  let reject: (e: unknown) => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => undefined);
  return { done, resolve, reject };
}
/**
 * Alpha's one scheduler serves both backup cases: stopped first (missed, counted from the last success), started
 * again while S3 refuses uploads (failed), and the next run with S3 back resolves both.
 */
const missedEmailed = step();
const uploadsRefused = step();

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'wun' });
  const servers = await bed.addServers([
    { name: 'a', images: ['busybox'] },
    { name: 'b', images: ['busybox'] },
  ]);
  [a, b] = [servers[0] as TestServer, servers[1] as TestServer];
  [smtp, http, s3] = await Promise.all([startSmtp(bed), startHttpReceivers(bed), startS3(bed)]);
  gate = await startS3Gate(bed, s3);
  const tools = (async () => {
    await a.exec(['docker', 'tag', await a.loadImage('debian', { packages: DATA_PACKAGES }), TOOLS_STANDIN], { check: true });
    await a.exec(['docker', 'volume', 'create', 'uploads'], { check: true });
    await a.exec(['docker', 'run', '--rm', '-v', 'uploads:/d', BUSYBOX_TAG, 'sh', '-c', 'echo hello > /d/f'], { check: true });
  })();
  const builders = Promise.all(
    [a, b].map(async (s) => {
      await loadWatchImages(s);
      return s.loadImage('debian', { packages: ['git', 'docker.io', 'openssh-client'], tag: 'openpanel-test/builder:latest' });
    }),
  );
  builders.catch(() => undefined);
  dataDir = mkdtempSync(join(tmpdir(), 'openpanel-wun-'));
  app = await startTestApp({ dataDir });
  const client = app.client;
  for (const [name, s] of [['alpha', a], ['bravo', b]] as const) ids[name] = (await addServer(client, s, { name })).id;
  // The job first, so its first minute passes while the Watch images load and Watch turns on (backups write their
  // signals with Watch off too; the scheduler needs only the tools image).
  await tools;
  await client.databases.setImages({ serverId: ids.alpha, images: { 'openpanel/backup-tools:1': TOOLS_STANDIN } });
  const target = await client.backups.createTarget({ name: 'gated s3', endpoint: gate.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'wun', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  jobId = (await client.backups.createJob({ serverId: ids.alpha, source: { kind: 'volume', volume: 'uploads' }, targetId: target.id, schedule: '* * * * *', retention: { keepLast: 2, keepDays: null } })).id;
  const [builderA, builderB] = await builders;
  for (const [name, builder] of [['alpha', builderA], ['bravo', builderB]] as const) {
    await client.proxy.updateSettings({
      serverId: ids[name],
      settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...watchImageMapping(), 'docker:27-cli': builder ?? '' } } },
    });
    await client.watch.setSettings({
      serverId: ids[name],
      patch: {
        intervals: { scrapeSeconds: 2, evaluateSeconds: 2, collectorSeconds: 2 },
        thresholds: { restarts: 1, restartWindowMinutes: 1, pendingSeconds: 5, backupMissedFactor: 1.1, loadPerCpu: 50, memoryPercent: 100, diskPercent: 99, diskFillHours: 1 },
      },
    });
  }
  await client.alerting.updateSettings({ groupWaitSeconds: 1, groupIntervalSeconds: 5, watchdogUrl: http.urls.ping });
  await client.alerting.createChannel({
    name: 'Ops mail',
    severities: null,
    settings: { kind: 'email', host: smtp.host, port: smtp.port, tls: 'starttls', insecureSkipVerify: true, from: 'watch@example.test', to: ['ops@example.test'], username: smtp.user, password: smtp.password },
  });
  // Peers before the turn-on: each stack starts as it will run (exporters on the private addresses), no second sync.
  await client.watch.watchEachOther({ serverIds: [ids.alpha, ids.bravo] });
  await Promise.all(
    Object.values(ids).map(async (serverId) => {
      let last;
      for await (const p of await client.watch.turnOn({ serverId })) last = p;
      expect(last?.status?.state, last?.error ?? '').toBe('on');
    }),
  );
  // A first scheduled success, so that "missed" counts from it.
  await waitFor(async () => (await client.backups.status({ serverId: ids.alpha })).find((x) => x.jobId === jobId && x.state === 'ok'), 'a first scheduled backup', 150_000, 1000);
  // Both watchers are alive: each pings the dead man's switch.
  await waitFor(() => pingsOf('alpha').length > 0 && pingsOf('bravo').length > 0, 'watchdog pings from both servers', 120_000, 500);
  await client.alerting.markSeen({});
  await app.close();
  app = null;
  closedAt = Date.now();
}, 900_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([smtp?.close(), http?.close(), gate?.close()]);
  await s3?.close();
  await bed?.teardown();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('Watch with OpenPanel closed', () => {
  it.concurrent('emails a failed backup, a crash loop and a peer down with their resolutions; the dead peer stops pinging', async () => {
    expect(app).toBeNull();
    const backupFails = async () => {
      await missedEmailed.done;
      const t = Date.now();
      gate.refuseUploads = true;
      uploadsRefused.resolve();
      const failed = await waitFor(() => mailAbout('BackupFailed', 'FIRING', t), 'the BackupFailed email', 150_000, 500);
      expect(gate.refused).toBeGreaterThan(0);
      expect(failed.text).toContain('backup volume uploads');
      expect(failed.text).toMatch(/AccessDenied|403/);
      gate.refuseUploads = false;
      const ok = await waitFor(() => mailAbout('BackupFailed', 'RESOLVED', failed.at), 'the resolved BackupFailed email', 150_000, 500);
      expect(ok.text).toContain('backup volume uploads');
    };
    const crashLoop = async () => {
      await a.exec(['docker', 'run', '-d', '--name', 'crashy', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', 'sleep 1; exit 3'], { check: true });
      const crash = await waitFor(() => mailAbout('ContainerRestartLoop', 'FIRING', closedAt), 'the ContainerRestartLoop email', 150_000, 500);
      expect(crash.text).toContain('crashy');
      await a.exec(['docker', 'rm', '-f', 'crashy'], { check: true });
      // After the removal (Docker's restart back-off may have paused the loop and resolved it once before).
      const removedAt = Date.now();
      const resolved = await waitFor(() => mailAbout('ContainerRestartLoop', 'RESOLVED', removedAt), 'the resolved ContainerRestartLoop email', 180_000, 500);
      expect(resolved.text).toContain('crashy');
    };
    const peerDown = async () => {
      const reachB = () => a.exec(['timeout', '3', 'bash', '-c', 'exec 3<>"/dev/tcp/$0/22"', b.host]);
      expect((await reachB()).code).toBe(0);
      await b.cutLink();
      const cutAt = Date.now();
      // The fault is real: alpha can no longer open a connection to bravo.
      expect((await reachB()).code).not.toBe(0);
      const down = await waitFor(() => mailAbout('ServerDown', 'FIRING', cutAt), 'the ServerDown email from alpha', 150_000, 500);
      expect(down.subject).toContain('on alpha');
      expect(down.text).toContain('Server bravo is down');
      // Watchdog: alpha keeps pinging every minute; bravo, cut off, stops.
      await waitFor(() => Date.now() - cutAt > 75_000 && pingsOf('alpha', cutAt + 5000).length > 0, 'a ping from alpha after the cut', 150_000, 1000);
      expect(pingsOf('bravo', cutAt + 2000)).toEqual([]);
      await b.restoreLink();
      await waitFor(() => mailAbout('ServerDown', 'RESOLVED', down.at), 'the resolved ServerDown email', 150_000, 500);
    };
    await Promise.all([backupFails(), crashLoop(), peerDown()]);
    // Alpha's backup and containers were reported by alpha only: bravo scrapes alpha's exporter, not its signals.
    expect(smtp.mails.filter((m) => /^\[FIRING\] (Backup|Container)\S* on bravo/.test(m.subject)).map((m) => m.subject)).toEqual([]);
  }, 600_000);

  it.concurrent('emails a missed backup while the scheduler is stopped, and its resolution once it runs again', async () => {
    let missedAt = 0;
    try {
      expect(app).toBeNull();
      const t = Date.now();
      await a.exec(['docker', 'stop', SCHEDULER], { check: true });
      const missed = await waitFor(() => mailAbout('BackupMissed', 'FIRING', t), 'the BackupMissed email', 200_000, 500);
      expect(missed.text).toContain('backup volume uploads');
      expect(missed.text).toContain('missed');
      missedAt = missed.at;
    } catch (e) {
      missedEmailed.reject(e);
      throw e;
    }
    missedEmailed.resolve();
    await uploadsRefused.done;
    await a.exec(['docker', 'start', SCHEDULER], { check: true });
    // The first run fails (S3 refusing uploads), the next one succeeds.
    await waitFor(() => mailAbout('BackupMissed', 'RESOLVED', missedAt), 'the resolved BackupMissed email', 240_000, 500);
  }, 600_000);

  it('lists at the next start what fired while it was closed', async () => {
    app = await startTestApp({ dataDir });
    const missed = await app.client.alerting.missed();
    const alpha = missed.find((m) => m.serverId === ids.alpha);
    expect(alpha?.error).toBeNull();
    expect(alpha?.since).toBeLessThanOrEqual(closedAt);
    const names = alpha?.episodes.map((e) => `${e.name}:${e.labels.container ?? e.labels.peer ?? ''}`) ?? [];
    expect(names).toContain('ContainerRestartLoop:crashy');
    expect(names).toContain('ServerDown:bravo');
    expect(names.filter((n) => n.startsWith('BackupFailed') || n.startsWith('BackupMissed')).length).toBeGreaterThanOrEqual(2);
    expect(alpha?.episodes.find((e) => e.name === 'BackupFailed')?.labels.job_id).toBe(jobId);
    const crash = alpha?.episodes.find((e) => e.name === 'ContainerRestartLoop');
    expect(crash?.from).toBeGreaterThan(closedAt - 5000);
    expect(crash?.to).not.toBeNull();
  }, 120_000);
});
