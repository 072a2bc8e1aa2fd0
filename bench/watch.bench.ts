/**
 * The Watch stack on a server:
 * - its memory (docker stats of its five containers, as the app shows it) on a server running 10 app containers,
 *   with the shipped intervals; target ≤ 200 MB in total (a resident panel takes 300 MB–1 GB);
 * - 24 h of host metrics for the charts: Prometheus' query_range over the SSH connection (the app's own path, with
 *   Watch on) against today's SQLite history read (fleet/store.ts), both giving the chart's points.
 * Prometheus gets 24 h of node metrics backfilled (promtool tsdb create-blocks-from openmetrics) before it starts;
 * SQLite gets 24 h of samples at the sampler's 5 s (the app's MetricsStore on its own table). The app runs as the
 * built CLI in web mode (npx electron-vite build). Rounds: BENCH_WATCH_ROUNDS (default 15).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import type { Db } from '../src/main/services/db/index.ts';
import * as schema from '../src/main/services/db/schema.ts';
import { hostHistoryQuery, hostSamplesFromMatrix } from '../src/main/services/fleet/prom-history.ts';
import { MetricsStore } from '../src/main/services/fleet/store.ts';
import { watchHttp } from '../src/main/services/watch/http.ts';
import { addServer } from '../tests/helpers/servers.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { loadWatchImages, watchImageMapping, WATCH_STANDINS } from '../tests/helpers/watch-standins.ts';
import { BUSYBOX_TAG, Testbed } from '../tests/testbed/index.ts';
import { connectionTo, fmt, median, table } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_WATCH_ROUNDS ?? 15);
const DAY = 24 * 3600;

/** 24 h of the node-exporter series the host chart reads, every 10 s, ending `endSec`. */
function backfill(endSec: number): string {
  const labels = 'job="node",instance="127.0.0.1:9100"';
  const series: [string, string, (t: number, i: number) => number][] = [];
  for (const cpu of ['0', '1']) {
    series.push(['node_cpu_seconds_total', `${labels},cpu="${cpu}",mode="idle"`, (_t, i) => i * 7]);
    series.push(['node_cpu_seconds_total', `${labels},cpu="${cpu}",mode="iowait"`, (_t, i) => i * 0.2]);
    series.push(['node_cpu_seconds_total', `${labels},cpu="${cpu}",mode="user"`, (_t, i) => i * 2.8]);
  }
  const GB = 1024 ** 3;
  series.push(['node_memory_MemTotal_bytes', labels, () => 8 * GB]);
  series.push(['node_memory_MemAvailable_bytes', labels, (_t, i) => 5 * GB + (i % 360) * 1e6]);
  series.push(['node_filesystem_size_bytes', `${labels},device="/dev/vda",fstype="ext4",mountpoint="/"`, () => 100 * GB]);
  series.push(['node_filesystem_free_bytes', `${labels},device="/dev/vda",fstype="ext4",mountpoint="/"`, (_t, i) => 60 * GB - i * 1e5]);
  for (const n of ['1', '5', '15']) series.push([`node_load${n}`, labels, (_t, i) => 0.5 + (i % 100) / 100]);
  series.push(['node_time_seconds', labels, (t) => t]);
  series.push(['node_boot_time_seconds', labels, () => endSec - 30 * DAY]);
  const out: string[] = [];
  let family = '';
  for (const [name, l, value] of series) {
    if (name !== family) out.push(`# TYPE ${name} unknown`);
    family = name;
    for (let i = 0, t = endSec - DAY; t <= endSec; i++, t += 10) out.push(`${name}{${l}} ${value(t, i)} ${t}`);
  }
  out.push('# EOF', '');
  return out.join('\n');
}

const bed = await Testbed.create({ prefix: 'bwatch' });
try {
  const s = await bed.addServer({ name: 'w', images: ['busybox'] });
  await loadWatchImages(s);
  const builder = await s.loadImage('debian', { packages: ['git', 'docker.io', 'openssh-client'], tag: 'openpanel-test/builder:latest' });
  for (let i = 0; i < 10; i++) {
    await s.exec(['docker', 'run', '-d', '--name', `app${i}`, '--label', `openpanel.app=app${i}`, '--restart', 'unless-stopped', BUSYBOX_TAG, 'httpd', '-f', '-p', `127.0.0.1:${8100 + i}`], { check: true });
  }
  const now = Math.floor(Date.now() / 1000);
  const data = backfill(now - 300);
  const t0 = Date.now();
  await s.exec(['docker', 'run', '--rm', '-i', '-v', 'openpanel-watch-prometheus-data:/prometheus', '--entrypoint', 'sh', WATCH_STANDINS.prometheus, '-c', 'cat > /tmp/in.om && promtool tsdb create-blocks-from openmetrics /tmp/in.om /prometheus >/dev/null'], {
    input: data,
    check: true,
    timeoutMs: 600_000,
  });
  console.log(`backfilled ${(data.length / 1e6).toFixed(1)} MB of openmetrics in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const web = await startWebProcess();
  const connection = await web.client();
  try {
    const { client } = connection;
    const serverId = (await addServer(client, s, { name: 'watched' })).id;
    await client.proxy.updateSettings({ serverId, settings: { driver: 'caddy', dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images: { ...watchImageMapping(), 'docker:27-cli': builder } } } });
    for await (const p of await client.watch.turnOn({ serverId })) if (p.error) throw new Error(p.error);

    // Memory once it has scraped a while with the shipped intervals (10 s scrape, 15 s collector).
    await new Promise((r) => setTimeout(r, 60_000));
    const totals: number[] = [];
    let last = await client.watch.status({ serverId });
    for (let i = 0; i < 3; i++) {
      last = await client.watch.status({ serverId });
      totals.push(last.memoryBytes);
      await new Promise((r) => setTimeout(r, 10_000));
    }
    const mb = (n: number) => fmt(n / 1024 / 1024, 1);
    console.log(table([['container', 'memory (MB)', 'limit (MB)'], ...last.containers.map((c) => [c.name, mb(c.memoryBytes ?? 0), mb(c.memoryLimitBytes ?? 0)]), ['total (median of 3)', mb(median(totals)), `target 200 -> ${fmt(median(totals) / 1024 / 1024 / 200, 2)}`]]));
  } finally {
    connection.close();
    await web.stop();
  }

  // SQLite: the app's store on its own table, 24 h at the sampler's 5 s interval.
  const dir = mkdtempSync(join(tmpdir(), 'bench-watch-'));
  const sqlite = new Database(join(dir, 'metrics.db'));
  sqlite.pragma('journal_mode = WAL');
  for (const stmt of readFileSync(join(import.meta.dirname, '../src/main/services/db/migrations/0002_metrics.sql'), 'utf8').split('--> statement-breakpoint')) sqlite.exec(stmt);
  const store = new MetricsStore(drizzle(sqlite, { schema }) as unknown as Db);
  const end = Date.now();
  for (let at = end - DAY * 1000; at <= end; at += 5000) {
    store.addHost('srv', { at, cpuPercent: 12, memUsed: 3e9, memTotal: 8e9, diskUsed: 4e10, diskTotal: 1e11, load1: 0.5, load5: 0.5, load15: 0.5, uptime: 1000 });
  }
  // Prometheus: the app's path (one query_range through a direct-tcpip channel of the SSH connection).
  const conn = connectionTo(s);
  const sqliteMs: number[] = [];
  const promMs: number[] = [];
  const points = { sqlite: 0, prom: 0 };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      points.sqlite = store.hostHistory('srv', '24h').length;
      sqliteMs.push(performance.now() - t);
      t = performance.now();
      const q = hostHistoryQuery('24h', Date.now());
      const res = await watchHttp(conn, 9090, { path: '/api/v1/query_range', query: { query: q.query, start: q.start, end: q.end, step: q.step } });
      points.prom = hostSamplesFromMatrix(res.json).length;
      promMs.push(performance.now() - t);
    }
  } finally {
    conn.close();
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    table([
      ['24 h host history', 'points', 'median (ms)', 'vs SQLite'],
      ['SQLite (fleet/store.ts)', points.sqlite, fmt(median(sqliteMs), 1), '1.00'],
      ['Prometheus query_range over SSH', points.prom, fmt(median(promMs), 1), fmt(median(promMs) / median(sqliteMs), 2)],
    ]),
  );
} finally {
  await bed.teardown();
}
