import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupJob, BackupManifest, BackupTarget, ManagedDatabase, RunProgress } from '../../src/shared/contract/index.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { dataImageMapping, loadDataImages, startS3, startS3Gate, type S3Gate, type TestS3 } from '../helpers/s3.ts';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** The UTC stamp the job script puts in its keys (`date -u +%Y%m%dT%H%M%SZ`). */
const stampOf = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const HOUR = 3_600_000;

describe('data operations: download, delete, retention by days, restore in place, limits, removal (real dockerd, s3rver, Debian-built PostgreSQL and Redis stand-ins)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let gate: S3Gate;
  let c: S3Client;
  let app: TestApp;
  let serverId: string;
  let pg: ManagedDatabase;
  let redis: ManagedDatabase;
  let redisPw = '';
  let target: BackupTarget;
  let gated: BackupTarget;
  let pgJob: BackupJob;
  let retJob: BackupJob;
  let redisJob: BackupJob;
  let files: string;

  const psql = async (dbName: string, sql: string) =>
    (await s.exec(['docker', 'exec', pg.containerName, 'psql', '-U', 'app', '-d', dbName, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { check: true })).stdout.trim();
  const itemsMd5 = (dbName = 'shop') => psql(dbName, "select count(*) || ':' || md5(string_agg(id || ':' || name, ',' order by id)) from items");
  const rcli = async (...args: string[]) => (await s.exec(['docker', 'exec', '-e', `REDISCLI_AUTH=${redisPw}`, redis.containerName, 'redis-cli', '--no-auth-warning', ...args], { check: true })).stdout.trim();
  /** Every key with a digest of its DUMP serialisation (strings and lists only: no member order to normalise). */
  const redisDigest = async () =>
    (
      await s.exec(['docker', 'exec', '-e', `REDISCLI_AUTH=${redisPw}`, redis.containerName, 'sh', '-c', 'for k in $(redis-cli --no-auth-warning --scan | sort); do echo "$k $(redis-cli --no-auth-warning dump "$k" | sha256sum | cut -c1-32)"; done'], {
        check: true,
      })
    ).stdout.trim();
  const runNow = async (jobId: string): Promise<RunProgress> => {
    let last: RunProgress | null = null;
    for await (const p of await app.client.backups.runNow({ jobId })) last = p;
    return last!;
  };
  const inspect = async (name: string) => JSON.parse((await s.exec(['docker', 'inspect', name], { check: true })).stdout)[0];
  const exists = async (key: string) =>
    c.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).then(
      () => true,
      (e: { $metadata?: { httpStatusCode?: number } }) => {
        if (e.$metadata?.httpStatusCode === 404) return false;
        throw e;
      },
    );
  const keysUnder = async (prefix: string) => ((await c.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
  const getObject = async (key: string) => Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());
  /** Puts a backup straight into the bucket (from the test, not the app), with its manifest. */
  const plant = async (key: string, body: Buffer, manifest: BackupManifest) => {
    await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
    await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${key}.manifest.json`, Body: JSON.stringify(manifest) }));
  };
  /** A copy of a real backup under an older key: the object with one byte flipped, or the manifest with a wrong plaintext digest. */
  const corruptCopy = async (key: string, how: 'flip' | 'digest', stamp: string) => {
    const copy = key.replace(/\d{8}T\d{6}Z/, stamp);
    const body = await getObject(key);
    const manifest = JSON.parse((await getObject(`${key}.manifest.json`)).toString()) as BackupManifest;
    if (how === 'flip') body[body.length - 40] = body[body.length - 40]! ^ 0x01;
    await plant(copy, body, { ...manifest, key: copy, ...(how === 'digest' ? { plainSha256: '0'.repeat(64) } : {}) });
    return copy;
  };

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'dataops' });
    s = await bed.addServer({ name: 'ops' });
    const images = await loadDataImages(s);
    s3 = await startS3(bed);
    gate = await startS3Gate(bed, s3);
    c = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    files = mkdtempSync(join(tmpdir(), 'openpanel-dataops-'));
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'ops' })).id;
    await app.client.databases.setImages({ serverId, images: dataImageMapping(images) });
    [pg, redis] = await Promise.all([app.client.databases.create({ serverId, name: 'shop' }), app.client.databases.create({ serverId, engine: 'redis', name: 'cache' })]);
    redisPw = (await app.client.databases.connection({ id: redis.id })).password;
    await psql('shop', "create table items (id int primary key, name text); insert into items select g, 'item-' || g from generate_series(1, 300) g; create table notes (t text); insert into notes values ('CANARY-OPS-42')");
    await s.exec(['docker', 'exec', '-i', '-e', `REDISCLI_AUTH=${redisPw}`, redis.containerName, 'redis-cli', '--no-auth-warning'], {
      input: [...Array.from({ length: 60 }, (_, i) => `SET key:${i} "value ${i}"`), 'RPUSH queue a b c', 'SET ttl:1 x EX 86400'].join('\n'),
      check: true,
    });
    target = await app.client.backups.createTarget({ name: 'local s3', endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'ops', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    gated = await app.client.backups.createTarget({ name: 'gated s3', endpoint: gate.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'gated', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    pgJob = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: pg.id }, targetId: target.id, schedule: '0 0 1 1 *' });
  }, 300_000);
  afterAll(async () => {
    c?.destroy();
    await app?.close();
    await gate?.close();
    await s3?.close();
    await bed?.teardown();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it('download decrypts with the key from the keychain into the chosen file: the plaintext is the dump, as in the manifest; a corrupted backup leaves no file', async () => {
    expect(await runNow(pgJob.id)).toMatchObject({ phase: 'done' });
    const [obj] = await app.client.backups.list({ jobId: pgJob.id });
    const path = join(files, 'shop.sql.gz');
    const r = await app.client.backups.download({ jobId: pgJob.id, key: obj!.key, path });
    expect(r.path).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const plain = gunzipSync(readFileSync(path));
    expect(r.bytes).toBe(plain.length);
    expect(sha256(plain)).toBe(obj!.manifest!.plainSha256);
    expect(sha256(await getObject(obj!.key))).toBe(obj!.manifest!.objectSha256);
    // Equal to a fresh pg_dump of the unchanged database, but for the random key pg_dump ≥ 15.14 puts in \restrict lines.
    const fresh = (await s.exec(['docker', 'exec', pg.containerName, 'pg_dump', '-U', 'app', '--no-owner', '--no-privileges', 'shop'], { check: true })).stdout;
    const norm = (t: string) => t.replace(/^\\(un)?restrict \S+$/gm, '\\$1restrict KEY');
    expect(norm(plain.toString('utf8'))).toBe(norm(fresh));
    expect(plain.toString('utf8')).toContain('CANARY-OPS-42');

    // Refused: a relative path, the manifest, a key outside this job's folder.
    expect((await rpcError(app.client.backups.download({ jobId: pgJob.id, key: obj!.key, path: 'shop.sql.gz' }))).message).toMatch(/path.*absolute path/);
    for (const key of [`${obj!.key}.manifest.json`, `ops/${pgJob.id}/../job_other/20260101T000000Z.sql.gz.age`, obj!.key.replace(pgJob.id, 'job_0000000000000000')]) {
      const e = await rpcError(app.client.backups.download({ jobId: pgJob.id, key, path: join(files, 'x.gz') }));
      expect(e.code).toBe('INPUT_INVALID');
      expect(e.message).toMatch(/^key: .* is not a backup of this job/);
    }
    // A flipped byte, and an intact object whose plaintext digest differs from its manifest: an error, and no file.
    for (const [how, stamp, msg] of [
      ['flip', '20200101T000000Z', /cannot be decrypted/],
      ['digest', '20200101T000001Z', /plaintext sha256 .* differs from the manifest/],
    ] as const) {
      const bad = await corruptCopy(obj!.key, how, stamp);
      const e = await rpcError(app.client.backups.download({ jobId: pgJob.id, key: bad, path: join(files, `${how}.sql.gz`) }));
      expect(e.code).toBe('REMOTE_COMMAND_FAILED');
      expect(e.message).toMatch(msg);
      expect(existsSync(join(files, `${how}.sql.gz`))).toBe(false);
    }
    expect(readdirSync(files)).toEqual(['shop.sql.gz']);
  }, 60_000);

  it('remove deletes the object and its manifest (listed no more), refuses other jobs\' keys and manifests, says NOT_FOUND for a missing key; each call is audited', async () => {
    const all = await app.client.backups.list({ jobId: pgJob.id });
    expect(all.map((o) => o.key.split('/').at(-1))).toEqual([expect.stringMatching(/^\d{8}T\d{6}Z\.sql\.zst\.age$/), expect.stringContaining('20200101T000001Z'), expect.stringContaining('20200101T000000Z')]);
    const [good, digestBad, flipped] = all as [(typeof all)[0], (typeof all)[0], (typeof all)[0]];
    retJob = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: pg.id }, targetId: gated.id, schedule: '0 0 1 1 *', retention: { keepLast: null, keepDays: 3 } });
    // Another job (another target) cannot delete this job's backups, nor can a manifest be deleted on its own.
    const other = await rpcError(app.client.backups.remove({ jobId: retJob.id, key: flipped.key }));
    expect(other).toMatchObject({ code: 'INPUT_INVALID' });
    expect(other.message).toMatch(/^key: .* is not a backup of this job/);
    expect((await rpcError(app.client.backups.remove({ jobId: pgJob.id, key: `${flipped.key}.manifest.json` }))).code).toBe('INPUT_INVALID');
    expect(await exists(flipped.key)).toBe(true);
    expect(await exists(`${flipped.key}.manifest.json`)).toBe(true);

    for (const o of [flipped, digestBad]) expect(await app.client.backups.remove({ jobId: pgJob.id, key: o.key })).toEqual({ removed: true });
    for (const o of [flipped, digestBad]) {
      expect(await exists(o.key)).toBe(false);
      expect(await exists(`${o.key}.manifest.json`)).toBe(false);
    }
    expect((await app.client.backups.list({ jobId: pgJob.id })).map((o) => o.key)).toEqual([good.key]);
    const missing = await rpcError(app.client.backups.remove({ jobId: pgJob.id, key: flipped.key }));
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect(missing.message).toMatch(/^key: no backup/);

    const audit = await app.client.activity.list({ action: 'backups.remove' });
    expect(audit.map((a) => [a.result, a.errorCode, a.target])).toEqual([
      ['error', 'NOT_FOUND', pgJob.id],
      ['ok', null, pgJob.id],
      ['ok', null, pgJob.id],
      ['error', 'INPUT_INVALID', pgJob.id],
      ['error', 'INPUT_INVALID', retJob.id],
    ]);
    expect(JSON.parse(audit[1]!.input!)).toEqual({ jobId: pgJob.id, key: digestBad.key });
  }, 60_000);

  it('retention by days keeps exactly what the policy says (ages made with older keys put into the bucket), and runs only after a successful upload', async () => {
    const dir = `gated/${retJob.id}/`;
    expect(await runNow(retJob.id)).toMatchObject({ phase: 'done' });
    const [first] = await app.client.backups.list({ jobId: retJob.id });
    const body = await getObject(first!.key);
    const manifest = JSON.parse((await getObject(`${first!.key}.manifest.json`)).toString()) as BackupManifest;
    // The script reads a backup's age from its key (the UTC stamp of the run), so older runs are older keys.
    const plantAged = async (hours: number) => {
      const at = Date.now() - hours * HOUR;
      const key = `${dir}${stampOf(at)}.sql.gz.age`;
      await plant(key, body, { ...manifest, key, createdAt: at });
      return key;
    };
    const aged = new Map<number, string>();
    for (const h of [240, 120, 96, 50, 26]) aged.set(h, await plantAged(h));

    // keepDays 3: the runs of the last 72 hours stay (with their manifests), older ones go (object and manifest).
    const second = await runNow(retJob.id);
    expect(second).toMatchObject({ phase: 'done' });
    const kept = [second.key!, first!.key, aged.get(26)!, aged.get(50)!].sort();
    expect((await app.client.backups.list({ jobId: retJob.id })).map((o) => o.key).sort()).toEqual(kept);
    expect(await keysUnder(dir)).toEqual(kept.flatMap((k) => [k, `${k}.manifest.json`]).sort());

    // An upload that fails (the S3 server refuses PUT/POST; lists and deletes still work) deletes nothing.
    const old = await plantAged(500);
    const before = await keysUnder(dir);
    gate.refuseUploads = true;
    try {
      const failed = await runNow(retJob.id);
      expect(failed.phase).toBe('failed');
      expect(failed.error).toMatch(/pipeline exit|AccessDenied|403/i);
    } finally {
      gate.refuseUploads = false;
    }
    expect(gate.refused).toBeGreaterThan(0);
    expect(await keysUnder(dir)).toEqual(before);
    expect((await app.client.backups.status({ serverId })).find((x) => x.jobId === retJob.id)).toMatchObject({ state: 'failed' });

    // keepLast 2 and keepDays 1 together: a backup goes only when neither rule keeps it.
    await app.client.backups.updateJob({ id: retJob.id, retention: { keepLast: 2, keepDays: 1 } });
    const third = await runNow(retJob.id);
    expect(third).toMatchObject({ phase: 'done' });
    expect(await exists(old)).toBe(false);
    const expected = [third.key!, second.key!, first!.key].sort(); // the last 2, and the first run (minutes old) by the day rule
    expect((await app.client.backups.list({ jobId: retJob.id })).map((o) => o.key).sort()).toEqual(expected);
    expect(await keysUnder(dir)).toEqual(expected.flatMap((k) => [k, `${k}.manifest.json`]).sort());
  }, 90_000);

  it('PostgreSQL restore with replace into the same database: refused without replace; digests checked before anything is replaced; then data after the backup is gone and the backup\'s data is back', async () => {
    const [backup] = await app.client.backups.list({ jobId: pgJob.id });
    const atBackup = await itemsMd5();
    expect(atBackup).toMatch(/^300:/);
    await psql('shop', "insert into items select g, 'late-' || g from generate_series(301, 340) g; delete from items where id <= 10; create table later (x int); insert into notes values ('AFTER-BACKUP')");
    const afterBackup = await itemsMd5();
    const databases = () => psql('postgres', "select string_agg(datname, ',' order by datname) from pg_database where datname like 'shop%'");
    expect(await databases()).toBe('shop');

    const refused = await rpcError(app.client.backups.restore({ jobId: pgJob.id, key: backup!.key, target: { kind: 'database', databaseId: pg.id, dbName: 'shop', replace: false } }));
    expect(refused).toMatchObject({ code: 'CONFLICT' });
    expect(refused.message).toMatch(/^target\.dbName: a database shop already exists/);

    for (const [how, stamp, msg] of [
      ['flip', '20200101T000002Z', /cannot be decrypted/],
      ['digest', '20200101T000003Z', /plaintext sha256 .* differs from the manifest/],
    ] as const) {
      const bad = await corruptCopy(backup!.key, how, stamp);
      const e = await rpcError(app.client.backups.restore({ jobId: pgJob.id, key: bad, target: { kind: 'database', databaseId: pg.id, dbName: 'shop', replace: true } }));
      expect(e.code).toBe('REMOTE_COMMAND_FAILED');
      expect(e.message).toMatch(msg);
      // The live database is untouched and nothing is left beside it.
      expect(await itemsMd5()).toBe(afterBackup);
      expect(await databases()).toBe('shop');
      await app.client.backups.remove({ jobId: pgJob.id, key: bad });
    }

    const r = await app.client.backups.restore({ jobId: pgJob.id, key: backup!.key, target: { kind: 'database', databaseId: pg.id, dbName: 'shop', replace: true } });
    expect(r.restoredInto).toBe('shop');
    expect(await itemsMd5()).toBe(atBackup);
    expect(await psql('shop', "select to_regclass('public.later') is null")).toBe('t');
    expect(await psql('shop', 'select string_agg(t, \',\') from notes')).toBe('CANARY-OPS-42');
    // The replaced one is kept aside, with the data written after the backup.
    const aside = (await databases()).split(',').filter((n) => n !== 'shop');
    expect(aside).toEqual([expect.stringMatching(/^shop_before_\d{8}t\d{6}$/)]);
    expect(await itemsMd5(aside[0]!)).toBe(afterBackup);
    expect((await app.client.databases.get({ id: pg.id })).state).toBe('running');
  }, 90_000);

  it('Redis restore with replace into the same instance: refused without replace; digests checked before anything is replaced; then data after the backup is gone and the backup\'s data is back', async () => {
    redisJob = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: redis.id }, targetId: target.id, schedule: '0 0 1 1 *' });
    expect(await runNow(redisJob.id)).toMatchObject({ phase: 'done' });
    const [backup] = await app.client.backups.list({ jobId: redisJob.id });
    const atBackup = await redisDigest();
    expect(atBackup.split('\n')).toHaveLength(62);
    await s.exec(['docker', 'exec', '-i', '-e', `REDISCLI_AUTH=${redisPw}`, redis.containerName, 'redis-cli', '--no-auth-warning'], { input: 'SET after-backup 1\nDEL key:1\nSET key:2 changed\nRPUSH queue d\n', check: true });
    const afterBackup = await redisDigest();
    const saveBefore = await rcli('config', 'get', 'save');
    expect(saveBefore.split('\n')[1]).not.toBe('');

    const refused = await rpcError(app.client.backups.restore({ jobId: redisJob.id, key: backup!.key, target: { kind: 'instance', databaseId: redis.id, replace: false } }));
    expect(refused).toMatchObject({ code: 'CONFLICT' });
    expect(refused.message).toMatch(/^target\.replace: cache is the database this backup came from/);

    for (const [how, stamp, msg] of [
      ['flip', '20200101T000004Z', /cannot be decrypted/],
      ['digest', '20200101T000005Z', /plaintext sha256 .* differs from the manifest/],
    ] as const) {
      const bad = await corruptCopy(backup!.key, how, stamp);
      const e = await rpcError(app.client.backups.restore({ jobId: redisJob.id, key: bad, target: { kind: 'instance', databaseId: redis.id, replace: true } }));
      expect(e.code).toBe('REMOTE_COMMAND_FAILED');
      expect(e.message).toMatch(msg);
      // Untouched: same data, snapshots not paused, no half-written file left in /data, not restarted.
      expect(await redisDigest()).toBe(afterBackup);
      expect(await rcli('config', 'get', 'save')).toBe(saveBefore);
      expect((await s.exec(['docker', 'exec', redis.containerName, 'ls', '-A', '/data'], { check: true })).stdout).not.toMatch(/openpanel-restore/);
      await app.client.backups.remove({ jobId: redisJob.id, key: bad });
    }
    const startedAt = (await inspect(redis.containerName)).State.StartedAt;

    const r = await app.client.backups.restore({ jobId: redisJob.id, key: backup!.key, target: { kind: 'instance', databaseId: redis.id, replace: true } });
    expect(r.restoredInto).toBe('cache');
    expect(r.tables).toEqual([{ table: 'db0', rows: 62 }]);
    expect(await redisDigest()).toBe(atBackup);
    expect(await rcli('exists', 'after-backup')).toBe('0');
    expect(await rcli('get', 'key:2')).toBe('value 2');
    expect(await rcli('lrange', 'queue', '0', '-1')).toBe('a\nb\nc');
    expect(Number(await rcli('ttl', 'ttl:1'))).toBeGreaterThan(80_000);
    // Loaded by a restart of the same container (same volume), snapshots back to the container's own setting.
    expect((await inspect(redis.containerName)).State.StartedAt).not.toBe(startedAt);
    expect(await rcli('config', 'get', 'save')).toBe(saveBefore);
  }, 90_000);

  it('setLimits applies memory and CPU to the running container; lifting them recreates it with the same volume and data; a limit Docker refuses names its field', async () => {
    const before = await inspect(pg.containerName);
    expect(before.HostConfig).toMatchObject({ Memory: 0, NanoCpus: 0 });
    const set = await app.client.databases.setLimits({ id: pg.id, limits: { memoryMb: 256, cpus: 0.5 } });
    expect(set.limits).toEqual({ memoryMb: 256, cpus: 0.5 });
    const live = await inspect(pg.containerName);
    expect(live.Id).toBe(before.Id); // applied live, not recreated
    expect(live.State.Running).toBe(true);
    expect(live.HostConfig).toMatchObject({ Memory: 256 * 1024 * 1024, MemorySwap: 512 * 1024 * 1024, NanoCpus: 500_000_000 });

    await app.client.databases.setLimits({ id: pg.id, limits: { memoryMb: 128, cpus: 0.5 } });
    expect((await inspect(pg.containerName)).HostConfig).toMatchObject({ Memory: 128 * 1024 * 1024, NanoCpus: 500_000_000 });
    const tooMany = await rpcError(app.client.databases.setLimits({ id: pg.id, limits: { memoryMb: 128, cpus: 64 } }));
    expect(tooMany).toMatchObject({ code: 'INPUT_INVALID' });
    expect(tooMany.message).toMatch(/^limits\.cpus: .*CPUs/);
    expect((await app.client.databases.get({ id: pg.id })).limits).toEqual({ memoryMb: 128, cpus: 0.5 });

    // Docker keeps a limit when updated with 0: lifting one recreates the container (same volume, data, password).
    const data = await itemsMd5();
    const lifted = await app.client.databases.setLimits({ id: pg.id, limits: { memoryMb: null, cpus: 0.5 } });
    expect(lifted).toMatchObject({ state: 'running', limits: { memoryMb: null, cpus: 0.5 } });
    expect(lifted.version).toMatch(/^15\./);
    const after = await inspect(pg.containerName);
    expect(after.Id).not.toBe(before.Id);
    expect(after.HostConfig).toMatchObject({ Memory: 0, NanoCpus: 500_000_000 });
    expect(after.Mounts).toEqual([expect.objectContaining({ Name: 'op-db-shop-data', Destination: '/var/lib/postgresql/data' })]);
    expect(Object.keys(after.NetworkSettings.Networks)).toEqual(['openpanel-data']);
    expect(await itemsMd5()).toBe(data);
    await app.client.databases.setLimits({ id: pg.id, limits: { memoryMb: null, cpus: null } });
    expect((await inspect(pg.containerName)).HostConfig).toMatchObject({ Memory: 0, NanoCpus: 0 });
    expect((await s.exec(['docker', 'ps', '-a', '--format', '{{.Names}}'], { check: true })).stdout).not.toMatch(/replaced/);
  }, 90_000);

  it('remove with a final backup: every job of the database runs first, a failed one removes nothing; then container, password and (when asked) volume are gone; its jobs stay with their backups', async () => {
    const ref = app.services.databases.row(pg.id).passwordRef;
    // The gated job's upload fails: nothing is removed.
    gate.refuseUploads = true;
    let failed;
    try {
      failed = await rpcError(app.client.databases.remove({ id: pg.id, removeVolume: false, finalBackup: true }));
    } finally {
      gate.refuseUploads = false;
    }
    expect(failed).toMatchObject({ code: 'REMOTE_COMMAND_FAILED' });
    expect(failed.message).toMatch(new RegExp(`^finalBackup: the final backup of shop \\(job ${retJob.id}\\) failed, so nothing was removed`));
    expect((await app.client.databases.get({ id: pg.id })).state).toBe('running');
    expect(await app.services.secrets.get(ref)).not.toBeNull();

    await psql('shop', "insert into items values (1000, 'final-row')");
    const t0 = Date.now();
    const r = await app.client.databases.remove({ id: pg.id, removeVolume: false, finalBackup: true });
    expect(r.removed).toBe(true);
    expect(r.finalBackups).toHaveLength(2);
    expect((await s.exec(['docker', 'inspect', pg.containerName])).code).not.toBe(0);
    expect((await s.exec(['docker', 'volume', 'inspect', 'op-db-shop-data'])).code).toBe(0); // kept: not asked
    expect(await app.services.secrets.get(ref)).toBeNull();
    expect((await app.client.databases.list({ serverId })).map((d) => d.name)).toEqual(['cache']);

    // The final backups were made before the removal, of the data as it was last.
    const [finalPg] = await app.client.backups.list({ jobId: pgJob.id });
    expect(r.finalBackups).toContain(finalPg!.key);
    expect(finalPg!.manifest!.createdAt).toBeGreaterThanOrEqual(t0 - 1000);
    expect(finalPg!.manifest!.dbVersion).toMatch(/^15\./);
    await app.client.backups.download({ jobId: pgJob.id, key: finalPg!.key, path: join(files, 'final.sql.gz') });
    expect(gunzipSync(readFileSync(join(files, 'final.sql.gz'))).toString()).toContain('final-row');
    // Its jobs stay (disabled, labelled as removed) and the server's other jobs still sync: no job file or cron line for them.
    const jobs = await app.client.backups.jobs({ serverId });
    expect(jobs.filter((j) => j.id === pgJob.id || j.id === retJob.id).map((j) => [j.enabled, j.label])).toEqual([
      [false, `database ${pg.id} (removed)`],
      [false, `database ${pg.id} (removed)`],
    ]);
    await app.client.backups.updateJob({ id: redisJob.id, schedule: '0 0 2 1 *' });
    const cron = (await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'sh', '-c', 'cat /openpanel/crontabs/root; ls /openpanel/jobs'], { check: true })).stdout;
    expect(cron).toContain(`0 0 2 1 * /openpanel/bin/backup.sh ${redisJob.id}`);
    expect(cron).not.toContain(pgJob.id);
    expect(cron).not.toContain(retJob.id);

    // Redis: no job left → a final backup cannot be made and nothing is removed; without one, the volume goes too.
    await app.client.backups.removeJob({ id: redisJob.id });
    const none = await rpcError(app.client.databases.remove({ id: redis.id, removeVolume: true, finalBackup: true }));
    expect(none).toMatchObject({ code: 'CONFLICT' });
    expect(none.message).toMatch(/^finalBackup: no backup job backs up cache/);
    expect((await app.client.databases.get({ id: redis.id })).state).toBe('running');
    const redisRef = app.services.databases.row(redis.id).passwordRef;
    expect(await app.client.databases.remove({ id: redis.id, removeVolume: true })).toEqual({ removed: true, finalBackups: [] });
    expect((await s.exec(['docker', 'inspect', redis.containerName])).code).not.toBe(0);
    expect((await s.exec(['docker', 'volume', 'inspect', 'op-db-cache-data'])).code).not.toBe(0);
    expect(await app.services.secrets.get(redisRef)).toBeNull();
    const audit = await app.client.activity.list({ action: 'databases.remove' });
    expect(audit.map((a) => [a.result, a.errorCode, a.target])).toEqual([
      ['ok', null, redis.id],
      ['error', 'CONFLICT', redis.id],
      ['ok', null, pg.id],
      ['error', 'REMOTE_COMMAND_FAILED', pg.id],
    ]);
  }, 90_000);
});
