import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupJob, BackupNotice, BackupTarget, ManagedDatabase } from '../../src/shared/contract/index.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { dataImageMapping, loadDataImages, MARIADB_STANDIN, REDIS_STANDIN, startS3, type TestS3 } from '../helpers/s3.ts';

/** Sends `send` to a local TCP port and resolves with what came back once `until` matches (bounded). */
function talk(port: number, send: string, until: RegExp, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no ${until} from port ${port}; got ${JSON.stringify(got.toString('latin1'))}`));
    }, timeoutMs);
    sock.on('connect', () => {
      if (send) sock.write(send);
    });
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (until.test(got.toString('latin1'))) {
        clearTimeout(timer);
        sock.destroy();
        resolve(got);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

const EXEC_LOG = '/tmp/openpanel-exec-events.log';

describe('MariaDB and Redis databases with encrypted backups (Debian-built stand-ins for mariadb:11 and redis:7, real dockerd, s3rver)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let app: TestApp;
  let dataDir: string;
  let serverId: string;
  let maria: ManagedDatabase;
  let redis: ManagedDatabase;
  let target: BackupTarget;
  let mariaJob: BackupJob;
  let redisJob: BackupJob;
  let badJob: BackupJob;
  const notices: BackupNotice[] = [];
  let mariaPw = '';
  let redisPw = '';

  const sql = async (dbName: string, query: string) =>
    (await s.exec(['docker', 'exec', '-e', `MYSQL_PWD=${mariaPw}`, maria.containerName, 'mariadb', '-uroot', '-N', '-B', '-D', dbName, '-e', query], { check: true })).stdout.trim();
  const rcli = async (container: string, pw: string, ...args: string[]) =>
    (await s.exec(['docker', 'exec', '-e', `REDISCLI_AUTH=${pw}`, container, 'redis-cli', '--no-auth-warning', ...args], { check: true })).stdout.trim();
  /** Every key of both logical databases used, with TTL presence and DUMP serialisation: equal datasets give equal listings. */
  const redisDigest = async (container: string, pw: string) =>
    (
      await s.exec(
        [
          'docker',
          'exec',
          '-e',
          `REDISCLI_AUTH=${pw}`,
          container,
          'sh',
          '-c',
          [
            'r() { redis-cli --no-auth-warning -n "$db" "$@"; }',
            'for db in 0 1; do for k in $(r --scan | sort); do',
            '  t=$(r ttl "$k"); [ "$t" -gt 0 ] && t=ttl',
            // Sets and hashes have no member order: their members, sorted; everything else: its DUMP serialisation.
            '  case $(r type "$k") in set) v=$(r smembers "$k" | sort | tr "\\n" " ");; hash) v=$(r hgetall "$k" | paste - - | sort | tr "\\n" " ");; *) v=$(r --no-raw dump "$k");; esac',
            '  echo "$db $k $t $v"',
            'done; done',
          ].join('\n'),
        ],
        { check: true, timeoutMs: 120_000 },
      )
    ).stdout.trim();
  const s3Object = async (key: string) => {
    const c = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    try {
      return Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());
    } finally {
      c.destroy();
    }
  };
  const collectNotices = (a: TestApp) => {
    void (async () => {
      for await (const n of await a.client.backups.notices()) notices.push(n);
    })().catch(() => {});
  };

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'engines' });
    s = await bed.addServer({ name: 'engines' });
    const images = await loadDataImages(s);
    s3 = await startS3(bed);
    dataDir = mkdtempSync(join(tmpdir(), 'openpanel-engines-'));
    app = await startTestApp({ dataDir });
    serverId = (await addServer(app.client, s, { name: 'engines' })).id;
    await app.client.databases.setImages({ serverId, images: dataImageMapping(images) });
    // Every exec created in any container of the server from now on, with its argv as Docker received it.
    await s.sh(`nohup docker events --filter type=container --filter event=exec_create --format '{{.Action}}' > ${EXEC_LOG} 2>&1 < /dev/null &`, { check: true });
  }, 400_000);
  afterAll(async () => {
    await app?.close();
    await s3?.close();
    await bed?.teardown();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a MariaDB database from mariadb:11 (mapped to the stand-in): root password in the keychain, volume, network, version, connection strings', async () => {
    maria = await app.client.databases.create({ serverId, engine: 'mariadb', name: 'shop' });
    expect(maria).toMatchObject({ engine: 'mariadb', image: 'mariadb:11', resolvedImage: MARIADB_STANDIN, state: 'running', username: 'root', database: 'shop', volume: 'op-db-shop-data' });
    expect(maria.version).toMatch(/^10\.11\.\d+-MariaDB/);
    const conn = await app.client.databases.connection({ id: maria.id });
    mariaPw = conn.password;
    expect(conn.internalUrl).toBe(`mysql://root:${encodeURIComponent(mariaPw)}@shop:3306/shop`);
    const inspect = JSON.parse((await s.exec(['docker', 'inspect', maria.containerName], { check: true })).stdout)[0];
    expect(inspect.Config.Env).toContain(`MARIADB_ROOT_PASSWORD=${mariaPw}`);
    expect(inspect.Config.Env).toContain('MARIADB_DATABASE=shop');
    expect(inspect.Mounts).toEqual([expect.objectContaining({ Type: 'volume', Name: 'op-db-shop-data', Destination: '/var/lib/mysql' })]);
    expect(inspect.HostConfig.PortBindings['3306/tcp'][0]).toEqual({ HostIp: '127.0.0.1', HostPort: String(maria.hostPort) });
    expect(Object.keys(inspect.NetworkSettings.Networks)).toEqual(['openpanel-data']);
    // The password is a keychain secret: nothing of it in SQLite.
    const dbFile = (await import('node:fs')).readFileSync(join(dataDir, 'openpanel.db'));
    expect(dbFile.includes(Buffer.from(mariaPw))).toBe(false);

    await sql(
      'shop',
      [
        'create table items (id int primary key, name varchar(200), price decimal(10,2), raw varbinary(16)) engine=InnoDB',
        "insert into items select seq, concat('item-', seq, ' it''s (a),(b) \\\\ ok'), seq / 7, unhex(md5(seq)) from seq_1_to_2000",
        'create table notes (id int auto_increment primary key, t text)',
        "insert into notes (t) values ('CANARY-PLAINTEXT-MARIA'), (NULL), ('multi\\nline')",
        'create table empty_one (x int)',
      ].join('; '),
    );
    expect(await sql('shop', 'select count(*) from items')).toBe('2000');

    // Local access through an SSH port forward: the server greets with its version (MySQL protocol handshake).
    const local = await app.client.databases.openLocal({ id: maria.id });
    expect(local.url).toBe(`mysql://root:${encodeURIComponent(mariaPw)}@127.0.0.1:${local.localPort}/shop`);
    expect((await talk(local.localPort, '', /10\.11\.\d+-MariaDB/)).toString('latin1')).toMatch(/mysql_native_password|10\.11/);

    // Stop / start / restart keep the data.
    expect((await app.client.databases.stop({ id: maria.id })).state).toBe('exited');
    expect((await app.client.databases.start({ id: maria.id })).state).toBe('running');
    expect((await app.client.databases.restart({ id: maria.id })).version).toMatch(/^10\.11/);
    expect(await sql('shop', 'select count(*) from items')).toBe('2000');
  }, 240_000);

  it('creates a Redis database from redis:7 (mapped to the stand-in): password required, data in /data, version, local access', async () => {
    redis = await app.client.databases.create({ serverId, engine: 'redis', name: 'cache' });
    expect(redis).toMatchObject({ engine: 'redis', image: 'redis:7', resolvedImage: REDIS_STANDIN, state: 'running', username: 'default', volume: 'op-db-cache-data' });
    expect(redis.version).toMatch(/^7\.0\.\d+$/);
    const conn = await app.client.databases.connection({ id: redis.id });
    redisPw = conn.password;
    expect(conn.internalUrl).toBe(`redis://default:${encodeURIComponent(redisPw)}@cache:6379/0`);
    const inspect = JSON.parse((await s.exec(['docker', 'inspect', redis.containerName], { check: true })).stdout)[0];
    expect(inspect.Mounts).toEqual([expect.objectContaining({ Name: 'op-db-cache-data', Destination: '/data' })]);
    expect(inspect.HostConfig.PortBindings['6379/tcp'][0]).toEqual({ HostIp: '127.0.0.1', HostPort: String(redis.hostPort) });
    const noAuth = await s.exec(['docker', 'exec', redis.containerName, 'redis-cli', 'ping']);
    expect(noAuth.stdout + noAuth.stderr).toMatch(/NOAUTH/);

    await s.exec(['docker', 'exec', '-i', '-e', `REDISCLI_AUTH=${redisPw}`, redis.containerName, 'redis-cli', '--no-auth-warning'], {
      input: [
        ...Array.from({ length: 300 }, (_, i) => `SET key:${i} "value-${i} with spaces"`),
        'HSET user:1 name ada lang en',
        'RPUSH queue a b c',
        'SADD tags x y z',
        'SET CANARY-KEY CANARY-PLAINTEXT-REDIS',
        'SET session:1 temp EX 86400',
        'SELECT 1',
        'SET other-db-key 42',
      ].join('\n'),
      check: true,
    });
    expect(await rcli(redis.containerName, redisPw, 'dbsize')).toBe('305');

    const local = await app.client.databases.openLocal({ id: redis.id });
    expect(local.url).toBe(`redis://default:${encodeURIComponent(redisPw)}@127.0.0.1:${local.localPort}/0`);
    const answer = await talk(local.localPort, `AUTH ${redisPw}\r\nGET key:7\r\n`, /value-7 with spaces\r\n/);
    expect(answer.toString()).toMatch(/^\+OK\r\n\$\d+\r\nvalue-7 with spaces\r\n$/);
  }, 120_000);

  it('scheduled backups of both run on the server while the app is closed, and so does a failing one; after reconnecting: listed, encrypted, and the failure is a notice', async () => {
    target = await app.client.backups.createTarget({ name: 'local s3', endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'eng', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    const down = await app.client.backups.createTarget({ name: 'down', endpoint: `http://${bed.gateway}:1`, region: 'us-east-1', bucket: s3.bucket, prefix: '', pathStyle: true, accessKeyId: 'x', secretAccessKey: 'y' });
    mariaJob = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: maria.id }, targetId: target.id, schedule: '* * * * *' });
    redisJob = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: redis.id }, targetId: target.id, schedule: '* * * * *' });
    badJob = await app.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: redis.id }, targetId: down.id, schedule: '* * * * *' });
    await app.close();
    // OpenPanel is closed: only the scheduler on the server runs these.
    const finished = async (jobId: string) => {
      const r = await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'cat', `/openpanel/runs/${jobId}/state.json`]);
      return r.code === 0 && /"status":"(succeeded|failed)"/.test(r.stdout) ? r.stdout : null;
    };
    const statuses = await waitFor(
      async () => {
        const all = await Promise.all([mariaJob, redisJob, badJob].map((j) => finished(j.id)));
        return all.every(Boolean) ? all : null;
      },
      'the three scheduled runs',
      150_000,
      1000,
    );
    expect(statuses[0]).toContain('"status":"succeeded"');
    expect(statuses[1]).toContain('"status":"succeeded"');
    expect(statuses[2]).toContain('"status":"failed"');

    app = await startTestApp({ dataDir });
    collectNotices(app);
    // Any call connects to the server; the connection brings the notice of the failed run.
    for (const j of [mariaJob, redisJob, badJob]) await app.client.backups.updateJob({ id: j.id, enabled: false });
    const notice = await waitFor(() => notices.find((n) => n.jobId === badJob.id), 'a notice of the failed run', 30_000, 100);
    expect(notice).toMatchObject({ serverId, label: 'cache', recovered: false });
    expect(notice.failedRuns).toBeGreaterThanOrEqual(1);
    expect(notice.error).toMatch(/pipeline exit|connection refused/i);
    expect(notices.filter((n) => n.jobId !== badJob.id)).toEqual([]);
    expect(await app.client.backups.failures()).toEqual([expect.objectContaining({ jobId: badJob.id, label: 'cache', state: 'failed' })]);

    const [m] = await app.client.backups.list({ jobId: mariaJob.id });
    expect(m!.key).toMatch(new RegExp(`^eng/${mariaJob.id}/\\d{8}T\\d{6}Z\\.sql\\.zst\\.age$`));
    expect(m!.manifest).toMatchObject({ kind: 'mariadb', size: m!.size, recipient: target.recipient });
    expect(m!.manifest!.dbVersion).toMatch(/^10\.11/);
    const [r] = await app.client.backups.list({ jobId: redisJob.id });
    expect(r!.key).toMatch(/\.rdb\.zst\.age$/);
    expect(r!.manifest).toMatchObject({ kind: 'redis', dbVersion: expect.stringMatching(/^7\.0\./) });
    for (const [key, canary] of [
      [m!.key, 'CANARY-PLAINTEXT-MARIA'],
      [r!.key, 'CANARY-PLAINTEXT-REDIS'],
    ] as const) {
      const body = await s3Object(key);
      expect(body.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
      expect(body.includes(canary)).toBe(false);
    }
  }, 300_000);

  it('a failure noticed once is not noticed again at the next connection', async () => {
    const first = notices.find((n) => n.jobId === badJob.id)!;
    await app.close();
    notices.length = 0;
    app = await startTestApp({ dataDir });
    collectNotices(app);
    await app.client.backups.status({ serverId });
    await app.services.backups.checkFailures(serverId);
    // Only runs that finished after the first notice may appear (the job was disabled; at most one was under way).
    expect(notices.filter((n) => n.lastFailedAt <= first.lastFailedAt)).toEqual([]);
  }, 60_000);

  it('restores the MariaDB backup into a new database side by side: equal row counts and CHECKSUM TABLE; verify passes', async () => {
    const [latest] = await app.client.backups.list({ jobId: mariaJob.id });
    const r = await app.client.backups.restore({ jobId: mariaJob.id, key: latest!.key, target: { kind: 'database', databaseId: maria.id, dbName: 'shop_restored', replace: false } });
    expect(r.restoredInto).toBe('shop_restored');
    expect(r.tables).toEqual(expect.arrayContaining([{ table: 'items', rows: 2000 }, { table: 'notes', rows: 3 }, { table: 'empty_one', rows: 0 }]));
    const sums = async (db: string) => (await sql(db, 'checksum table items, notes, empty_one')).split('\n').map((l) => l.split('\t')[1]);
    expect(await sums('shop_restored')).toEqual(await sums('shop'));
    expect(await sql('shop_restored', 'select t from notes where id = 1')).toBe('CANARY-PLAINTEXT-MARIA');

    const v = await app.client.backups.verify({ jobId: mariaJob.id, key: latest!.key });
    expect(v).toMatchObject({ passed: true, detail: expect.stringMatching(/row counts and row contents equal/) });
    expect(v.tables).toEqual(expect.arrayContaining([{ table: 'items', expected: 2000, actual: 2000 }, { table: 'notes', expected: 3, actual: 3 }]));
    expect((await app.client.backups.list({ jobId: mariaJob.id }))[0]!.verification?.passed).toBe(true);
    expect(await sql('shop', "select count(*) from information_schema.schemata where schema_name like 'opverify_%'")).toBe('0');

    expect((await rpcError(app.client.backups.restore({ jobId: mariaJob.id, key: latest!.key, target: { kind: 'database', databaseId: maria.id, dbName: 'shop_restored', replace: false } }))).message).toMatch(/already exists/);
    expect((await rpcError(app.client.backups.restore({ jobId: mariaJob.id, key: latest!.key, target: { kind: 'instance', databaseId: maria.id, replace: false } }))).message).toMatch(/target\.kind/);
  }, 180_000);

  it('restores the Redis backup into a new Redis database side by side: same keys, values and TTLs; verify passes', async () => {
    const [latest] = await app.client.backups.list({ jobId: redisJob.id });
    expect((await rpcError(app.client.backups.restore({ jobId: redisJob.id, key: latest!.key, target: { kind: 'instance', databaseId: redis.id, replace: false } }))).message).toMatch(/target\.replace/);
    const copy = await app.client.databases.create({ serverId, engine: 'redis', name: 'cache_restored' });
    const copyPw = (await app.client.databases.connection({ id: copy.id })).password;
    const r = await app.client.backups.restore({ jobId: redisJob.id, key: latest!.key, target: { kind: 'instance', databaseId: copy.id, replace: false } });
    expect(r.restoredInto).toBe('cache_restored');
    expect(r.tables).toEqual(expect.arrayContaining([{ table: 'db0', rows: 305 }, { table: 'db1', rows: 1 }]));
    expect(await redisDigest(copy.containerName, copyPw)).toBe(await redisDigest(redis.containerName, redisPw));
    expect(await rcli(copy.containerName, copyPw, 'get', 'CANARY-KEY')).toBe('CANARY-PLAINTEXT-REDIS');
    // The restored server still requires its own password, and its data survives a restart (it is in its volume).
    await app.client.databases.restart({ id: copy.id });
    expect(await rcli(copy.containerName, copyPw, 'dbsize')).toBe('305');
    expect((await rpcError(app.client.backups.restore({ jobId: redisJob.id, key: latest!.key, target: { kind: 'instance', databaseId: copy.id, replace: false } }))).message).toMatch(/holds 306 keys/);

    const v = await app.client.backups.verify({ jobId: redisJob.id, key: latest!.key });
    expect(v).toMatchObject({ passed: true, tables: [{ table: 'keys', expected: 306, actual: 306 }] });
    expect((await s.exec(['docker', 'ps', '-a', '--filter', 'label=openpanel.role=backup-verify', '-q'], { check: true })).stdout.trim()).toBe('');
  }, 180_000);

  it('"back up now" of MariaDB with progress; a flipped byte fails the restore clearly and leaves nothing behind', async () => {
    const events = [];
    for await (const p of await app.client.backups.runNow({ jobId: mariaJob.id })) events.push(p);
    expect(events.at(-1)).toMatchObject({ phase: 'done' });
    const [latest] = await app.client.backups.list({ jobId: mariaJob.id });
    const body = await s3Object(latest!.key);
    body[body.length - 30] = body[body.length - 30]! ^ 0x01;
    const c = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: latest!.key, Body: body }));
    c.destroy();
    const err = await rpcError(app.client.backups.restore({ jobId: mariaJob.id, key: latest!.key, target: { kind: 'database', databaseId: maria.id, dbName: 'shop_flipped', replace: false } }));
    expect(err.code).toBe('REMOTE_COMMAND_FAILED');
    expect(err.message).toMatch(/cannot be decrypted|sha256/);
    expect(await sql('shop', "select count(*) from information_schema.schemata where schema_name = 'shop_flipped'")).toBe('0');
  }, 120_000);

  it('no password reached the argv of any exec the app ran in the containers (Docker events of the whole file)', async () => {
    // Positive control: an exec with a planted argument shows up in the recording.
    await s.exec(['docker', 'exec', maria.containerName, 'true', 'PLANTED-ARGV-CANARY'], { check: true });
    const log = await waitFor(
      async () => {
        const r = (await s.exec(['cat', EXEC_LOG], { check: true })).stdout;
        return r.includes('PLANTED-ARGV-CANARY') ? r : null;
      },
      'the planted exec in the Docker events',
      15_000,
      200,
    );
    // The app's readiness probes, version queries, restores and verifies are there, as sent...
    expect(log).toContain('exec_create: mariadb --protocol=TCP -h 127.0.0.1 -u root -N -B -D shop -e select 1');
    expect(log).toContain('exec_create: redis-cli -h 127.0.0.1 --no-auth-warning ping');
    expect(log).toMatch(/exec_create: mariadb --protocol=TCP -h 127\.0\.0\.1 -u root --binary-mode -D opverify_/);
    expect(log.split('\n').length).toBeGreaterThan(50);
    // ...and no password in any of them (they travel in the exec's environment).
    const copyPw = (await app.client.databases.connection({ id: (await app.client.databases.list({ serverId })).find((d) => d.name === 'cache_restored')!.id })).password;
    for (const [name, pw] of Object.entries({ mariaPw, redisPw, copyPw })) expect(log.includes(pw), name).toBe(false);
  }, 60_000);
});
