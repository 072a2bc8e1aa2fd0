import { describe, expect, it } from 'vitest';
import { cronInterval, keptSince, labelValue, scheduleMetrics } from './signals.ts';

describe('cronInterval: the longest gap between consecutive firings', () => {
  it('is the period of regular schedules', () => {
    expect(cronInterval('* * * * *')).toBe(60);
    expect(cronInterval('*/5 * * * *')).toBe(300);
    expect(cronInterval('0 3 * * *')).toBe(86_400);
    expect(cronInterval('30 2 * * 0')).toBe(7 * 86_400);
    expect(cronInterval('0 3 * * 7')).toBe(7 * 86_400);
  });

  it('is the longest gap of irregular ones', () => {
    // Friday 9:00 → Monday 9:00.
    expect(cronInterval('0 9 * * 1-5')).toBe(3 * 86_400);
    // 01:00 → 12:00 and 12:00 → 23:00 (23:00 → 01:00 is shorter).
    expect(cronInterval('0 1,12,23 * * *')).toBe(11 * 3600);
    expect(cronInterval('0,10,20 * * * *')).toBe(40 * 60);
    expect(cronInterval('0 0 * * 1,3')).toBe(5 * 86_400);
    // Day of month and weekday both restricted: either fires it (the 1st, and every Sunday).
    expect(cronInterval('0 0 1 * 0')).toBe(7 * 86_400);
  });

  it('counts gaps longer than a week: monthly, yearly, 31st only', () => {
    expect(cronInterval('0 0 1 * *')).toBe(31 * 86_400);
    expect(cronInterval('0 0 1 1 *')).toBe(366 * 86_400);
    // Only months with a 31st: 31 March → 31 May is 61 days (31 July → 31 August is 31).
    expect(cronInterval('0 0 31 * *')).toBe(61 * 86_400);
  });

  it('is null for expressions that are not valid or never fire', () => {
    expect(cronInterval('60 * * * *')).toBeNull();
    expect(cronInterval('0 24 * * *')).toBeNull();
    expect(cronInterval('0 0 5-2 * *')).toBeNull();
    expect(cronInterval('*/0 * * * *')).toBeNull();
    expect(cronInterval('0 0 * *')).toBeNull();
    expect(cronInterval('0 0 30 2 *')).toBeNull();
  });
});

describe('schedule metrics', () => {
  it('escapes label values as the text format requires', () => {
    expect(labelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('writes the interval and since; the next sync reads since back for the same schedule', () => {
    const text = scheduleMetrics({ jobId: 'job_1', jobName: 'shop "main"', database: 'shop', schedule: '0  3 * * *', since: 1700000000 })!;
    expect(text).toContain('openpanel_backup_schedule_interval_seconds{job_id="job_1",job_name="shop \\"main\\"",database="shop"} 86400\n');
    expect(text).toContain('openpanel_backup_scheduled_since_timestamp_seconds{job_id="job_1",job_name="shop \\"main\\"",database="shop"} 1700000000\n');
    const other = scheduleMetrics({ jobId: 'job_2', jobName: 'b', database: '', schedule: '*/5 * * * *', since: 1700000100 })!;
    const read = keptSince(`==> backup-schedule-job_1.prom\n${text}==> backup-schedule-job_2.prom\n${other}`);
    expect(read.get('job_1')).toEqual({ schedule: '0 3 * * *', since: 1700000000 });
    expect(read.get('job_2')).toEqual({ schedule: '*/5 * * * *', since: 1700000100 });
    expect(scheduleMetrics({ jobId: 'j', jobName: 'j', database: '', schedule: '0 0 30 2 *', since: 1 })).toBeNull();
  });
});
