import { describe, expect, it } from 'vitest';
import { RunLines } from './runs.ts';

describe('RunLines (stderr of backup.sh during "back up now")', () => {
  it('turns byte counts into progress with the estimate, across chunk boundaries, and keeps the key and the failure', () => {
    const lines = new RunLines();
    expect(lines.feed('estimate 4096\n10')).toEqual([]);
    expect(lines.feed('48576 bytes (1.0 MB, 1.0 MiB) copied\n2097152 bytes\n')).toEqual([
      { phase: 'running', step: 'dumping', progress: 99, bytes: 1048576, estimate: 4096, key: null, error: null },
      { phase: 'running', step: 'dumping', progress: 99, bytes: 2097152, estimate: 4096, key: null, error: null },
    ]);
    expect(lines.feed('retention: deleted x\ndone prod/job_a/20260101T000000Z.sql.gz.age 1234\n')).toEqual([]);
    expect(lines.key).toBe('prod/job_a/20260101T000000Z.sql.gz.age');
    expect(lines.failure).toBeNull();
    lines.feed('backup failed: pipeline exit 1: no route\n');
    expect(lines.failure).toBe('pipeline exit 1: no route');
  });

  it('progress is the share of the estimate (below 100 until the run is done); an estimate of 0 is unknown', () => {
    const lines = new RunLines();
    expect(lines.feed('estimate 1000\n250 bytes\n')[0]).toMatchObject({ progress: 25, bytes: 250 });
    const unknown = new RunLines();
    expect(unknown.feed('estimate 0\n5 bytes\n')[0]).toMatchObject({ progress: null, estimate: null });
  });
});
