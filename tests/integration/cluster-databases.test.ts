import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { zstdDecompressSync } from 'node:zlib';
import { Decrypter } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupTarget, ManagedDatabase, RunProgress } from '../../src/shared/contract/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { CANARY, canaries, hostileVariants, removeCanaries } from '../helpers/hostile.ts';
import { DATA_PACKAGES, dataImageMapping, loadDataImages, startS3, type TestS3 } from '../helpers/s3.ts';
import { addServer } from '../helpers/servers.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';

/** Inside the bed's /16 and clear of its links and Docker ranges (as in cluster.test.ts). */
const POOL = '10.231.240.0/20';
const LABEL = 'openpanel.database.id';

let bed: Testbed;
let a: TestServer;
let b: TestServer;
let s3: TestS3;
let app: TestApp;
let clientImage = '';
const ids: Record<string, string> = {};
let clusterId = '';
let bNode = '';
let db: ManagedDatabase;
let target: BackupTarget;

/** The database's task containers on a server, found by label (Swarm names them op-db-<name>.1.<task id>). */
const taskContainers = async (s: TestServer, id: string) =>
  (await s.exec(['docker', 'ps', '-a', '--filter', `label=${LABEL}=${id}`, '--filter', 'label=openpanel.role=database', '--format', '{{.Names}} {{.State}}'], { check: true })).stdout.split('\n').filter(Boolean);
const runningTask = async (s: TestServer, id: string) => (await taskContainers(s, id)).find((l) => l.endsWith(' running'))?.split(' ')[0] ?? null;
const psqlOnB = async (dbName: string, sql: string) => {
  const c = await runningTask(b, db.id);
  if (!c) throw new Error('no running task of the database on b');
  return (await b.exec(['docker', 'exec', c, 'psql', '-U', 'app', '-d', dbName, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { check: true })).stdout.trim();
};
const s3Client = () => new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });

beforeAll(async () => {
  bed = await Testbed.create({ prefix: 'cdb' });
  [a, b] = (await bed.addServers([
    { name: 'a', images: ['busybox'] },
    { name: 'b', images: ['busybox'] },
  ])) as [TestServer, TestServer];
  // b runs the database (stand-ins built there); a only needs a psql client for the task that asks by name.
  const [images, client] = await Promise.all([loadDataImages(b), a.loadImage('debian', { packages: DATA_PACKAGES })]);
  clientImage = client;
  s3 = await startS3(bed);
  app = await startTestApp();
  for (const s of [a, b]) ids[s.name] = (await addServer(app.client, s, { name: s.name })).id;
  await app.client.databases.setImages({ serverId: ids.b as string, images: dataImageMapping(images) });
  const created = await app.client.cluster.create({
    name: 'data',
    members: [
      { serverId: ids.a as string, role: 'manager' },
      { serverId: ids.b as string, role: 'worker' },
    ],
    addrPool: POOL,
  });
  clusterId = created.id;
  bNode = created.nodes.find((n) => n.serverId === ids.b)?.id ?? '';
  expect(bNode).not.toBe('');
}, 400_000);

afterAll(async () => {
  await app?.close();
  await s3?.close();
  await bed?.teardown();
});

describe('databases on a cluster, pinned to one node', () => {
  it('refuses bad and hostile input naming the field; nothing reaches a node', async () => {
    await b.exec(['touch', `${CANARY}-control`], { check: true });
    expect(await canaries(b)).toEqual([`${CANARY}-control`]);
    await removeCanaries(b);
    const base = () => ({ clusterId, serverId: ids.b as string, name: 'shop' });
    for (const { value } of hostileVariants().filter((_, i) => i % 3 === 0)) {
      const cases: [string, () => Promise<unknown>][] = [
        ['name', () => app.client.databases.createOnCluster({ ...base(), name: value })],
        ['version', () => app.client.databases.createOnCluster({ ...base(), version: value })],
        ['clusterId', () => app.client.databases.createOnCluster({ ...base(), clusterId: value })],
        ['serverId', () => app.client.databases.createOnCluster({ ...base(), serverId: value })],
      ];
      for (const [field, call] of cases) {
        const e = await rpcError(call());
        expect(e.code, `${field} ← ${JSON.stringify(value)}`).toBe('INPUT_INVALID');
        expect(e.message, `${field} ← ${JSON.stringify(value)}`).toContain(field);
      }
    }
    const redis = await rpcError(app.client.databases.createOnCluster({ ...base(), engine: 'redis' as never }));
    expect(redis).toMatchObject({ code: 'INPUT_INVALID' });
    expect(redis.message).toContain('engine');
    const stranger = await rpcError(app.client.databases.createOnCluster({ ...base(), serverId: 'srv_notamember' }));
    expect(stranger.code).toBe('INPUT_INVALID');
    expect(stranger.message).toMatch(/^serverId: .*not a member of cluster/);
    expect(await canaries(a)).toEqual([]);
    expect(await canaries(b)).toEqual([]);
    expect((await b.exec(['docker', 'ps', '-aq', '--filter', `label=${LABEL}`], { check: true })).stdout.trim()).toBe('');
  }, 120_000);

  it('creates PostgreSQL pinned to b from the manager a: one replica, node constraint, local volume, dnsrr on the apps network', async () => {
    db = await app.client.databases.createOnCluster({ clusterId, serverId: ids.b as string, name: 'shop' });
    expect(db).toMatchObject({ serverId: ids.b, state: 'running', network: 'openpanel-cluster-apps', volume: 'op-db-shop-data', resolvedImage: 'openpanel-test/postgres:15' });
    expect(db.cluster).toMatchObject({ clusterId, service: 'op-db-shop', nodeId: bNode, reason: null });
    expect(db.version).toMatch(/^15\./);
    const spec = JSON.parse((await a.exec(['docker', 'service', 'inspect', 'op-db-shop'], { check: true })).stdout)[0].Spec;
    expect(spec.Mode.Replicated.Replicas).toBe(1);
    expect(spec.TaskTemplate.Placement.Constraints).toEqual([`node.id==${bNode}`]);
    expect(spec.EndpointSpec.Mode).toBe('dnsrr');
    expect(spec.TaskTemplate.ContainerSpec.Mounts).toEqual([expect.objectContaining({ Type: 'volume', Source: 'op-db-shop-data', Target: '/var/lib/postgresql/data' })]);
    // The task is on b only: its container (by label, Swarm's task name) and its volume.
    const tasks = await taskContainers(b, db.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatch(/^op-db-shop\.1\.[a-z0-9]+ running$/);
    expect(await taskContainers(a, db.id)).toEqual([]);
    expect((await b.exec(['docker', 'volume', 'inspect', 'op-db-shop-data'])).code).toBe(0);
    expect((await a.exec(['docker', 'volume', 'inspect', 'op-db-shop-data'])).code).not.toBe(0);
    const nodes = (await a.exec(['docker', 'service', 'ps', 'op-db-shop', '--filter', 'desired-state=running', '--format', '{{.Node}}'], { check: true })).stdout.trim();
    expect(nodes).toBe('b');
    // The loopback port on b is the database (what the backup scheduler and port forwards use).
    const port = JSON.parse((await b.exec(['docker', 'inspect', 'op-db-shop-port'], { check: true })).stdout)[0].HostConfig.PortBindings['5432/tcp'][0];
    expect(port).toEqual({ HostIp: '127.0.0.1', HostPort: String(db.hostPort) });
    await psqlOnB('shop', "create table items (id int primary key, name text); insert into items select g, 'item-' || g from generate_series(1, 500) g");
    expect((await app.client.databases.list({ serverId: ids.b as string })).map((d) => d.name)).toEqual(['shop']);
  }, 180_000);

  it('a task on a reaches it by name over the apps network with the connection the app gives', async () => {
    const conn = await app.client.databases.connection({ id: db.id });
    expect(conn).toMatchObject({ host: 'shop', port: 5432, network: 'openpanel-cluster-apps' });
    const r = await a.exec(['docker', 'run', '--rm', '--network', conn.network, '-e', `OP_URL=${conn.internalUrl}`, clientImage, 'sh', '-c', 'psql "$OP_URL" -At -c "select count(*), max(name) from items"'], { check: true, timeoutMs: 60_000 });
    expect(r.stdout.trim()).toBe('500|item-99');
  }, 90_000);

  it('backs up now on b (the node that hosts the task): the object in S3 decrypts, and restores next to the database', async () => {
    target = await app.client.backups.createTarget({ name: 'cluster s3', endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'cl', pathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    const job = await app.client.backups.createJob({ serverId: ids.b as string, source: { kind: 'database', databaseId: db.id }, targetId: target.id, schedule: '0 3 * * *' });
    const events: RunProgress[] = [];
    for await (const p of await app.client.backups.runNow({ jobId: job.id })) events.push(p);
    expect(events.at(-1)).toMatchObject({ phase: 'done' });
    // The scheduler ran on b, not on the manager.
    expect((await b.exec(['docker', 'inspect', 'openpanel-backup-scheduler'])).code).toBe(0);
    expect((await a.exec(['docker', 'inspect', 'openpanel-backup-scheduler'])).code).not.toBe(0);
    const [latest] = await app.client.backups.list({ jobId: job.id });
    expect(latest?.manifest).toMatchObject({ kind: 'postgres', recipient: target.recipient });
    const body = Buffer.from(await (await s3Client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: latest!.key }))).Body!.transformToByteArray());
    expect(body.includes('item-1')).toBe(false);
    const { identity } = await app.client.backups.revealKey({ id: target.id });
    const d = new Decrypter();
    d.addIdentity(identity.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!);
    const dump = zstdDecompressSync(Buffer.from(await d.decrypt(body))).toString();
    expect(dump).toContain('COPY public.items');
    expect(dump).toContain('item-500');
    const r = await app.client.backups.restore({ jobId: job.id, key: latest!.key, target: { kind: 'database', databaseId: db.id, dbName: 'shop_restored', replace: false } });
    expect(r.tables).toEqual(expect.arrayContaining([{ table: 'public.items', rows: 500 }]));
    const q = "select md5(string_agg(id || ':' || name, ',' order by id)) from items";
    expect(await psqlOnB('shop_restored', q)).toBe(await psqlOnB('shop', q));
  }, 240_000);

  it('refuses to move it to another node (its volume is local), and the task stays on b', async () => {
    const e = await rpcError(app.client.databases.moveToNode({ id: db.id, serverId: ids.a as string }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/^serverId: shop stays on its node: its data is a volume local to that node/);
    expect(await runningTask(b, db.id)).not.toBeNull();
    expect(await taskContainers(a, db.id)).toEqual([]);
  });

  it('draining b stops it with the reason shown (the constraint keeps it off a); activating b runs it again', async () => {
    await app.client.cluster.updateNode({ clusterId, nodeId: bNode, availability: 'drain' });
    const stopped = await waitFor(
      async () => {
        // Right after the drain Swarm may not have made the replacement task yet ("no task is meant to run"):
        // wait for the pending one it cannot place.
        const v = await app.client.databases.get({ id: db.id });
        return v.state === 'pending' && v.cluster?.reason ? v : null;
      },
      'the database shown not running with a reason while b is drained',
      60_000,
      500,
    );
    expect(stopped.state).toBe('pending');
    expect(stopped.cluster?.reason).toMatch(/no suitable node/);
    expect(await runningTask(b, db.id)).toBeNull();
    expect(await taskContainers(a, db.id)).toEqual([]);
    await app.client.cluster.updateNode({ clusterId, nodeId: bNode, availability: 'active' });
    const back = await waitFor(async () => ((await app.client.databases.get({ id: db.id })).state === 'running' ? true : null), 'the database running again on b', 60_000, 500);
    expect(back).toBe(true);
    await app.client.databases.restart({ id: db.id });
    expect(await psqlOnB('shop', 'select count(*) from items')).toBe('500');
  }, 180_000);

  it('removes the service, the port container, the volume and the record', async () => {
    const out = await app.client.databases.remove({ id: db.id, removeVolume: true });
    expect(out.removed).toBe(true);
    expect((await a.exec(['docker', 'service', 'inspect', 'op-db-shop'])).code).not.toBe(0);
    expect(await taskContainers(b, db.id)).toEqual([]);
    expect((await b.exec(['docker', 'inspect', 'op-db-shop-port'])).code).not.toBe(0);
    expect((await b.exec(['docker', 'volume', 'inspect', 'op-db-shop-data'])).code).not.toBe(0);
    expect(await app.client.databases.list({ serverId: ids.b as string })).toEqual([]);
  }, 120_000);
});
