import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupJob, BackupTarget, ManagedDatabase, RunProgress } from '../../src/shared/contract/index.ts';
import { Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';
import { loadDataImages, startS3, type TestS3 } from '../helpers/s3.ts';

const PASSPHRASE = 'recovery passphrase 4711';

describe('backups recoverable without this computer: key export, the age CLI, a second data dir (real dockerd, s3rver, gnome-keyring)', () => {
  let bed: Testbed;
  let s: TestServer;
  let s3: TestS3;
  let a: TestApp;
  let b: TestApp | undefined;
  let files: string;
  let images: Awaited<ReturnType<typeof loadDataImages>>;
  let db: ManagedDatabase;
  let target: BackupTarget;
  let job: BackupJob;
  let key = '';
  let exported: { fileName: string; content: string; recipient: string };
  let itemsMd5 = '';

  const psql = async (container: string, dbName: string, sql: string) =>
    (await s.exec(['docker', 'exec', container, 'psql', '-U', 'app', '-d', dbName, '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { check: true })).stdout.trim();
  const s3Object = async (k: string) => {
    const c = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    return Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: k }))).Body!.transformToByteArray());
  };
  const targetInput = { name: 'offsite', endpoint: '', region: 'us-east-1', bucket: '', prefix: 'keys', pathStyle: true, accessKeyId: '', secretAccessKey: '' };

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'bkkey' });
    s = await bed.addServer({ name: 'data' });
    images = await loadDataImages(s);
    s3 = await startS3(bed);
    Object.assign(targetInput, { endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey });
    files = mkdtempSync(join(tmpdir(), 'openpanel-keys-'));
    a = await startTestApp();
    const serverId = (await addServer(a.client, s, { name: 'data' })).id;
    await a.client.databases.setImages({ serverId, images: { 'postgres:16': images.postgres, 'openpanel/backup-tools:1': images.tools } });
    db = await a.client.databases.create({ serverId, name: 'shop' });
    await psql(db.containerName, 'shop', "create table items (id int primary key, name text); insert into items select g, 'item-' || g from generate_series(1, 300) g; create table notes (t text); insert into notes values ('CANARY-KEY-EXPORT-7')");
    itemsMd5 = await psql(db.containerName, 'shop', "select count(*) || ':' || md5(string_agg(id || ':' || name, ',' order by id)) from items");
    target = await a.client.backups.createTarget(targetInput);
    job = await a.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: db.id }, targetId: target.id, schedule: '0 0 1 1 *' });
    let last: RunProgress | null = null;
    for await (const p of await a.client.backups.runNow({ jobId: job.id })) last = p;
    expect(last).toMatchObject({ phase: 'done' });
    key = last!.key!;
  }, 600_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await s3?.close();
    await bed?.teardown();
    if (files) rmSync(files, { recursive: true, force: true });
  });

  it('says where the key is: the keychain entry and its public recipient', async () => {
    const info = await a.client.backups.keyInfo({ id: target.id });
    expect(info).toMatchObject({ targetId: target.id, recipient: target.recipient, backend: 'keychain', service: 'openpanel' });
    expect(info.where).toContain(`account "${info.account}"`);
    // The entry named is the one that holds the key: the keychain gives the same key back under that account.
    const { identity } = await a.client.backups.revealKey({ id: target.id });
    expect(await a.services.secrets.get(info.account)).toBe(identity);
  });

  it('exports the key under a passphrase: the plain age CLI opens the file and decrypts a real backup from S3', async () => {
    await expect(rpcError(a.client.backups.exportKey({ id: target.id, passphrase: 'short' }))).resolves.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/passphrase: expected at least 10 characters/) });
    exported = await a.client.backups.exportKey({ id: target.id, passphrase: PASSPHRASE });
    expect(exported.content.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
    expect(exported.content).not.toContain('AGE-SECRET-KEY');
    writeFileSync(join(files, 'key.age'), exported.content);
    writeFileSync(join(files, 'backup.sql.zst.age'), await s3Object(key));
    // age reads an identity file's passphrase from the terminal: `script` gives it one.
    const cmd = `age -d -i ${join(files, 'key.age')} -o ${join(files, 'backup.sql.zst')} ${join(files, 'backup.sql.zst.age')}`;
    execFileSync('script', ['-qec', cmd, '/dev/null'], { input: `${PASSPHRASE}\n`, timeout: 60_000 });
    const dump = zstdDecompressSync(readFileSync(join(files, 'backup.sql.zst'))).toString('utf8');
    expect(dump).toContain('CANARY-KEY-EXPORT-7');
    expect(dump).toContain('item-300');
  }, 120_000);

  it('the printable recovery text is an identity file for `age -d -i key.txt file.zst.age | zstd -d`', async () => {
    const { text, recipient } = await a.client.backups.recoveryText({ id: target.id });
    expect(recipient).toBe(target.recipient);
    expect(text).toContain(`# public key: ${target.recipient}`);
    expect(text).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/m);
    writeFileSync(join(files, 'key.txt'), text, { mode: 0o600 });
    const dump = execFileSync('sh', ['-c', 'age -d -i "$1" "$2" | zstd -d', 'sh', join(files, 'key.txt'), join(files, 'backup.sql.zst.age')]).toString('utf8');
    expect(dump).toContain('CANARY-KEY-EXPORT-7');
    // Positive control: another key cannot open the backup.
    const other = execFileSync('age-keygen').toString();
    writeFileSync(join(files, 'other.txt'), other, { mode: 0o600 });
    expect(() => execFileSync('age', ['-d', '-i', join(files, 'other.txt'), join(files, 'backup.sql.zst.age')], { stdio: 'pipe' })).toThrow(/no identity matched/);
  });

  it('a second data dir (its own vault, no access to the first keychain) restores the backup after importing the exported key', async () => {
    await a.close();
    // The first computer is gone, and so is the database: only the server and S3 are left.
    await s.exec(['docker', 'rm', '-f', db.containerName], { check: true });
    await s.exec(['docker', 'volume', 'rm', db.volume], { check: true });
    b = await startTestApp({ secretBackend: 'vault' });
    await b.client.secrets.createVault({ passphrase: 'second computer vault' });
    const serverId = (await addServer(b.client, s, { name: 'data' })).id;
    await b.client.databases.setImages({ serverId, images: { 'postgres:16': images.postgres, 'openpanel/backup-tools:1': images.tools } });
    const fresh = await b.client.databases.create({ serverId, name: 'recovered' });
    const mine = await b.client.backups.createTarget(targetInput);
    expect(mine.recipient).not.toBe(target.recipient);
    expect(await b.client.backups.foreignJobs({ id: mine.id })).toEqual([expect.objectContaining({ jobId: job.id, backups: 1, latestKey: key, kind: 'postgres' })]);
    const adopted = await b.client.backups.createJob({ serverId, source: { kind: 'database', databaseId: fresh.id }, targetId: mine.id, schedule: '0 0 1 1 *', adopt: job.id });
    expect(adopted.id).toBe(job.id);
    expect(await b.client.backups.foreignJobs({ id: mine.id })).toEqual([]);
    expect((await b.client.backups.list({ jobId: job.id })).map((o) => o.key)).toContain(key);
    const into = { kind: 'database' as const, databaseId: fresh.id, dbName: 'shop_restored', replace: false };
    // Without the key the backup cannot be opened here.
    expect(await rpcError(b.client.backups.restore({ jobId: job.id, key, target: into }))).toMatchObject({ message: expect.stringMatching(/cannot be decrypted/) });

    const preview = await b.client.backups.previewKey({ id: mine.id, content: exported.content, passphrase: PASSPHRASE });
    expect(preview).toMatchObject({ current: mine.recipient, recipient: target.recipient, same: false });
    expect(await rpcError(b.client.backups.previewKey({ id: mine.id, content: exported.content, passphrase: 'not the passphrase' }))).toMatchObject({ code: 'VAULT_WRONG_PASSPHRASE' });
    // A different key is never replaced silently: both recipients are named and the current one must be echoed.
    const refused = await rpcError(b.client.backups.importKey({ id: mine.id, content: exported.content, passphrase: PASSPHRASE }));
    expect(refused).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/^replace: /) });
    expect(refused.message).toContain(mine.recipient);
    expect(refused.message).toContain(target.recipient);
    expect((await b.client.backups.keyInfo({ id: mine.id })).recipient).toBe(mine.recipient);
    const installed = await b.client.backups.importKey({ id: mine.id, content: exported.content, passphrase: PASSPHRASE, replace: mine.recipient });
    expect(installed).toMatchObject({ recipient: target.recipient, replaced: mine.recipient, changed: true });
    expect((await b.client.backups.keyInfo({ id: mine.id })).recipient).toBe(target.recipient);
    // The scheduler on the server now encrypts this job's backups to the installed key.
    const jobFile = (await s.exec(['docker', 'exec', 'openpanel-backup-scheduler', 'cat', `/openpanel/jobs/${job.id}.job`], { check: true })).stdout;
    const recipientLine = jobFile.split('\n').find((l) => l.startsWith('RECIPIENT='));
    expect(Buffer.from(recipientLine!.slice('RECIPIENT='.length), 'base64').toString('utf8')).toBe(target.recipient);

    const r = await b.client.backups.restore({ jobId: job.id, key, target: into });
    expect(r.restoredInto).toBe('shop_restored');
    expect(await psql(fresh.containerName, 'shop_restored', "select count(*) || ':' || md5(string_agg(id || ':' || name, ',' order by id)) from items")).toBe(itemsMd5);
    expect(await psql(fresh.containerName, 'shop_restored', 'select t from notes')).toBe('CANARY-KEY-EXPORT-7');
    // The same key again changes nothing.
    expect(await b.client.backups.importKey({ id: mine.id, content: exported.content, passphrase: PASSPHRASE })).toMatchObject({ changed: false });
  }, 400_000);
});
