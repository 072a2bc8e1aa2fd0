import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Decrypter } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupJob, BackupTarget, ManagedDatabase, RunProgress } from '../../src/shared/contract/index.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { loadDataImages, startS3, startS3Gate, type TestS3 } from '../helpers/s3.ts';
import { secretsAtRest } from '../helpers/at-rest.ts';
import { parseProm } from '../helpers/prom-text.ts';
import { WATCH_PACKAGES } from '../helpers/watch-standins.ts';

describe('databases and encrypted backups to S3 (real dockerd, s3rver, Debian-built PostgreSQL stand-in)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let app: TestApp;
  let dataDir: string;
  let serverId: string;
  let db: ManagedDatabase;
  let target: BackupTarget;
  let job: BackupJob;

  const psql = async (container: string, dbName: string, sql: string) =>
    (await s.exec(['docker', 'exec', container, 'psql', '-U', 'app', '-d', dbName, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { check: true })).stdout.trim();
  const runNow = async (jobId: string): Promise<RunProgress[]> => {
    const events: RunProgress[] = [];
    for await (const p of await app.client.backups.runNow({ jobId })) events.push(p);
    return events;
  };
  const s3Client = () => new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'backups' });
    s = await bed.addServer({ name: 'data' });
    const images = await loadDataImages(s);
    s3 = await startS3(bed);
    // Our own data dir: the app is closed and started again on it (a test app removes only a dir it made).
    dataDir = mkdtempSync(join(tmpdir(), 'openpanel-data-'));
    app = await startTestApp({ dataDir });
    serverId = (await addServer(app.client, s, { name: 'data' })).id;
    await app.client.databases.setImages({ serverId, images: { 'postgres:16': images.postgres, 'openpanel/backup-tools:1': images.tools } });
  }, 400_000);
  afterAll(async () => {
    await app?.close();
    await s3?.close();
    await bed?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a PostgreSQL database: container, volume, network, loopback port, credentials in the keychain', async () => {
    db = await app.client.databases.create({ serverId, name: 'shop' });
    expect(db).toMatchObject({ state: 'running', resolvedImage: 'openpanel-test/postgres:15', volume: 'op-db-shop-data', network: 'openpanel-data' });
    expect(db.version).toMatch(/^15\./);
    const conn = await app.client.databases.connection({ id: db.id });
    expect(conn.internalUrl).toBe(`postgresql://app:${encodeURIComponent(conn.password)}@shop:5432/shop`);
    expect(conn.password.length).toBeGreaterThan(20);
    const inspect = JSON.parse((await s.exec(['docker', 'inspect', db.containerName], { check: true })).stdout)[0];
    expect(inspect.HostConfig.PortBindings['5432/tcp'][0]).toEqual({ HostIp: '127.0.0.1', HostPort: String(db.hostPort) });
    expect(Object.keys(inspect.NetworkSettings.Networks)).toEqual(['openpanel-data']);
    await psql(db.containerName, 'shop', "create table items (id int primary key, name text); insert into items select g, 'item-' || g from generate_series(1, 500) g; create table notes (t text); insert into notes values ('CANARY-PLAINTEXT-42')");
  }, 120_000);

  it('runs a scheduled backup on the server while the app is closed; after reconnecting it is listed with its manifest', async () => {
    target = await app.client.backups.createTarget({ name: 'local s3', endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'prod', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    expect(target.recipient).toMatch(/^age1[0-9a-z]+$/);
    job = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: db.id }, targetId: target.id, schedule: '* * * * *', retention: { keepLast: 2, keepDays: null } });
    await app.close();
    // OpenPanel is closed: only the scheduler on the server can make this backup.
    const status = await waitFor(
      async () => {
        const r = await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'cat', `/openpanel/runs/${job.id}/state.json`]);
        return r.code === 0 && /"status":"(succeeded|failed)"/.test(r.stdout) ? r.stdout : null;
      },
      'the scheduled backup',
      150_000,
      1000,
    );
    expect(status).toContain('"status":"succeeded"');
    app = await startTestApp({ dataDir });
    await app.client.backups.updateJob({ id: job.id, enabled: false });
    expect((await app.client.backups.status({ serverId }))[0]).toMatchObject({ jobId: job.id, state: 'ok' });
    const list = await app.client.backups.list({ jobId: job.id });
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list[0]!.key).toMatch(new RegExp(`^prod/${job.id}/\\d{8}T\\d{6}Z\\.sql\\.zst\\.age$`));
    expect(list[0]!.manifest).toMatchObject({ kind: 'postgres', size: list[0]!.size, recipient: target.recipient, codec: 'zstd' });
    expect(list[0]!.manifest!.dbVersion).toMatch(/^15\./);
    expect(list[0]!.manifest!.plainSha256).toMatch(/^[0-9a-f]{64}$/);
  }, 240_000);

  it('the object in S3 is age-encrypted: no plaintext without the key', async () => {
    const [latest] = await app.client.backups.list({ jobId: job.id });
    const body = Buffer.from(await (await s3Client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: latest!.key }))).Body!.transformToByteArray());
    expect(body.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(body.includes('CANARY-PLAINTEXT-42')).toBe(false);
    expect(body.includes('item-1')).toBe(false);
  });

  it('restores into a new database side by side: equal data; verify passes', async () => {
    const [latest] = await app.client.backups.list({ jobId: job.id });
    const r = await app.client.backups.restore({ jobId: job.id, key: latest!.key, target: { kind: 'database', databaseId: db.id, dbName: 'shop_restored', replace: false } });
    expect(r.restoredInto).toBe('shop_restored');
    expect(r.tables).toEqual(expect.arrayContaining([{ table: 'public.items', rows: 500 }, { table: 'public.notes', rows: 1 }]));
    const q = "select md5(string_agg(id || ':' || name, ',' order by id)) from items";
    expect(await psql(db.containerName, 'shop_restored', q)).toBe(await psql(db.containerName, 'shop', q));
    expect(await psql(db.containerName, 'shop_restored', 'select t from notes')).toBe('CANARY-PLAINTEXT-42');
    const v = await app.client.backups.verify({ jobId: job.id, key: latest!.key });
    expect(v.passed).toBe(true);
    expect(v.tables).toEqual(expect.arrayContaining([{ table: 'public.items', expected: 500, actual: 500 }]));
    expect((await app.client.backups.list({ jobId: job.id }))[0]!.verification?.passed).toBe(true);
    expect(await psql(db.containerName, 'postgres', "select count(*) from pg_database where datname like 'opverify_%'")).toBe('0');
  }, 120_000);

  it('verify compares row contents: a restore that changes a value but no count is "content differs" naming the table', async () => {
    const [latest] = await app.client.backups.list({ jobId: job.id });
    // A server whose restores alter data: every database made from template1 gets an event trigger that puts a BEFORE
    // INSERT trigger on a new public.items, changing row 7's name (COPY fires row triggers). Row counts stay the same.
    const tamper = [
      "create function public.op_tamper() returns trigger language plpgsql as $$ begin if new.id = 7 then new.name := new.name || '!'; end if; return new; end $$",
      "create function public.op_tamper_ddl() returns event_trigger language plpgsql as $$ begin if exists (select 1 from pg_event_trigger_ddl_commands() where object_identity = 'public.items') then create trigger op_tamper before insert on public.items for each row execute function public.op_tamper(); end if; end $$",
      "create event trigger op_tamper on ddl_command_end when tag in ('CREATE TABLE') execute function public.op_tamper_ddl()",
    ].join('; ');
    await psql(db.containerName, 'template1', tamper);
    try {
      // The fault is real: a restore now has all 500 rows, one of them changed.
      await app.client.backups.restore({ jobId: job.id, key: latest!.key, target: { kind: 'database', databaseId: db.id, dbName: 'shop_tampered', replace: false } });
      expect(await psql(db.containerName, 'shop_tampered', 'select count(*), (select name from items where id = 7) from items')).toBe('500|item-7!');
      const v = await app.client.backups.verify({ jobId: job.id, key: latest!.key });
      expect(v.passed).toBe(false);
      expect(v.detail).toBe('content differs (same row counts): public.items');
      expect(v.tables).toEqual(expect.arrayContaining([{ table: 'public.items', expected: 500, actual: 500 }, { table: 'public.notes', expected: 1, actual: 1 }]));
      expect((await app.client.backups.list({ jobId: job.id }))[0]!.verification?.passed).toBe(false);
    } finally {
      await psql(db.containerName, 'template1', 'drop event trigger if exists op_tamper; drop function if exists public.op_tamper_ddl(); drop function if exists public.op_tamper()');
      await psql(db.containerName, 'postgres', 'drop database if exists shop_tampered');
    }
    const again = await app.client.backups.verify({ jobId: job.id, key: latest!.key });
    expect(again).toMatchObject({ passed: true, detail: expect.stringMatching(/row counts and row contents equal/) });
    expect(await psql(db.containerName, 'postgres', "select count(*) from pg_database where datname like 'opverify_%'")).toBe('0');
  }, 180_000);

  it('keeps the database password, the S3 secret key and the age private key out of the data dir (SQLite, WAL, audit log)', async () => {
    const { password } = await app.client.databases.connection({ id: db.id });
    const { identity } = await app.client.backups.revealKey({ id: target.id });
    // Positive control: the target's public recipient is stored in SQLite, and the scan finds it.
    expect(secretsAtRest(app, { recipient: target.recipient, password, identity, s3Secret: s3.secretAccessKey })).toEqual(['recipient']);
  });

  it('"back up now" reports progress; retention keeps exactly the last 2 after several runs', async () => {
    for (let i = 0; i < 3; i++) {
      const events = await runNow(job.id);
      expect(events[0]!.phase).toBe('starting');
      expect(events.at(-1)).toMatchObject({ phase: 'done' });
      expect(events.some((e) => e.phase === 'running' && e.bytes > 0)).toBe(true);
      await new Promise((r) => setTimeout(r, 1100));
    }
    const list = await app.client.backups.list({ jobId: job.id });
    expect(list.length).toBe(2);
    expect(list.every((o) => o.manifest !== null)).toBe(true);
  }, 120_000);

  it('a flipped byte makes the restore fail with a clear error and leaves no database behind', async () => {
    const [latest] = await app.client.backups.list({ jobId: job.id });
    const c = s3Client();
    const body = Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: latest!.key }))).Body!.transformToByteArray());
    body[body.length - 40] = body[body.length - 40]! ^ 0x01;
    await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: latest!.key, Body: body }));
    const err = await app.client.backups.restore({ jobId: job.id, key: latest!.key, target: { kind: 'database', databaseId: db.id, dbName: 'shop_flipped', replace: false } }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('REMOTE_COMMAND_FAILED');
    expect(err?.message).toMatch(/cannot be decrypted|sha256/);
    expect(await psql(db.containerName, 'postgres', "select count(*) from pg_database where datname = 'shop_flipped'")).toBe('0');
    expect((await app.client.backups.verify({ jobId: job.id, key: latest!.key })).passed).toBe(false);
  }, 120_000);

  it('a failing S3 endpoint fails the run (no success reported) and the failure shows in the app', async () => {
    const bad = await app.client.backups.createTarget({ name: 'down', endpoint: `http://${bed.gateway}:1`, region: 'us-east-1', bucket: s3.bucket, prefix: '', pathStyle: true, accessKeyId: 'x', secretAccessKey: 'y' });
    const badJob = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: db.id }, targetId: bad.id, schedule: '0 0 1 1 *' });
    const events = await runNow(badJob.id);
    expect(events.at(-1)).toMatchObject({ phase: 'failed' });
    expect(events.some((e) => e.phase === 'done')).toBe(false);
    const failures = await app.client.backups.failures();
    expect(failures).toEqual([expect.objectContaining({ jobId: badJob.id, serverId, label: 'shop', state: 'failed' })]);
    expect(failures[0]!.error).toMatch(/pipeline exit|connection refused/i);
    await app.client.backups.removeJob({ id: badJob.id });
  }, 120_000);

  it('Watch signals: each run writes backup-<job>.prom (a failure keeps the last success and says the reason the app shows); syncs write and remove backup-schedule-<job>.prom', async () => {
    // Read as node-exporter reads them: the textfile volume mounted read-only, as nobody.
    const textfile = async (name: string) => {
      const r = await s.exec(['docker', 'run', '--rm', '--user', '65534', '-v', 'openpanel-watch-textfile:/textfile:ro', 'openpanel-test/backup-tools:1', 'cat', `/textfile/${name}`]);
      return r.code === 0 ? parseProm(r.stdout) : null;
    };
    // A scheduler as earlier versions made it (no metrics volume) gets the volume when the app starts and connects.
    const mounts = async () => (JSON.parse((await s.exec(['docker', 'inspect', 'openpanel-backup-scheduler'], { check: true })).stdout)[0].Mounts as { Name: string; Destination: string }[]).map((m) => `${m.Name}:${m.Destination}`);
    await app.close();
    await s.exec(['docker', 'rm', '-f', 'openpanel-backup-scheduler'], { check: true });
    await s.exec(['docker', 'run', '-d', '--name', 'openpanel-backup-scheduler', '--network', 'host', '-e', 'TZ=UTC', '-v', 'openpanel-backup:/openpanel', '--entrypoint', 'sh', 'openpanel-test/backup-tools:1', '-c', 'exec busybox crond -f -c /openpanel/crontabs'], { check: true });
    expect(await mounts()).toEqual(['openpanel-backup:/openpanel']);
    // As the app starts (its fleet monitor connects to every server), not on a backups call.
    app = await startTestApp({ dataDir, monitor: true });
    await waitFor(async () => (await mounts()).includes('openpanel-watch-textfile:/openpanel-metrics'), 'the scheduler re-synced with the metrics volume at app start', 90_000, 500);
    await app.close();
    app = await startTestApp({ dataDir });
    const labels = `job_id="${job.id}",job_name="shop",database="shop"`;
    const runFile = `backup-${job.id}.prom`;
    // Debian's promtool (prometheus 2.42, from the Watch stand-ins' image) lints a file as Prometheus reads it.
    const watchImage = await s.loadImage('debian', { packages: WATCH_PACKAGES });
    const promtool = async (name: string, input?: string) => {
      const r = await s.exec(['docker', 'run', '--rm', '-i', '--user', '65534', '-v', 'openpanel-watch-textfile:/textfile:ro', '--entrypoint', 'sh', watchImage, '-c', 'if [ -n "$0" ]; then exec promtool check metrics < "/textfile/$0"; else exec promtool check metrics; fi', name], { input: input ?? '' });
      return `exit ${r.code} ${r.stdout}${r.stderr}`.trim();
    };

    const t0 = Date.now() / 1000;
    expect((await runNow(job.id)).at(-1)).toMatchObject({ phase: 'done' });
    const t1 = Date.now() / 1000;
    const [latest] = await app.client.backups.list({ jobId: job.id });
    const ok = (await textfile(runFile))!;
    expect(ok.get(`openpanel_backup_last_run_success{${labels}}`)).toBe(1);
    const success = ok.get(`openpanel_backup_last_success_timestamp_seconds{${labels}}`)!;
    expect(success).toBeGreaterThanOrEqual(t0);
    expect(success).toBeLessThanOrEqual(t1);
    expect(ok.get(`openpanel_backup_last_size_bytes{${labels}}`)).toBe(latest!.size);
    expect(latest!.size).toBeGreaterThan(0);
    expect(ok.get(`openpanel_backup_last_duration_seconds{${labels}}`)).toBeGreaterThan(0);
    expect(ok.get(`openpanel_backup_last_duration_seconds{${labels}}`)).toBeLessThanOrEqual(t1 - t0);
    expect([...ok.keys()].filter((k) => /failure/.test(k))).toEqual([]);
    expect(await promtool(runFile)).toBe('exit 0');

    // S3 refusing the upload (403 AccessDenied from a gate in front of s3rver).
    const gate = await startS3Gate(bed, s3);
    const refusing = await app.client.backups.createTarget({ name: 'refusing', endpoint: gate.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'prod', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    await app.client.backups.updateJob({ id: job.id, targetId: refusing.id });
    gate.refuseUploads = true;
    const t2 = Date.now() / 1000;
    const failedRun = await runNow(job.id).finally(() => gate.close());
    const t3 = Date.now() / 1000;
    expect(gate.refused).toBeGreaterThan(0);
    expect(failedRun.at(-1)).toMatchObject({ phase: 'failed' });
    const shown = (await app.client.backups.status({ serverId })).find((x) => x.jobId === job.id)!;
    expect(shown).toMatchObject({ state: 'failed', error: expect.stringMatching(/AccessDenied|403/) });
    const bad = (await textfile(runFile))!;
    expect(bad.get(`openpanel_backup_last_run_success{${labels}}`)).toBe(0);
    expect(bad.get(`openpanel_backup_last_success_timestamp_seconds{${labels}}`)).toBe(success);
    expect(bad.get(`openpanel_backup_last_size_bytes{${labels}}`)).toBe(latest!.size);
    const failure = bad.get(`openpanel_backup_last_failure_timestamp_seconds{${labels}}`)!;
    expect(failure).toBeGreaterThanOrEqual(t2);
    expect(failure).toBeLessThanOrEqual(t3);
    const reason = shown.error!.slice(0, 200).replaceAll('\\', '\\\\').replaceAll('"', '\\"');
    expect(bad.get(`openpanel_backup_last_failure_info{${labels},reason="${reason}"}`)).toBe(1);
    expect(await promtool(runFile)).toBe('exit 0');

    // Back on the working target: success again, the failure's time kept, its info gone.
    await app.client.backups.updateJob({ id: job.id, targetId: target.id });
    expect((await runNow(job.id)).at(-1)).toMatchObject({ phase: 'done' });
    const again = (await textfile(runFile))!;
    expect(again.get(`openpanel_backup_last_run_success{${labels}}`)).toBe(1);
    expect(again.get(`openpanel_backup_last_success_timestamp_seconds{${labels}}`)).toBeGreaterThan(failure);
    expect(again.get(`openpanel_backup_last_failure_timestamp_seconds{${labels}}`)).toBe(failure);
    expect([...again.keys()].filter((k) => k.startsWith('openpanel_backup_last_failure_info'))).toEqual([]);
    await app.client.backups.removeTarget({ id: refusing.id });

    // The schedule file: written for a scheduled job, `since` kept while the schedule stays, removed when unscheduled.
    const scheduleFile = `backup-schedule-${job.id}.prom`;
    expect(await textfile(scheduleFile)).toBeNull();
    const t4 = Date.now() / 1000;
    await app.client.backups.updateJob({ id: job.id, enabled: true, schedule: '0 3 * * *' });
    const daily = (await textfile(scheduleFile))!;
    expect(daily.get(`openpanel_backup_schedule_interval_seconds{${labels}}`)).toBe(86_400);
    const since = daily.get(`openpanel_backup_scheduled_since_timestamp_seconds{${labels}}`)!;
    expect(since).toBeGreaterThanOrEqual(Math.floor(t4));
    expect(since).toBeLessThanOrEqual(Date.now() / 1000);
    expect(await promtool(scheduleFile)).toBe('exit 0');
    // Positive control: promtool refuses text that is not in the format (an unclosed label value), and one without HELP.
    expect(await promtool('', 'openpanel_backup_last_run_success{job_id="x} 1\n')).not.toBe('exit 0');
    expect(await promtool('', '# TYPE openpanel_backup_last_run_success gauge\nopenpanel_backup_last_run_success{job_id="x"} 1\n')).toMatch(/^exit [1-9].*no help text/s);
    await app.client.backups.updateJob({ id: job.id, retention: { keepLast: 2, keepDays: 30 } });
    expect((await textfile(scheduleFile))!.get(`openpanel_backup_scheduled_since_timestamp_seconds{${labels}}`)).toBe(since);
    await app.client.backups.updateJob({ id: job.id, schedule: '0 9 * * 1-5' });
    expect((await textfile(scheduleFile))!.get(`openpanel_backup_schedule_interval_seconds{${labels}}`)).toBe(3 * 86_400);
    await app.client.backups.updateJob({ id: job.id, enabled: false, retention: { keepLast: 2, keepDays: null } });
    expect(await textfile(scheduleFile)).toBeNull();
    expect(await textfile(runFile)).not.toBeNull();

    // A removed job takes both its files with it.
    const temp = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: db.id }, targetId: target.id, schedule: '0 0 1 1 *' });
    expect((await textfile(`backup-schedule-${temp.id}.prom`))!.get(`openpanel_backup_schedule_interval_seconds{job_id="${temp.id}",job_name="shop",database="shop"}`)).toBe(366 * 86_400);
    expect((await runNow(temp.id)).at(-1)).toMatchObject({ phase: 'done' });
    expect(await textfile(`backup-${temp.id}.prom`)).not.toBeNull();
    await app.client.backups.removeJob({ id: temp.id });
    expect(await textfile(`backup-schedule-${temp.id}.prom`)).toBeNull();
    expect(await textfile(`backup-${temp.id}.prom`)).toBeNull();
  }, 240_000);

  it('round trip of a named volume: back up, restore into a new volume, same files', async () => {
    await s.exec(['docker', 'volume', 'create', 'uploads'], { check: true });
    await s.exec(['docker', 'run', '--rm', '-v', 'uploads:/v', 'openpanel-test/backup-tools:1', 'sh', '-c', 'mkdir -p /v/a/b && head -c 300000 /dev/urandom > /v/a/b/blob && echo hello > /v/readme && chmod 640 /v/readme'], { check: true });
    const vjob = await app.client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'uploads' }, targetId: target.id, schedule: '0 0 1 1 *' });
    expect((await runNow(vjob.id)).at(-1)).toMatchObject({ phase: 'done' });
    const [obj] = await app.client.backups.list({ jobId: vjob.id });
    expect(obj!.key).toMatch(/\.tar\.zst\.age$/);
    const r = await app.client.backups.restore({ jobId: vjob.id, key: obj!.key, target: { kind: 'volume', volume: 'uploads_restored' } });
    expect(r.plainSha256).toBe(obj!.manifest!.plainSha256);
    const listing = async (vol: string) =>
      (await s.exec(['docker', 'run', '--rm', '-v', `${vol}:/v:ro`, 'openpanel-test/backup-tools:1', 'sh', '-c', 'cd /v && find . -type f -exec sha256sum {} + | sort && stat -c "%a %n" readme'], { check: true })).stdout;
    expect(await listing('uploads_restored')).toBe(await listing('uploads'));
    expect((await app.client.backups.verify({ jobId: vjob.id, key: obj!.key })).passed).toBe(true);
  }, 120_000);

  it('two runs in the same second get distinct keys: the second waits for the next second instead of overwriting the first', async () => {
    await s.exec(['docker', 'volume', 'create', 'tiny'], { check: true });
    const tjob = await app.client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'tiny' }, targetId: target.id, schedule: '0 0 1 1 *' });
    // Two runs back to back in the scheduler, the first started in the first 100 ms of a second (bounded wait).
    const pair = 'for _ in $(seq 1 150); do [ "$(date +%N | cut -c1)" = 0 ] && break; sleep 0.01; done; /openpanel/bin/backup.sh "$0" && /openpanel/bin/backup.sh "$0"';
    const stampOf = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    type Run = { state: string; key: string; startedAt: number };
    let same: [Run, Run] | null = null;
    for (let attempt = 0; attempt < 6 && !same; attempt++) {
      await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'bash', '-c', pair, tjob.id], { check: true, timeoutMs: 60_000 });
      const history = (await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'cat', `/openpanel/status/${tjob.id}.history`], { check: true })).stdout.trim().split('\n');
      const [a, b] = history.slice(-2).map((l) => JSON.parse(l) as Run) as [Run, Run];
      expect([a.state, b.state]).toEqual(['ok', 'ok']);
      // The second run started within the second its predecessor's key names: without the guard it writes that key again.
      if (stampOf(b.startedAt) === /(\d{8}T\d{6}Z)/.exec(a.key)![1]) same = [a, b];
    }
    expect(same, 'no pair of runs within one second in 6 attempts').not.toBeNull();
    const [a, b] = same!;
    expect(b.key).not.toBe(a.key);
    const listed = await app.client.backups.list({ jobId: tjob.id });
    for (const k of [a.key, b.key]) expect(listed.find((o) => o.key === k)?.manifest?.key).toBe(k);
  }, 180_000);
  it('reads every codec: a gzip backup made by the script before the codec (no codec in its manifest) and a zstd one from the pipeline restore, verify and download', async () => {
    const two = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: db.id }, targetId: target.id, schedule: '0 0 1 1 *' });
    // The old way: the job script as it was before the codec, run in the scheduler as cron ran it.
    const old = readFileSync(join(import.meta.dirname, 'fixtures/backup-gzip-v1.bash'), 'utf8');
    await s.exec(['docker', 'exec', '-i', 'openpanel-backup-scheduler', 'bash', '-s', two.id], { input: old, check: true, timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 1100));
    expect((await runNow(two.id)).at(-1)).toMatchObject({ phase: 'done' });
    const listed = await app.client.backups.list({ jobId: two.id });
    const gz = listed.find((o) => o.key.endsWith('.sql.gz.age'))!;
    const zst = listed.find((o) => o.key.endsWith('.sql.zst.age'))!;
    expect(listed.length).toBe(2);
    expect(gz.manifest).not.toHaveProperty('codec');
    expect(zst.manifest).toMatchObject({ codec: 'zstd' });
    // The pipeline's codec: what age encrypted is a zstd frame (magic 28 b5 2f fd), the old one a gzip member (1f 8b).
    const { identity } = await app.client.backups.revealKey({ id: target.id });
    const inner = async (key: string) => {
      const body = Buffer.from(await (await s3Client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());
      const d = new Decrypter();
      d.addIdentity(identity.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!);
      return Buffer.from(await d.decrypt(body));
    };
    expect((await inner(zst.key)).subarray(0, 4).toString('hex')).toBe('28b52ffd');
    expect((await inner(gz.key)).subarray(0, 2).toString('hex')).toBe('1f8b');
    const q = "select md5(string_agg(id || ':' || name, ',' order by id)) from items";
    const files = mkdtempSync(join(tmpdir(), 'openpanel-codecs-'));
    try {
      for (const [name, o] of [['gz', gz], ['zst', zst]] as const) {
        const r = await app.client.backups.restore({ jobId: two.id, key: o.key, target: { kind: 'database', databaseId: db.id, dbName: `shop_${name}`, replace: false } });
        expect(r.plainSha256).toBe(o.manifest!.plainSha256);
        expect(await psql(db.containerName, `shop_${name}`, q)).toBe(await psql(db.containerName, 'shop', q));
        expect(await app.client.backups.verify({ jobId: two.id, key: o.key })).toMatchObject({ passed: true });
        // Download gives the gzip of the dump whatever the codec (a zstd backup is recompressed on the way).
        const path = join(files, `${name}.sql.gz`);
        const d = await app.client.backups.download({ jobId: two.id, key: o.key, path });
        const plain = gunzipSync(readFileSync(path));
        expect(d.bytes).toBe(plain.length);
        expect(createHash('sha256').update(plain).digest('hex')).toBe(o.manifest!.plainSha256);
        expect(plain.toString('utf8')).toContain('CANARY-PLAINTEXT-42');
        await psql(db.containerName, 'postgres', `drop database shop_${name}`);
      }
    } finally {
      rmSync(files, { recursive: true, force: true });
    }
    await app.client.backups.removeJob({ id: two.id });
  }, 240_000);
});
