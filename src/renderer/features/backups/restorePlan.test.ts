import { describe, expect, it } from 'vitest';
import type { BackupJob } from '../../../shared/contract/backups.ts';
import type { ManagedDatabase } from '../../../shared/contract/databases.ts';
import { backupEngine, restorePlan } from './restorePlan.ts';

const db = (id: string, engine: ManagedDatabase['engine'], serverId = 'srv1'): ManagedDatabase => ({
  id, serverId, engine, name: id, image: '', resolvedImage: '', containerName: id, containerId: null, volume: '', network: '', hostPort: 1,
  username: 'app', database: `${id}_db`, limits: { memoryMb: null, cpus: null } as ManagedDatabase['limits'], state: 'running', version: null, createdAt: 0,
});
const job = (databaseId: string): BackupJob => ({ id: 'job1', serverId: 'srv1', source: { kind: 'database', databaseId }, label: databaseId, targetId: 't', schedule: '0 3 * * *', keepLast: 7, keepDays: null, enabled: true, createdAt: 0 });
const servers = new Map([['srv1', 'alpha'], ['srv2', 'beta']]);

describe('restorePlan', () => {
  it('replaces a PostgreSQL database by its own database name, keeping the old one', () => {
    const shop = db('shop', 'postgres');
    const plan = restorePlan(job('shop'), shop, 'postgres', [shop], { mode: 'replace', intoId: '', dbName: '' }, servers);
    expect(plan.target).toEqual({ kind: 'database', databaseId: 'shop', dbName: 'shop_db', replace: true });
    expect(plan.lines.join(' ')).toContain('renamed to "shop_db_before_<time>"');
  });

  it('restores side by side into another server, naming both and leaving the source untouched', () => {
    const shop = db('shop', 'postgres');
    const other = db('pg2', 'postgres', 'srv2');
    const plan = restorePlan(job('shop'), shop, 'postgres', [shop, other], { mode: 'new', intoId: 'pg2', dbName: 'shop_copy' }, servers);
    expect(plan.target).toEqual({ kind: 'database', databaseId: 'pg2', dbName: 'shop_copy', replace: false });
    expect(plan.lines).toEqual([expect.stringContaining('pg2 on beta'), 'shop on alpha is not touched.']);
  });

  it('refuses replace for MariaDB, a bad name, and a Redis restore into its own source without replace', () => {
    const maria = db('m', 'mariadb');
    expect(restorePlan(job('m'), maria, 'mariadb', [maria], { mode: 'replace', intoId: '', dbName: '' }, servers).problem).toContain('side by side only');
    expect(restorePlan(job('m'), maria, 'mariadb', [maria], { mode: 'new', intoId: 'm', dbName: 'Bad-Name' }, servers).problem).toContain('New database name');
    const cache = db('cache', 'redis');
    expect(restorePlan(job('cache'), cache, 'redis', [cache], { mode: 'new', intoId: 'cache', dbName: '' }, servers).problem).toContain('Replace');
    expect(restorePlan(job('cache'), cache, 'redis', [cache], { mode: 'replace', intoId: '', dbName: '' }, servers).target).toEqual({ kind: 'instance', databaseId: 'cache', replace: true });
  });

  it('restores a backup whose database was removed into another one, by the manifest\'s engine; replace is refused', () => {
    const other = db('pg2', 'postgres', 'srv2');
    const engine = backupEngine(undefined, 'postgres');
    expect(engine).toBe('postgres');
    expect(backupEngine(undefined, 'nonsense')).toBeNull();
    const plan = restorePlan(job('gone'), undefined, engine, [other], { mode: 'new', intoId: 'pg2', dbName: 'old_shop' }, servers);
    expect(plan.target).toEqual({ kind: 'database', databaseId: 'pg2', dbName: 'old_shop', replace: false });
    expect(plan.lines).toHaveLength(1);
    expect(restorePlan(job('gone'), undefined, engine, [other], { mode: 'replace', intoId: '', dbName: '' }, servers).problem).toContain('was removed');
  });
});
