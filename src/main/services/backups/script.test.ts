import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BACKUP_SCRIPT, renderCrontab, renderJobFile } from './script.ts';

describe('backup script', () => {
  it('is valid bash and reads values without evaluating them', () => {
    expect(spawnSync('bash', ['-n'], { input: BACKUP_SCRIPT }).status).toBe(0);
    expect(BACKUP_SCRIPT).not.toMatch(/\beval\b|\bsource\b|^\. /m);
  });
  it('renders job files as base64 lines and refuses odd keys', () => {
    const f = renderJobFile({ DB_PASSWORD: "x'; rm -rf / #", KIND: 'postgres' });
    expect(f).toBe(`DB_PASSWORD=${Buffer.from("x'; rm -rf / #").toString('base64')}\nKIND=cG9zdGdyZXM=\n`);
    expect(() => renderJobFile({ 'A;B': 'x' })).toThrow();
  });
  it('renders a crontab with enabled jobs only', () => {
    const c = renderCrontab([
      { id: 'job_a', schedule: '0 3 * * *', enabled: true },
      { id: 'job_b', schedule: '* * * * *', enabled: false },
    ]);
    expect(c).toContain('0 3 * * * /openpanel/bin/backup.sh job_a >> /openpanel/status/job_a.log 2>&1');
    expect(c).not.toContain('job_b');
    expect(() => renderCrontab([{ id: 'a b', schedule: '* * * * *', enabled: true }])).toThrow();
  });
});
