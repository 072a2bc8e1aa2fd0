import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/shared/contract/fleet.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

describe('fleet metrics and alerts from real servers (sampling over SSH, history in SQLite)', () => {
  let bed: Testbed;
  let s: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    bed = await Testbed.create();
    s = await bed.addServer({ name: 'm1', images: ['busybox'] });
    await s.exec(['docker', 'run', '-d', '--name', 'busy', BUSYBOX_TAG, 'sh', '-c', 'while :; do :; done'], { check: true });
    dataDir = mkdtempSync(join(tmpdir(), 'openpanel-metrics-'));
  });
  afterAll(async () => {
    await s?.restoreLink().catch(() => {});
    await bed?.teardown();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('samples host and container metrics, serves 1h/6h/24h history, and keeps it across an app restart', async () => {
    let serverId: string;
    {
      const app: TestApp = await startTestApp({ dataDir, monitor: true });
      await app.client.settings.update({ sampleIntervalSec: 2 });
      serverId = (await addServer(app.client, s, { name: 'm1' })).id;
      const snap = await waitFor(async () => {
        const o = (await app.client.fleet.overview()).find((x) => x.serverId === serverId);
        return o?.host?.cpuPercent !== null && o?.host && o.containers ? o : null;
      }, 'two host samples', 30_000);
      expect(snap.state).toBe('ready');
      expect(snap.host!.memTotal).toBeGreaterThan(0);
      expect(snap.host!.diskTotal).toBeGreaterThan(0);
      expect(snap.containers).toMatchObject({ running: 1, total: 1 });
      // The busy loop shows up as container CPU once two stats samples exist.
      const busy = await waitFor(async () => {
        const list = (await app.client.containers.list({ serverIds: [serverId] })).containers;
        const c = list.find((x) => x.name === 'busy');
        return c?.cpuPercent && c.cpuPercent > 20 ? c : null;
      }, 'container CPU', 30_000);
      expect(busy.memUsed).toBeGreaterThan(0);
      const rows = app.services.storage.sqlite.prepare('SELECT count(*) AS n FROM host_samples WHERE server_id = ?').get(serverId) as { n: number };
      expect(rows.n).toBeGreaterThanOrEqual(2);
      const hist = await app.client.fleet.hostHistory({ serverId, range: '1h' });
      expect(hist.length).toBeGreaterThanOrEqual(1);
      expect(hist.at(-1)!.memTotal).toBe(snap.host!.memTotal);
      const ch = await app.client.fleet.containerHistory({ serverId, range: '6h' });
      expect(ch.find((c) => c.name === 'busy')?.points.length).toBeGreaterThanOrEqual(1);
      await app.close();
    }
    {
      const app = await startTestApp({ dataDir });
      const hist = await app.client.fleet.hostHistory({ serverId, range: '24h' });
      expect(hist.length).toBeGreaterThanOrEqual(1);
      expect((app.services.storage.sqlite.prepare('SELECT count(*) AS n FROM host_samples').get() as { n: number }).n).toBeGreaterThanOrEqual(2);
      // Bounded: older than 24 h is pruned.
      app.services.metrics.addHost(serverId, { ...hist[0]!, at: Date.now() - 25 * 3_600_000 });
      expect(app.services.metrics.prune()).toBeGreaterThanOrEqual(1);
      await app.close();
    }
  });

  it('a tick costs the server one request: one SSH session, no Docker API call (container stats from cgroups)', async () => {
    // Counted on the server: sshd logs each session at VERBOSE, dockerd each API call in debug mode (both reload on SIGHUP).
    const sshdConfig = join(s.sshBase, 'sshd_config');
    writeFileSync(sshdConfig, readFileSync(sshdConfig, 'utf8').replace('LogLevel INFO', 'LogLevel VERBOSE'));
    const listening = () => readFileSync(s.sshdLog, 'utf8').split('Server listening on').length;
    const before = listening();
    process.kill(s.sshdPid, 'SIGHUP');
    await waitFor(() => listening() > before, 'sshd to reload', 10_000);
    writeFileSync(join(s.dir, 'daemon.json'), '{"debug": true}\n');
    process.kill(s.dockerdPid, 'SIGHUP');
    const since = (file: string, offset: number) => readFileSync(file).subarray(offset).toString('utf8');
    const mark = statSync(s.dockerdLog).size;
    await waitFor(async () => (await s.exec(['docker', 'version'])) && /Calling GET \/v[\d.]+\/version/.test(since(s.dockerdLog, mark)), 'dockerd to log API calls', 15_000);

    const app = await startTestApp({ dataDir: mkdtempSync(join(tmpdir(), 'openpanel-ticks-')), monitor: true });
    try {
      await app.client.settings.update({ sampleIntervalSec: 2 });
      const serverId = (await addServer(app.client, s, { name: 'ticks' })).id;
      const busy = await waitFor(async () => (await app.client.containers.list({ serverIds: [serverId] })).containers.find((c) => c.name === 'busy' && (c.cpuPercent ?? 0) > 0), 'container CPU', 30_000);
      expect(busy.memUsed).toBeGreaterThan(0);
      expect(busy.memLimit).toBeGreaterThanOrEqual(busy.memUsed!);
      const count = (table: string) => (app.services.storage.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE server_id = ?`).get(serverId) as { n: number }).n;
      // Let the sample in flight land, then count what the next ticks cost.
      const first = count('host_samples');
      await waitFor(() => count('host_samples') > first, 'a sample', 10_000);
      const samples = count('host_samples');
      const stats = count('container_samples');
      const sshdAt = statSync(s.sshdLog).size;
      const dockerdAt = statSync(s.dockerdLog).size;
      await waitFor(() => count('host_samples') >= samples + 4, 'four more ticks', 30_000);
      const ticks = count('host_samples') - samples;
      const sessions = (since(s.sshdLog, sshdAt).match(/Starting session: command/g) ?? []).length;
      const calls = since(s.dockerdLog, dockerdAt).match(/Calling [A-Z]+ \S+/g) ?? [];
      expect(sessions).toBeGreaterThanOrEqual(ticks - 1);
      expect(sessions).toBeLessThanOrEqual(ticks + 1);
      expect(calls).toEqual([]);
      // Each tick still sampled the running container.
      expect(count('container_samples') - stats).toBeGreaterThanOrEqual(ticks - 1);
    } finally {
      await app.close();
      writeFileSync(join(s.dir, 'daemon.json'), '{}\n');
      process.kill(s.dockerdPid, 'SIGHUP');
    }
  });

  it('raises alerts: restart loop, unhealthy, full disk, unreachable server', async () => {
    const app = await startTestApp({ dataDir: mkdtempSync(join(tmpdir(), 'openpanel-alerts-')), monitor: { unreachableAfterMs: 2_000 }, ssh: { keepaliveIntervalMs: 1_000, keepaliveCountMax: 2, reconnect: { baseMs: 200, maxMs: 1_000, maxAttempts: 100 } } });
    try {
      await app.client.settings.update({ sampleIntervalSec: 2, alerts: { restartLoop: true, unhealthy: true, unreachable: true, diskPercent: 1 } });
      const alerts: Alert[] = [];
      const ac = new AbortController();
      const stream = await app.client.fleet.alerts(undefined, { signal: ac.signal });
      const consumer = (async () => {
        try {
          for await (const a of stream) alerts.push(a);
        } catch {
          /* aborted */
        }
      })();
      const serverId = (await addServer(app.client, s, { name: 'alerting' })).id;
      await waitFor(() => alerts.some((a) => a.kind === 'disk' && a.serverId === serverId), 'disk alert (threshold 1 %)', 30_000);
      await waitFor(async () => (await app.client.fleet.overview())[0]?.containers !== null, 'watching events');
      await s.exec(['docker', 'run', '-d', '--name', 'crashy', '--restart', 'always', BUSYBOX_TAG, 'sh', '-c', 'sleep 0.2; exit 1'], { check: true });
      await s.exec(['docker', 'run', '-d', '--name', 'sick', '--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '1', BUSYBOX_TAG, 'sleep', '1000'], { check: true });
      await waitFor(() => alerts.some((a) => a.kind === 'restart-loop' && /crashy/.test(a.message)), 'restart-loop alert', 60_000);
      await waitFor(() => alerts.some((a) => a.kind === 'unhealthy' && /sick/.test(a.message)), 'unhealthy alert', 60_000);
      await s.cutLink();
      await waitFor(() => alerts.some((a) => a.kind === 'unreachable'), 'unreachable alert', 60_000);
      await s.restoreLink();
      await waitFor(async () => (await app.client.fleet.overview())[0]?.state === 'ready', 'back online', 60_000);
      // Once per episode: no duplicates while the condition lasts.
      expect(alerts.filter((a) => a.kind === 'disk')).toHaveLength(1);
      ac.abort();
      await consumer;
    } finally {
      await app.close();
    }
  });
});
