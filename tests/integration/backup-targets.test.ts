import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupTarget } from '../../src/shared/contract/index.ts';
import { SCHEDULER_NAME } from '../../src/main/services/backups/scheduler.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { DATA_PACKAGES, startS3, startS3Gate, TOOLS_STANDIN, type S3Gate, type TestS3 } from '../helpers/s3.ts';

describe('backup targets: tested on save, edited, deleted; schedules edited on the server (real s3rver and dockerd)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let gate: S3Gate;
  let app: TestApp;
  let serverId: string;
  let target: BackupTarget;

  const place = () => ({ endpoint: s3.endpoint, region: 'us-east-1', bucket: s3.bucket, prefix: 'tgt', pathStyle: true });
  const onServer = async (path: string) => (await s.exec(['docker', 'exec', SCHEDULER_NAME, 'cat', path], { check: true })).stdout;
  const jobValue = (file: string, key: string) => {
    const line = file.split('\n').find((l) => l.startsWith(`${key}=`));
    return line === undefined ? null : Buffer.from(line.slice(key.length + 1), 'base64').toString('utf8');
  };

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'bktgt' });
    s = await bed.addServer({ name: 'tgt' });
    const base = await s.loadImage('debian', { packages: DATA_PACKAGES });
    await s.exec(['docker', 'tag', base, TOOLS_STANDIN], { check: true });
    s3 = await startS3(bed);
    gate = await startS3Gate(bed, s3);
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'tgt' })).id;
    await app.client.databases.setImages({ serverId, images: { 'openpanel/backup-tools:1': TOOLS_STANDIN } });
  }, 400_000);
  afterAll(async () => {
    await app?.close();
    await gate?.close();
    await s3?.close();
    await bed?.teardown();
  });

  it('tests a target: a probe object written, read back and deleted; each fault named by its field', async () => {
    const ok = await app.client.backups.testTarget({ ...place(), accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    expect(ok).toMatchObject({ passed: true, field: null, step: 'delete' });
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    expect((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tgt/' }))).Contents ?? []).toEqual([]);
    client.destroy();

    const keys = { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey };
    const bucket = await app.client.backups.testTarget({ ...place(), bucket: 'no-such-bucket', ...keys });
    expect(bucket).toMatchObject({ passed: false, step: 'write', field: 'bucket' });
    expect(bucket.detail).toContain('no bucket "no-such-bucket"');
    const keyId = await app.client.backups.testTarget({ ...place(), accessKeyId: 'WRONGKEY', secretAccessKey: s3.secretAccessKey });
    expect(keyId).toMatchObject({ passed: false, field: 'accessKeyId' });
    expect(keyId.detail).toContain('InvalidAccessKeyId');
    // s3rver does not check v4 signatures, so a wrong secret key cannot be shown here (it maps to secretAccessKey).
    const closed = await app.client.backups.testTarget({ ...place(), endpoint: `http://${bed.gateway}:1`, ...keys });
    expect(closed).toMatchObject({ passed: false, step: 'connect', field: 'endpoint' });
    expect(closed.detail).toContain('connection refused');

    gate.refuseUploads = true;
    const denied = await app.client.backups.testTarget({ ...place(), endpoint: gate.endpoint, ...keys });
    gate.refuseUploads = false;
    expect(gate.refused).toBeGreaterThan(0);
    expect(denied).toMatchObject({ passed: false, step: 'write', field: 'accessKeyId' });
    expect(denied.detail).toContain('AccessDenied');
  });

  it('refuses to save an untested target with the field named; saves one that passes', async () => {
    const e = await rpcError(app.client.backups.createTarget({ name: 'typo', ...place(), bucket: 'bakcups', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, test: true }));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.data).toEqual({ issues: [{ path: 'bucket', message: expect.stringContaining('no bucket "bakcups"') }] });
    expect((await app.client.backups.targets()).map((t) => t.name)).not.toContain('typo');
    target = await app.client.backups.createTarget({ name: 'main', ...place(), accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, test: true });
    expect(target.bucket).toBe(s3.bucket);
  });

  it('edits a target keeping the stored keys when left empty; a failing edit is refused and changes nothing', async () => {
    const job = await app.client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'uploads' }, targetId: target.id, schedule: '0 3 * * *' });
    expect(jobValue(await onServer(`/openpanel/jobs/${job.id}.job`), 'PREFIX')).toBe('tgt');

    const bad = await rpcError(app.client.backups.updateTarget({ id: target.id, name: 'typo', ...place(), prefix: 'typo', accessKeyId: 'TYPOKEY', test: true }));
    expect(bad.data).toEqual({ issues: [{ path: 'accessKeyId', message: expect.stringContaining('InvalidAccessKeyId') }] });
    expect((await app.client.backups.targets()).find((t) => t.id === target.id)).toMatchObject({ name: 'main', prefix: 'tgt' });

    const edited = await app.client.backups.updateTarget({ id: target.id, name: 'main edited', ...place(), prefix: 'moved', accessKeyId: '', test: true });
    expect(edited).toMatchObject({ id: target.id, name: 'main edited', prefix: 'moved', recipient: target.recipient });
    expect(await app.client.backups.testTarget({ id: target.id, ...place() })).toMatchObject({ passed: true });
    const file = await onServer(`/openpanel/jobs/${job.id}.job`);
    expect(jobValue(file, 'PREFIX')).toBe('moved');
    expect(jobValue(file, 'SECRET_KEY')).toBe(s3.secretAccessKey);
    expect(jobValue(file, 'ACCESS_KEY')).toBe(s3.accessKeyId);
    await app.client.backups.removeJob({ id: job.id });
  });

  it('edits a schedule, its retention and its target: the crontab and job file on the server change', async () => {
    const other = await app.client.backups.createTarget({ name: 'other', ...place(), prefix: 'other', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    const job = await app.client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'uploads' }, targetId: target.id, schedule: '0 3 * * *' });
    expect(await onServer('/openpanel/crontabs/root')).toContain(`0 3 * * * /openpanel/bin/backup.sh ${job.id} `);
    const updated = await app.client.backups.updateJob({ id: job.id, schedule: '17 4 * * 1', retention: { keepLast: 3, keepDays: 30 }, targetId: other.id });
    expect(updated).toMatchObject({ schedule: '17 4 * * 1', keepLast: 3, keepDays: 30, targetId: other.id });
    const crontab = await onServer('/openpanel/crontabs/root');
    expect(crontab).toContain(`17 4 * * 1 /openpanel/bin/backup.sh ${job.id} `);
    expect(crontab).not.toContain('0 3 * * *');
    const file = await onServer(`/openpanel/jobs/${job.id}.job`);
    expect([jobValue(file, 'PREFIX'), jobValue(file, 'KEEP_LAST'), jobValue(file, 'KEEP_DAYS')]).toEqual(['other', '3', '30']);

    await app.client.backups.removeJob({ id: job.id });
    expect(await onServer('/openpanel/crontabs/root')).not.toContain(job.id);
    await app.client.backups.removeTarget({ id: other.id });
  });

  it('refuses to delete a target while jobs use it, naming them; deletes it with its jobs when asked', async () => {
    const job = await app.client.backups.createJob({ serverId, source: { kind: 'volume', volume: 'uploads' }, targetId: target.id, schedule: '5 5 * * *' });
    const refused = await rpcError(app.client.backups.removeTarget({ id: target.id }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toContain('volume uploads');
    expect((await app.client.backups.targets()).map((t) => t.id)).toContain(target.id);
    expect(await onServer('/openpanel/crontabs/root')).toContain(job.id);

    expect(await app.client.backups.removeTarget({ id: target.id, removeJobs: true })).toEqual({ removed: true, removedJobs: [job.id] });
    expect((await app.client.backups.targets()).map((t) => t.id)).not.toContain(target.id);
    expect(await app.client.backups.jobs({})).toEqual([]);
    expect(await onServer('/openpanel/crontabs/root')).not.toContain(job.id);
  });
});
