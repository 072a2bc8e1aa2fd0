// fleet.hostHistory with Watch on reads Prometheus on the server (PromQL query_range over the SSH connection): the
// app samples nothing here (monitor off), so every point comes from Prometheus; with Prometheus down, the app's own
// (here empty) SQLite history is served instead, without an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { loadWatchImages, watchImageMapping } from '../helpers/watch-standins.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';

describe('host history from Prometheus when Watch is on (real stack on a test server)', () => {
  let bed: Testbed;
  let s: TestServer;
  let app: TestApp;
  let serverId: string;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'fhist' });
    s = await bed.addServer({ name: 'hist-1', images: ['busybox'] });
    await loadWatchImages(s);
    const builder = await s.loadImage('debian', { packages: ['git', 'docker.io'], tag: 'openpanel-test/builder:latest' });
    app = await startTestApp({ monitor: false });
    serverId = (await addServer(app.client, s, { name: 'hist-1' })).id;
    await app.client.proxy.updateSettings({ serverId, settings: { imageOverrides: { prefix: null, images: { ...watchImageMapping(), 'docker:27-cli': builder } } } });
    await app.client.watch.setSettings({ serverId, patch: { intervals: { scrapeSeconds: 2, evaluateSeconds: 2, collectorSeconds: 5 } } });
    let last;
    for await (const p of await app.client.watch.turnOn({ serverId })) last = p;
    expect(last?.status?.state).toBe('on');
  }, 400_000);
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  const prometheusAnswers = async () => (await s.exec(['curl', '-sf', '-o', '/dev/null', 'http://127.0.0.1:9090/-/ready'])).code === 0;

  it("serves the server's own node-exporter figures from Prometheus, on the range's steps", async () => {
    const history = await waitFor(async () => {
      const h = await app.client.fleet.hostHistory({ serverId, range: '1h' });
      return h.length >= 3 && h.some((p) => p.cpuPercent !== null) ? h : null;
    }, 'three points with a CPU figure from Prometheus', 90_000, 1_000);
    const now = Date.now();
    // What the server itself says (node-exporter reads the same kernel).
    const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec((await s.exec(['cat', '/proc/meminfo'], { check: true })).stdout)?.[1]) * 1024;
    const diskTotal = Number((await s.exec(['df', '-Pk', '/'], { check: true })).stdout.split('\n')[1]?.trim().split(/\s+/)[1]) * 1024;
    const uptime = Number((await s.exec(['cat', '/proc/uptime'], { check: true })).stdout.split(' ')[0]);
    for (const p of history) {
      expect(p.at).toBeGreaterThan(now - 3_600_000 - 60_000);
      expect(p.at).toBeLessThanOrEqual(now);
      expect(p.memTotal).toBe(memTotal);
      expect(p.diskTotal).toBe(diskTotal);
      expect(p.memUsed).toBeGreaterThan(0);
      expect(p.memUsed).toBeLessThan(p.memTotal);
      expect(p.diskUsed).toBeGreaterThan(0);
      expect(p.diskUsed).toBeLessThan(p.diskTotal);
      expect(p.load1).toBeGreaterThanOrEqual(0);
      if (p.cpuPercent !== null) expect(p.cpuPercent).toBeGreaterThanOrEqual(0);
      if (p.cpuPercent !== null) expect(p.cpuPercent).toBeLessThanOrEqual(100);
    }
    const newest = history.at(-1)!;
    expect(Math.abs(newest.uptime - (uptime - (now - newest.at) / 1000))).toBeLessThan(30);
    // In time order, on the 1 h range's 10 s steps.
    const gaps = history.slice(1).map((p, i) => p.at - history[i]!.at);
    expect(gaps.every((g) => g > 0 && g % 10_000 === 0)).toBe(true);
    // The app took no samples of its own: these can only be Prometheus'.
    const own = app.services.storage.sqlite.prepare('SELECT count(*) AS n FROM host_samples WHERE server_id = ?').get(serverId) as { n: number };
    expect(own.n).toBe(0);
  }, 120_000);

  it("falls back to the app's own samples when Prometheus does not answer, and reads it again once it is back", async () => {
    await s.exec(['docker', 'stop', '-t', '1', 'openpanel-watch-prometheus'], { check: true });
    expect(await prometheusAnswers()).toBe(false);
    expect(await app.client.fleet.hostHistory({ serverId, range: '1h' })).toEqual([]);
    await s.exec(['docker', 'start', 'openpanel-watch-prometheus'], { check: true });
    await waitFor(prometheusAnswers, 'Prometheus ready again', 60_000, 500);
    // Its data volume kept the history from before the stop.
    const back = await waitFor(async () => {
      const h = await app.client.fleet.hostHistory({ serverId, range: '6h' });
      return h.length > 0 ? h : null;
    }, 'history from Prometheus again', 60_000, 1_000);
    expect(back[0]!.memTotal).toBeGreaterThan(0);
  }, 120_000);
});
