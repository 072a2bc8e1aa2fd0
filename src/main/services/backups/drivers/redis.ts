import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AppError, errorMessage } from '../../core/errors.ts';
import type { DockerClient } from '../../docker/client.ts';
import { execChecked, execInContainer } from '../../docker/exec.ts';
import { ensureImage } from '../../docker/images.ts';
import { LABELS, ROLES } from '../../docker/labels.ts';
import { DATA_IMAGE_MAPPING } from '../../databases/service.ts';
import { decompressed } from '../codec.ts';
import { causeOf, checkKind } from './common.ts';
import type { InstanceDriver } from './types.ts';

/** A Redis container, reached with its own redis-cli (the password, if any, in REDISCLI_AUTH). */
export interface RedisTarget {
  container: string;
  password: string | null;
}

export async function redisCli(client: DockerClient, t: RedisTarget, args: string[], what: string): Promise<string> {
  return execChecked(client, t.container, ['redis-cli', '-h', '127.0.0.1', '--no-auth-warning', ...args], what, { env: t.password ? [`REDISCLI_AUTH=${t.password}`] : [] });
}

/** Keys per logical database (`db0` → n) from INFO keyspace. */
export async function redisKeys(client: DockerClient, t: RedisTarget): Promise<Map<string, number>> {
  const out = await redisCli(client, t, ['info', 'keyspace'], 'counting keys');
  const m = new Map<string, number>();
  for (const line of out.split(/\r?\n/)) {
    const r = /^(db\d+):keys=(\d+)/.exec(line);
    if (r) m.set(r[1]!, Number(r[2]));
  }
  return m;
}

export const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

async function configGet(client: DockerClient, t: RedisTarget, name: string): Promise<string> {
  const lines = (await redisCli(client, t, ['config', 'get', name], `reading ${name}`)).split(/\r?\n/);
  const v = lines[1]?.trim();
  if (!v) throw new AppError('REMOTE_COMMAND_FAILED', `redis did not report its ${name}`);
  return v;
}

/**
 * Puts an RDB in place of a running Redis's dataset: the file is streamed next to its dump file; once `checked`
 * resolves (the backup's digests match its manifest) automatic snapshots are switched off (so nothing overwrites
 * it, and the stop below saves nothing), the file is renamed over the dump file, and `restart` (given the file's
 * path) stops and starts the container, which loads it. The caller waits until it is ready.
 */
export async function redisLoadRdb(client: DockerClient, t: RedisTarget, plain: Readable, checked: Promise<unknown>, restart: (path: string) => Promise<void>): Promise<void> {
  const dir = await configGet(client, t, 'dir');
  const file = await configGet(client, t, 'dbfilename');
  if (!dir.startsWith('/') || file.includes('/')) throw new AppError('REMOTE_COMMAND_FAILED', `unexpected redis dir ${dir} or dbfilename ${file}`);
  const tmp = `${dir}/.openpanel-restore.rdb`;
  try {
    const w = await execInContainer(client, t.container, ['sh', '-c', 'cat > "$0"', tmp], { stdin: plain, maxCollect: 20_000 });
    if (w.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `writing the RDB into ${t.container} failed: ${w.stderr.trim().slice(-400)}`);
    await checked;
  } catch (e) {
    await execInContainer(client, t.container, ['rm', '-f', tmp]).catch(() => {});
    throw e;
  }
  const save = (await redisCli(client, t, ['config', 'get', 'save'], 'reading save')).split(/\r?\n/)[1] ?? '';
  await redisCli(client, t, ['config', 'set', 'save', ''], 'pausing snapshots');
  // A snapshot already being written (a save point reached just before) would rename itself over the restored file.
  for (let i = 0; ; i++) {
    const info = await redisCli(client, t, ['info', 'persistence'], 'reading the snapshot state');
    if (!/^rdb_bgsave_in_progress:1/m.test(info)) break;
    if (i >= 600) {
      await redisCli(client, t, ['config', 'set', 'save', save], 'resuming snapshots').catch(() => {});
      await execInContainer(client, t.container, ['rm', '-f', tmp]).catch(() => {});
      throw new AppError('TIMEOUT', `${t.container} was still writing a snapshot after 60 s; nothing was replaced, try again`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await redisCli(client, t, ['config', 'set', 'appendonly', 'no'], 'pausing the append-only file');
  const path = `${dir}/${file}`;
  await execChecked(client, t.container, ['mv', '-f', tmp, path], 'putting the RDB in place');
  await restart(path);
}

/** `redis-check-rdb` in the container: the RDB's own checksum is checked and its keys counted by Redis's loader. */
export async function redisCheckRdb(client: DockerClient, container: string, path: string): Promise<number> {
  const r = await execInContainer(client, container, ['redis-check-rdb', path]);
  const m = /(\d+) keys read/.exec(r.stdout + r.stderr);
  if (r.code !== 0 || !m) throw new AppError('REMOTE_COMMAND_FAILED', `redis-check-rdb rejected the backup: ${(r.stdout + r.stderr).trim().slice(-400)}`);
  return Number(m[1]);
}

const KINDS = ['redis'];

/**
 * Redis (a whole instance): the RDB replaces the dataset of a managed Redis: an empty one side by side, or, with
 * `replace`, one holding data (including the source itself). The digests are checked before anything is replaced.
 * Verify: a throwaway Redis container (same image, no network, no snapshots) loads the RDB; `redis-check-rdb`
 * counts the keys in the file (and checks its CRC), the loaded server must hold exactly that many; digests match.
 */
export const redisDriver: InstanceDriver = {
  scope: 'instance',

  async restore(ctx, ref, row, replace) {
    const source = ctx.job(ref.jobId).source;
    if (source.kind === 'database' && source.databaseId === row.id && !replace) {
      throw new AppError('CONFLICT', `target.replace: ${row.name} is the database this backup came from; restore into another Redis database side by side, or set replace to overwrite it`);
    }
    const client = await ctx.client(row.serverId);
    const t: RedisTarget = { container: row.containerName, password: await ctx.databases.password(row) };
    const before = total(await redisKeys(client, t));
    if (before > 0 && !replace) throw new AppError('CONFLICT', `target.databaseId: ${row.name} holds ${before} keys; restore into an empty Redis database side by side, or set replace`);
    const b = await ctx.open(ref.jobId, ref.key);
    checkKind(b.manifest?.kind, KINDS, 'a Redis one');
    let done: Awaited<typeof b.done>;
    try {
      await redisLoadRdb(client, t, decompressed(b), b.done, async () => {
        const c = client.api.getContainer(row.containerName);
        await c.stop({ t: 10 }).catch(() => {});
        await c.start();
      });
      done = await b.done;
    } catch (e) {
      throw await causeOf(b, e);
    }
    await ctx.databases.waitReady(client, row);
    const keys = await redisKeys(client, t);
    return { restoredInto: row.name, bytes: done.bytes, plainSha256: done.plainSha256, tables: [...keys].map(([table, rows]) => ({ table, rows })) };
  },

  async verify(ctx, ref, row, at) {
    const client = await ctx.client(row.serverId);
    const name = `openpanel-verify-${randomBytes(4).toString('hex')}`;
    const t: RedisTarget = { container: name, password: null };
    let created = false;
    try {
      const image = ctx.databases.resolve(row.serverId, row.image);
      await ensureImage(client.api, image, DATA_IMAGE_MAPPING);
      const b = await ctx.open(ref.jobId, ref.key);
      checkKind(b.manifest?.kind, KINDS, 'a Redis one');
      const c = await client.api.createContainer({
        name,
        Image: image,
        Cmd: ['redis-server', '--save', '', '--appendonly', 'no'],
        Labels: { [LABELS.role]: ROLES.backupVerify },
        HostConfig: { NetworkMode: 'none' },
      });
      created = true;
      await c.start();
      const ready = async () => {
        for (let i = 0; i < 120; i++) {
          if (/PONG/.test(await redisCli(client, t, ['ping'], 'ping').catch(() => ''))) return;
          await new Promise((r) => setTimeout(r, 250));
        }
        throw new AppError('TIMEOUT', 'the throwaway Redis did not start within 30 s');
      };
      await ready();
      let expected = -1;
      try {
        await redisLoadRdb(client, t, decompressed(b), b.done, async (path) => {
          expected = await redisCheckRdb(client, name, path);
          await c.stop({ t: 10 });
          await c.start();
        });
      } catch (e) {
        throw await causeOf(b, e);
      }
      const done = await b.done;
      await ready();
      const actual = total(await redisKeys(client, t));
      return {
        passed: actual === expected,
        detail:
          actual === expected
            ? `loaded ${done.bytes} bytes into a throwaway Redis: ${actual} keys, as redis-check-rdb counted in the file; digests match the manifest`
            : `the throwaway Redis holds ${actual} keys, the file has ${expected}`,
        tables: [{ table: 'keys', expected, actual }],
        at,
      };
    } catch (e) {
      return { passed: false, detail: errorMessage(e), tables: [], at };
    } finally {
      if (created) await client.api.getContainer(name).remove({ force: true, v: true }).catch(() => {});
    }
  },
};
