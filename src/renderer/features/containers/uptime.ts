/**
 * Docker's container status ("Up 5 minutes (healthy)", "Exited (1) 2 seconds ago") is a relative time frozen
 * when the list was read. These turn it into an anchor in time so the page can tick it without asking again.
 */

const UNIT_MS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000, month: 2_592_000_000, year: 31_536_000_000 };

/** Docker's HumanDuration ("Less than a second", "About a minute", "3 hours"…) in ms; null when absent. */
export function parseHumanDuration(text: string): number | null {
  if (/Less than a second/i.test(text)) return 0;
  if (/About a minute/i.test(text)) return 60_000;
  if (/About an hour/i.test(text)) return 3_600_000;
  const m = /(\d+) (second|minute|hour|day|week|month|year)s?/i.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]! : null;
}

export interface StatusAnchor {
  /** "Up", "Exited (1)", "Restarting (1)"… */
  prefix: string;
  /** When the state began (ms since the epoch), estimated from the text and when it was read. */
  since: number;
  /** Whether the time is counted up to now ("Up …") or back ("… ago"). */
  ago: boolean;
  /** What followed the duration, e.g. " (healthy)". */
  suffix: string;
}

export function anchorStatus(status: string, readAt: number): StatusAnchor | null {
  const m = /^(Up|Exited \(-?\d+\)|Restarting \(-?\d+\)) (Less than a second|About an? (?:minute|hour)|\d+ (?:second|minute|hour|day|week|month|year)s?)( ago)?(.*)$/.exec(status);
  if (!m) return null;
  const ms = parseHumanDuration(m[2]!);
  if (ms === null) return null;
  return { prefix: m[1]!, since: readAt - ms, ago: !!m[3], suffix: m[4] ?? '' };
}

/** A duration as "42s", "3m 05s", "2h 07m", "4d 3h". */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const p = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${p(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${p(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor(s / 3600) % 24}h`;
}

/** The status as of `now`: the anchored duration ticks; texts without one are shown as Docker wrote them. */
export function liveStatus(status: string, anchor: StatusAnchor | null, now: number): string {
  if (!anchor) return status;
  const d = shortDuration(now - anchor.since);
  return `${anchor.prefix} ${d}${anchor.ago ? ' ago' : ''}${anchor.suffix}`;
}
