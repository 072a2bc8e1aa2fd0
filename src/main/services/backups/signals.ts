import { METRICS, TEXTFILE_WRITE_DIR, TEXTFILES, WATCH_VOLUMES } from '../watch/names.ts';

/**
 * Backup signals for Watch: textfile metrics in the `openpanel-watch-textfile` volume, mounted read-write at
 * /openpanel-metrics in the scheduler. backup.bash writes `backup-<job>.prom` at the end of each run; the scheduler
 * sync writes `backup-schedule-<job>.prom` here (and removes it when the job is removed or unscheduled).
 */
export const METRICS_VOLUME = WATCH_VOLUMES.textfile;
export const METRICS_DIR = TEXTFILE_WRITE_DIR;
export const scheduleFile = (jobId: string) => `${METRICS_DIR}/${TEXTFILES.backupSchedule(jobId)}`;
export const runFile = (jobId: string) => `${METRICS_DIR}/${TEXTFILES.backup(jobId)}`;

/** A label value in the Prometheus text format: backslash, double quote and line feed escaped. */
export const labelValue = (v: string) => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

const FIELDS: [min: number, max: number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

/** The values one cron field allows (digits, `*`, `,`, `-`, `/` as the contract accepts); null when out of range. */
function field(text: string, [min, max]: [number, number]): Set<number> | null {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return null;
    const from = m[1] === '*' ? min : Number(m[2]);
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from < min || to > max || from > to || step < 1) return null;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

const DAY_MS = 86_400_000;
/** Long enough for any five-field schedule to repeat: 29 February fires at most every 8 years (2096 → 2104). */
const SCAN_DAYS = 366 * 9;

/**
 * The expected interval of a cron schedule, in seconds: the longest gap between consecutive firings (busybox crond
 * rules: day of month and weekday both restricted means either). `0 9 * * 1-5` is 3 days (Friday → Monday); null when
 * the expression is not valid or never fires.
 */
export function cronInterval(expr: string): number | null {
  const parts = expr.trim().split(/[ \t]+/);
  if (parts.length !== 5) return null;
  const sets = parts.map((p, i) => field(p, FIELDS[i]!));
  if (sets.some((s) => s === null)) return null;
  const [minutes, hours, dom, months, dow] = sets as Set<number>[];
  if (dow!.has(7)) dow!.add(0);
  const domAll = parts[2]!.startsWith('*');
  const dowAll = parts[4]!.startsWith('*');
  const times: number[] = [];
  for (const h of [...hours!].sort((a, b) => a - b)) for (const m of [...minutes!].sort((a, b) => a - b)) times.push((h * 60 + m) * 60);
  // A Monday, so a week's pattern starts at a week boundary (gaps across the scan's ends are counted too).
  const start = Date.UTC(2024, 0, 1);
  let first: number | null = null;
  let last: number | null = null;
  let longest = 0;
  for (let day = 0; day < SCAN_DAYS; day++) {
    const d = new Date(start + day * DAY_MS);
    if (!months!.has(d.getUTCMonth() + 1)) continue;
    const byDom = dom!.has(d.getUTCDate());
    const byDow = dow!.has(d.getUTCDay());
    const fires = domAll && dowAll ? true : domAll ? byDow : dowAll ? byDom : byDom || byDow;
    if (!fires) continue;
    for (const t of times) {
      const at = (day * DAY_MS) / 1000 + t;
      if (last !== null) longest = Math.max(longest, at - last);
      first ??= at;
      last = at;
    }
  }
  if (first === null || last === null) return null;
  // Only one firing in the whole scan (never happens for valid schedules within 9 years): call it the scan length.
  return longest || SCAN_DAYS * 86_400;
}

export interface ScheduleSignal {
  jobId: string;
  jobName: string;
  database: string;
  schedule: string;
  /** When this schedule was put on the server (seconds); kept across syncs while the schedule stays the same. */
  since: number;
}

/**
 * The labels of a job's series, escaped: in the schedule file, and in the job file (METRIC_LABELS) for backup.bash,
 * which puts them in the run file as they are.
 */
export const metricLabels = (s: { jobId: string; jobName: string; database: string }) =>
  `job_id="${labelValue(s.jobId)}",job_name="${labelValue(s.jobName)}",database="${labelValue(s.database)}"`;

/** `backup-schedule-<job>.prom`: the interval and since when; null when the schedule never fires. */
export function scheduleMetrics(s: ScheduleSignal): string | null {
  const interval = cronInterval(s.schedule);
  if (interval === null) return null;
  const l = `{${metricLabels(s)}}`;
  return [
    // The schedule, for the next sync to keep `since` while it stays the same (a comment for Prometheus).
    `# openpanel schedule ${s.schedule.trim().replace(/[ \t]+/g, ' ')}`,
    `# HELP ${METRICS.backupScheduleInterval} The longest gap between consecutive firings of the backup job's schedule.`,
    `# TYPE ${METRICS.backupScheduleInterval} gauge`,
    `${METRICS.backupScheduleInterval}${l} ${interval}`,
    `# HELP ${METRICS.backupScheduledSince} When the backup job's current schedule was put on the server.`,
    `# TYPE ${METRICS.backupScheduledSince} gauge`,
    `${METRICS.backupScheduledSince}${l} ${s.since}`,
    '',
  ].join('\n');
}

/** The `since` of each schedule file on the server whose schedule is still `schedule` (output of the `metrics` op). */
export function keptSince(text: string): Map<string, { schedule: string; since: number }> {
  const out = new Map<string, { schedule: string; since: number }>();
  for (const block of text.split(/^==> /m)) {
    const id = /^backup-schedule-([A-Za-z0-9_-]+)\.prom\n/.exec(block)?.[1];
    const schedule = /^# openpanel schedule (.+)$/m.exec(block)?.[1];
    const since = new RegExp(`^${METRICS.backupScheduledSince}\\{[^\\n]*\\} (\\d+(?:\\.\\d+)?)$`, 'm').exec(block)?.[1];
    if (id && schedule && since) out.set(id, { schedule, since: Number(since) });
  }
  return out;
}
