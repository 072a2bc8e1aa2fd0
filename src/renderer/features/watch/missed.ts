import type { AlertEpisode } from '../../../shared/contract/alerting.ts';
import { ALWAYS_FIRING, alertKey, alertText, alertTitle } from './alert-text.ts';

/** One server's part of `alerting.missed`. */
export interface MissedServer {
  serverId: string;
  serverName: string;
  since: number;
  episodes: AlertEpisode[];
  error: string | null;
}

export interface FiringAlert {
  key: string;
  serverId: string;
  title: string;
  message: string;
}

/**
 * History's resolution (its step is at least 15 s): an episode still firing that starts this close to `since` was
 * already firing then, so it was seen (or predates the window) and is not news.
 */
const SEEN_MARGIN_MS = 30_000;

/**
 * What fired while the app was away: episodes that started after the last look, or ended since; without the
 * always-firing watchdog. Servers with nothing (and no error) are left out.
 */
export function awayReport(report: MissedServer[]): MissedServer[] {
  const news = (s: MissedServer, e: AlertEpisode) => !ALWAYS_FIRING.has(e.name) && (e.to !== null || e.from >= s.since + SEEN_MARGIN_MS);
  return report
    .map((s) => ({ ...s, episodes: s.episodes.filter((e) => news(s, e)).sort((a, b) => a.from - b.from) }))
    .filter((s) => s.episodes.length > 0 || s.error !== null);
}

/** The alerts firing now (episodes not ended), one per server + rule + labels. */
export function firingNow(report: MissedServer[]): FiringAlert[] {
  const out = new Map<string, FiringAlert>();
  for (const s of report)
    for (const e of s.episodes) {
      if (e.to !== null || ALWAYS_FIRING.has(e.name)) continue;
      const key = alertKey(s.serverId, e.name, e.labels);
      out.set(key, { key, serverId: s.serverId, title: alertTitle(e.name), message: alertText(e.name, e.labels, s.serverName) });
    }
  return [...out.values()];
}

/**
 * The alerts to notify about: firing now and not firing at the previous look. The first look (`previous` null) is the
 * baseline: what fires then is in the "while you were away" list, not notified again.
 */
export function newlyFiring(previous: ReadonlySet<string> | null, now: FiringAlert[]): { fresh: FiringAlert[]; keys: Set<string> } {
  const keys = new Set(now.map((a) => a.key));
  if (!previous) return { fresh: [], keys };
  return { fresh: now.filter((a) => !previous.has(a.key)), keys };
}
