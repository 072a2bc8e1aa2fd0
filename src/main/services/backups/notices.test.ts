import { describe, expect, it } from 'vitest';
import type { BackupNotice } from '../../../shared/contract/backups.ts';
import { openStorage } from '../db/index.ts';
import { BackupNotices, type RunRecord } from './notices.ts';

const run = (jobId: string, state: 'ok' | 'failed', finishedAt: number, error: string | null = state === 'failed' ? `boom ${finishedAt}` : null): RunRecord => ({ jobId, state, startedAt: finishedAt - 10, finishedAt, error });

describe('backup notices', () => {
  const jobs = [
    { id: 'job_a', label: 'shop' },
    { id: 'job_b', label: 'cache' },
  ];

  it('gives one notice per job for the failed runs not seen yet, remembers them in SQLite, and keeps them for the next subscriber', () => {
    const storage = openStorage(':memory:');
    const n = new BackupNotices(storage.db);
    const first = n.consider('srv', jobs, [run('job_a', 'ok', 100), run('job_a', 'failed', 200), run('job_a', 'failed', 300), run('job_b', 'ok', 150), run('other', 'failed', 400)]);
    expect(first).toEqual([{ id: 'job_a/300', serverId: 'srv', jobId: 'job_a', label: 'shop', failedRuns: 2, lastFailedAt: 300, error: 'boom 300', recovered: false }]);
    expect(n.take()).toEqual(first);
    expect(n.take()).toEqual([]);

    // The same history again (a reconnect, or a new app on the same data): nothing new.
    const again = new BackupNotices(storage.db);
    expect(again.consider('srv', jobs, [run('job_a', 'ok', 100), run('job_a', 'failed', 200), run('job_a', 'failed', 300)])).toEqual([]);

    // A later failure followed by a success: one notice, recovered.
    const live: BackupNotice[] = [];
    again.on('notice', (x) => live.push(x));
    again.consider('srv', jobs, [run('job_a', 'failed', 300), run('job_a', 'failed', 500), run('job_a', 'ok', 600)]);
    expect(live).toEqual([expect.objectContaining({ jobId: 'job_a', failedRuns: 1, lastFailedAt: 500, recovered: true })]);
    expect(again.take()).toEqual([]);
    storage.close();
  });

  it('a watched run marked seen gives no notice', () => {
    const storage = openStorage(':memory:');
    const n = new BackupNotices(storage.db);
    n.markSeen('job_b', 700);
    expect(n.consider('srv', jobs, [run('job_b', 'failed', 700)])).toEqual([]);
    expect(n.consider('srv', jobs, [run('job_b', 'failed', 700), run('job_b', 'failed', 800)])).toHaveLength(1);
    storage.close();
  });
});
