import { describe, expect, it } from 'vitest';
import { CronSchedule } from './backups.ts';

describe('CronSchedule', () => {
  it('accepts five cron fields separated by spaces or tabs', () => {
    for (const c of ['0 3 * * *', '*/15 * * * 1-5', '0\t4 1,15 * *']) expect(CronSchedule.safeParse(c).success, c).toBe(true);
  });

  it('refuses a line break between fields (it would split the crontab line), and anything but cron characters', () => {
    for (const c of ['0 3 * *\n*', '0 3 * * * ; rm -rf /', '@daily', '0 3 * *']) expect(CronSchedule.safeParse(c).success, JSON.stringify(c)).toBe(false);
  });
});
