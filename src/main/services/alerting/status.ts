import type { ChannelStatus } from '../../../shared/contract/alerting.ts';

/** One logfmt line as key → value (quoted values unescaped). */
export function parseLogfmt(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_.]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
  for (const m of line.matchAll(re)) {
    const raw = m[2] ?? '';
    out[m[1] ?? ''] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c)) : raw;
  }
  return out;
}

export interface DeliveryEvent {
  /** The channel id (a test receiver `<id>-test` counts for its channel). */
  channelId: string;
  at: number;
  kind: 'retry' | 'failed' | 'success';
  error: string | null;
}

const channelOf = (receiver: string) => receiver.replace(/-test$/, '');

/**
 * Delivery events from Alertmanager's log: "Notify attempt failed, will retry later" (receiver=…), "Notify for
 * alerts failed" (err="<receiver>/<integration>[i]: notify retry canceled …", one line per failed integration)
 * and, at debug level, "Notify success".
 */
export function deliveryEvents(log: string): DeliveryEvent[] {
  const events: DeliveryEvent[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('Notify')) continue;
    const f = parseLogfmt(line);
    const at = Date.parse(f.ts ?? '');
    if (!Number.isFinite(at)) continue;
    if (f.msg === 'Notify attempt failed, will retry later' && f.receiver) {
      events.push({ channelId: channelOf(f.receiver), at, kind: 'retry', error: f.err ?? null });
    } else if (f.msg === 'Notify success' && f.receiver) {
      events.push({ channelId: channelOf(f.receiver), at, kind: 'success', error: null });
    } else if (f.msg === 'Notify for alerts failed' && f.err) {
      // Several integrations' errors are joined with "; " (multierror): each names its receiver first.
      for (const part of f.err.split(/;\s+(?=[A-Za-z0-9_-]+\/[a-z]+\[\d+\]:)/)) {
        const m = /^([A-Za-z0-9_-]+)\/[a-z]+\[\d+\]:\s*(.*)$/s.exec(part.trim());
        if (m?.[1]) events.push({ channelId: channelOf(m[1]), at, kind: 'failed', error: m[2] ?? part });
      }
    }
  }
  return events;
}

/**
 * A channel's state from its delivery events: the failures of one episode are less than two group intervals (plus
 * a margin for the retries' backoff) apart. No failure in the last such window, or a success after the last
 * failure: ok. Otherwise failing when Alertmanager gave up at least once in the episode (it tries again at the next
 * group interval), retrying when it has not yet.
 */
export function channelStates(channelIds: readonly string[], events: readonly DeliveryEvent[], groupIntervalSeconds: number, now: number): ChannelStatus[] {
  const windowMs = 2 * groupIntervalSeconds * 1000 + 10_000;
  return channelIds.map((channelId) => {
    const mine = events.filter((e) => e.channelId === channelId).sort((a, b) => a.at - b.at);
    const failures = mine.filter((e) => e.kind !== 'success');
    const lastFailure = failures.at(-1) ?? null;
    const base = { channelId, lastFailureAt: lastFailure?.at ?? null, lastError: lastFailure?.error ?? null };
    const lastSuccess = mine.filter((e) => e.kind === 'success').at(-1);
    if (!lastFailure || now - lastFailure.at > windowMs || (lastSuccess && lastSuccess.at > lastFailure.at)) return { ...base, state: 'ok' };
    let start = failures.length - 1;
    while (start > 0 && (failures[start]?.at ?? 0) - (failures[start - 1]?.at ?? 0) <= windowMs) start--;
    const gaveUp = failures.slice(start).some((e) => e.kind === 'failed');
    return { ...base, state: gaveUp ? 'failing' : 'retrying' };
  });
}

/** `alertmanager_notifications_total` and `…_failed_total` per integration from Alertmanager's /metrics. */
export function integrationCounters(metrics: string): { integration: string; sent: number; failed: number }[] {
  const by = new Map<string, { integration: string; sent: number; failed: number }>();
  for (const line of metrics.split('\n')) {
    const m = /^alertmanager_notifications(_failed)?_total\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
    if (!m) continue;
    const integration = /integration="([^"]*)"/.exec(m[2] ?? '')?.[1];
    if (!integration) continue;
    const row = by.get(integration) ?? { integration, sent: 0, failed: 0 };
    if (m[1]) row.failed += Number(m[3]);
    else row.sent += Number(m[3]);
    by.set(integration, row);
  }
  return [...by.values()].sort((a, b) => a.integration.localeCompare(b.integration));
}
