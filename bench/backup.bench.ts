/**
 * Backup throughput of a ≥ 500 MB PostgreSQL database on a real test server, same run, same server:
 * - baselines: `pg_dump | gzip` and `pg_dump | zstd -T0` in the backup tools container (the same pg_dump, over the
 *   same loopback port), the compressed bytes counted by wc;
 * - OpenPanel: `backups.runNow` through the built web process's API: pg_dump → sha256 → zstd -T0 → age → sha256 →
 *   rclone streamed to S3 (s3rver on the bed's bridge), manifest, retention; timed from the call to `done`.
 * Prints the throughput ratios (target ≥ 100 % of `pg_dump | gzip`), the object sizes, and the main process's peak
 * RSS (VmHWM) before and after, which must not grow with the database size: the dump never passes through the app.
 * Size: BENCH_BACKUP_MB (default 520). Runs the built CLI in web mode (npx electron-vite build first).
 */
import { readFileSync } from 'node:fs';
import { Testbed } from '../tests/testbed/index.ts';
import { startWebProcess } from '../tests/helpers/web-process.ts';
import { addServer } from '../tests/helpers/servers.ts';
import { dataImageMapping, loadDataImages, startS3 } from '../tests/helpers/s3.ts';

const TARGET_MB = Number(process.env.BENCH_BACKUP_MB ?? 520);
/** Each row carries 8 distinct md5 hex strings (~270 bytes in the dump): gzip gets about 2:1, no repeats to exploit. */
const ROW_BYTES = 270;

const peakRss = (pid: number) => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const mb = (bytes: number) => bytes / 1024 / 1024;

const bed = await Testbed.create({ prefix: 'bbackup' });
const s3 = await startS3(bed);
const web = await startWebProcess();
const app = await web.client();
try {
  const s = await bed.addServer({ name: 'data' });
  const images = await loadDataImages(s);
  const serverId = (await addServer(app.client, s, { name: 'data' })).id;
  await app.client.databases.setImages({ serverId, images: dataImageMapping(images) });
  const db = await app.client.databases.create({ serverId, name: 'big' });
  const rows = Math.ceil((TARGET_MB * 1024 * 1024) / ROW_BYTES);
  const psql = (sql: string) => s.exec(['docker', 'exec', db.containerName, 'psql', '-U', 'app', '-d', 'big', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { check: true, timeoutMs: 1_800_000 });
  const t0 = performance.now();
  await psql(
    `create table t (id bigint, a text, b text); insert into t select g, ${[0, 1, 2, 3].map((k) => `md5((8 * g + ${k})::text)`).join(' || ')}, ${[4, 5, 6, 7].map((k) => `md5((8 * g + ${k})::text)`).join(' || ')} from generate_series(1, ${rows}) g`,
  );
  console.log(`filled ${rows} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s; table ${(await psql("select pg_size_pretty(pg_total_relation_size('t'))")).stdout.trim()}`);

  const target = await app.client.backups.createTarget({ name: 'bench', endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'bench', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
  const job = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: db.id }, targetId: target.id, schedule: '0 0 1 1 *', retention: { keepLast: 1, keepDays: null } });
  const pw = (await app.client.databases.connection({ id: db.id })).password;

  // Baselines, in the scheduler container (same pg_dump, same loopback port); dump and output sizes from wc.
  const baseline = async (codec: 'gzip' | 'zstd -T0') => {
    const b0 = performance.now();
    const r = await s.exec(
      ['docker', 'exec', '-e', `PGPASSWORD=${pw}`, 'openpanel-backup-scheduler', 'bash', '-c', 'set -o pipefail; pg_dump -h 127.0.0.1 -p "$0" -U app --no-owner --no-privileges big | tee >(wc -c > /tmp/bench.n) | $1 -c | wc -c >&2; rc=$?; wait $!; cat /tmp/bench.n >&2; exit $rc', String(db.hostPort), codec],
      { check: true, timeoutMs: 1_800_000 },
    );
    const [out, dump] = r.stderr.trim().split('\n').slice(-2).map(Number) as [number, number];
    return { seconds: (performance.now() - b0) / 1000, bytes: dump, out };
  };
  const openpanel = async () => {
    const o0 = performance.now();
    let last: { phase: string; bytes: number; error: string | null } | null = null;
    for await (const p of await app.client.backups.runNow({ jobId: job.id })) last = p;
    if (last?.phase !== 'done') throw new Error(`backup ${last?.phase}: ${last?.error}`);
    return (performance.now() - o0) / 1000;
  };

  const rssBefore = peakRss(web.child.pid!);
  // One warm-up each (page cache), then alternate twice and keep the best of each.
  await baseline('gzip');
  await openpanel();
  const gz: Awaited<ReturnType<typeof baseline>>[] = [];
  const zst: Awaited<ReturnType<typeof baseline>>[] = [];
  const ours: number[] = [];
  for (let i = 0; i < 2; i++) {
    gz.push(await baseline('gzip'));
    zst.push(await baseline('zstd -T0'));
    ours.push(await openpanel());
  }
  const rssAfter = peakRss(web.child.pid!);
  const [latest] = await app.client.backups.list({ jobId: job.id });
  const bytes = gz[0]!.bytes;
  const best = (runs: { seconds: number }[]) => Math.min(...runs.map((b) => b.seconds));
  const bestOurs = Math.min(...ours);
  const line = (what: string, seconds: number, runs: number[], size: number) =>
    console.log(`${what}: ${seconds.toFixed(1)} s = ${(mb(bytes) / seconds).toFixed(1)} MB/s [runs ${runs.map((x) => x.toFixed(1)).join(', ')}]; output ${mb(size).toFixed(0)} MB`);
  console.log(`dump ${mb(bytes).toFixed(0)} MB; codec of the OpenPanel backup: ${latest?.manifest?.codec ?? 'gzip'} (${latest?.key})`);
  line('pg_dump | gzip', best(gz), gz.map((b) => b.seconds), gz[0]!.out);
  line('pg_dump | zstd -T0', best(zst), zst.map((b) => b.seconds), zst[0]!.out);
  line('OpenPanel backup (dump → sha256 → zstd -T0 → age → sha256 → S3, manifest)', bestOurs, ours, latest?.size ?? 0);
  console.log(`throughput vs pg_dump | gzip: ${((best(gz) / bestOurs) * 100).toFixed(0)} % (target ≥ 100 %)`);
  console.log(`throughput vs pg_dump | zstd -T0: ${((best(zst) / bestOurs) * 100).toFixed(0)} %`);
  console.log(`main process peak RSS: ${rssBefore.toFixed(0)} MB before the backups, ${rssAfter.toFixed(0)} MB after (the dump never passes through it)`);
} finally {
  app.close();
  await web.stop();
  await s3.close();
  await bed.teardown();
}
