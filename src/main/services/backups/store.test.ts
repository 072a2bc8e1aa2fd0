import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { BackupSource } from '../../../shared/contract/backups.ts';
import { openStorage } from '../db/index.ts';
import { backupJobs } from '../db/schema.ts';
import { BackupStore, readJson, type JobRecord } from './store.ts';

const job = (id: string, serverId: string, source: JobRecord['source']): JobRecord => ({ id, serverId, source, targetId: 'tgt_1', schedule: '0 3 * * *', keepLast: 7, keepDays: null, enabled: true, createdAt: 1 });

describe('BackupStore', () => {
  it('stores jobs with their source and reads the source back checked', () => {
    const { db } = openStorage(':memory:');
    const store = new BackupStore(db);
    store.insertJob(job('job_a', 'srv_1', { kind: 'database', databaseId: 'db_1' }));
    store.insertJob(job('job_b', 'srv_2', { kind: 'volume', volume: 'files' }));
    expect(store.job('job_a').source).toEqual({ kind: 'database', databaseId: 'db_1' });
    expect(store.jobs('srv_2').map((j) => j.source)).toEqual([{ kind: 'volume', volume: 'files' }]);
    expect(store.jobs().map((j) => j.id).sort()).toEqual(['job_a', 'job_b']);
    store.updateJob('job_a', { enabled: false });
    expect(store.job('job_a').enabled).toBe(false);
    expect(() => store.job('job_x')).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'jobId: no backup job job_x' }));
  });

  it('a source that is not a BackupSource is INTERNAL naming the job and the field, not a value of the wrong shape', () => {
    const { db } = openStorage(':memory:');
    const store = new BackupStore(db);
    store.insertJob(job('job_a', 'srv_1', { kind: 'volume', volume: 'files' }));
    db.update(backupJobs).set({ source: '{"kind":"volume"}' }).where(eq(backupJobs.id, 'job_a')).run();
    expect(() => store.job('job_a')).toThrow(expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(/^backup job job_a source: .*volume/) }));
    db.update(backupJobs).set({ source: '{"kind":' }).where(eq(backupJobs.id, 'job_a')).run();
    expect(() => store.jobs()).toThrow(/backup job job_a source: the stored JSON is unreadable/);
  });

  it('keeps one verification per backup object, the latest', () => {
    const { db } = openStorage(':memory:');
    const store = new BackupStore(db);
    store.saveVerification('job_a', 'k1', { passed: false, detail: 'first', tables: [], at: 1 });
    store.saveVerification('job_a', 'k1', { passed: true, detail: 'second', tables: [{ table: 't', expected: 2, actual: 2 }], at: 2 });
    store.saveVerification('job_b', 'k2', { passed: true, detail: 'other job', tables: [], at: 3 });
    expect([...store.verifications('job_a')]).toEqual([['k1', { passed: true, detail: 'second', tables: [{ table: 't', expected: 2, actual: 2 }], at: 2 }]]);
  });

  it('readJson takes JSON text or an already parsed value', () => {
    expect(readJson(BackupSource, { kind: 'volume', volume: 'v' }, 'x')).toEqual({ kind: 'volume', volume: 'v' });
    expect(readJson(BackupSource, '{"kind":"volume","volume":"v"}', 'x')).toEqual({ kind: 'volume', volume: 'v' });
    expect(() => readJson(BackupSource, '"volume"', 'col')).toThrow(/^col: the stored value is not as expected/);
  });
});
