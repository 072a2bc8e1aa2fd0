import type Docker from 'dockerode';
import {
  ActiveAlert,
  Silence,
  type AlertEpisode,
  type AlertingSettings,
  type Applied,
  type Channel,
  type CreateChannelInput,
  type UpdateChannelInput,
} from '../../../shared/contract/alerting.ts';
import { z } from 'zod';
import { AppError, errorMessage } from '../core/errors.ts';
import { readContainerLogs } from '../docker/container-logs.ts';
import { isDockerNotFound } from '../docker/errors.ts';
import { watchHttp, type ForwardingConnection, type WatchRequest, type WatchResponse } from '../watch/http.ts';
import { WATCH_CONTAINERS, WATCH_PORTS } from '../watch/names.ts';
import { episodesOf, historyStep, lastEvaluation, type MatrixSeries } from './history.ts';
import { TEST_ALERT_NAME, TEST_LABEL } from './render.ts';
import { channelStates, deliveryEvents, integrationCounters } from './status.ts';
import type { AlertingStore } from './store.ts';

/** What alerting needs of Watch (W-stack's WatchService): which servers run it, and writing + reloading the config. */
export interface WatchAccess {
  enabledServers(): string[];
  applyAlertmanagerConfig(serverId: string): Promise<void>;
}

export interface AlertingDeps {
  store: AlertingStore;
  connection(serverId: string): Promise<ForwardingConnection>;
  docker(serverId: string): Promise<Docker>;
  serverName(serverId: string): string;
  watch: WatchAccess;
}

/** How far back `missed` looks when a server's alerts were never seen, and at most. */
const MISSED_DEFAULT_MS = 24 * 3600_000;
const MISSED_MAX_MS = 7 * 24 * 3600_000;
const LOG_TAIL = 5000;

const AmSilence = z.object({
  id: z.string(),
  matchers: z.array(z.object({ name: z.string(), value: z.string(), isRegex: z.boolean(), isEqual: z.boolean().default(true) })),
  startsAt: z.string(),
  endsAt: z.string(),
  comment: z.string().default(''),
  createdBy: z.string().default(''),
  status: z.object({ state: z.enum(['active', 'pending', 'expired']) }),
});
const AmAlert = z.object({
  fingerprint: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string(),
  status: z.object({ state: z.enum(['active', 'suppressed', 'unprocessed']), silencedBy: z.array(z.string()).default([]) }),
});
const QueryRange = z.object({ status: z.literal('success'), data: z.object({ result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })) }) });

/**
 * Alerting for Watch: channels (kept by AlertingStore), the Alertmanager config of each server (render()), test
 * alerts, delivery status from Alertmanager's log and counters, silences, alerts now and the history of what fired.
 */
export class AlertingService {
  private readonly deps: AlertingDeps;

  constructor(deps: AlertingDeps) {
    this.deps = deps;
  }

  private async http(serverId: string, port: number, req: WatchRequest): Promise<WatchResponse> {
    return watchHttp(await this.deps.connection(serverId), port, req);
  }

  private am(serverId: string, req: Omit<WatchRequest, 'what'>): Promise<WatchResponse> {
    return this.http(serverId, WATCH_PORTS.alertmanager, { ...req, what: `Alertmanager on ${this.deps.serverName(serverId)}` });
  }

  /** Writes and reloads the config on these servers (default: every server with Watch on); failures are reported, not thrown. */
  private async apply(serverIds = this.deps.watch.enabledServers()): Promise<Applied> {
    return Promise.all(
      serverIds.map(async (serverId) => {
        try {
          await this.deps.watch.applyAlertmanagerConfig(serverId);
          return { serverId, ok: true, error: null };
        } catch (e) {
          return { serverId, ok: false, error: errorMessage(e) };
        }
      }),
    );
  }

  channels(): Promise<Channel[]> {
    return this.deps.store.list();
  }

  async createChannel(input: CreateChannelInput): Promise<{ channel: Channel; applied: Applied }> {
    const channel = await this.deps.store.create(input);
    return { channel, applied: await this.apply() };
  }

  async updateChannel(input: UpdateChannelInput): Promise<{ channel: Channel; applied: Applied }> {
    const channel = await this.deps.store.update(input);
    return { channel, applied: await this.apply() };
  }

  async removeChannel(id: string): Promise<{ removed: boolean; applied: Applied }> {
    const removed = await this.deps.store.remove(id);
    return { removed, applied: removed ? await this.apply() : [] };
  }

  private requireWatch(serverId: string): void {
    this.deps.serverName(serverId);
    if (!this.deps.watch.enabledServers().includes(serverId)) {
      throw new AppError('CONFLICT', `serverId: Watch is not on for ${this.deps.serverName(serverId)}; turn it on first (alerts are sent by its Alertmanager)`);
    }
  }

  /**
   * Applies the current config to the server, then posts a test alert routed to this channel's test receiver only:
   * the same settings and secrets Alertmanager uses for real alerts (without a resolved message).
   */
  async testChannel(id: string, serverId: string): Promise<{ alertName: string; sentAt: number }> {
    const channel = (await this.deps.store.list()).find((c) => c.id === id);
    if (!channel) throw new AppError('NOT_FOUND', `id: no channel ${id}`);
    this.requireWatch(serverId);
    await this.deps.watch.applyAlertmanagerConfig(serverId);
    const server = this.deps.serverName(serverId);
    const sentAt = Date.now();
    const alert = {
      labels: { alertname: TEST_ALERT_NAME, server, severity: 'info', [TEST_LABEL]: id, test_id: String(sentAt) },
      annotations: { summary: `Test from OpenPanel: channel "${channel.name}" receives alerts of ${server}` },
      startsAt: new Date(sentAt).toISOString(),
      endsAt: new Date(sentAt + 5 * 60_000).toISOString(),
    };
    await this.am(serverId, { method: 'POST', path: '/api/v2/alerts', body: [alert] });
    return { alertName: TEST_ALERT_NAME, sentAt };
  }

  async channelStatus(serverId: string) {
    this.requireWatch(serverId);
    const [log, metrics] = await Promise.all([
      this.deps.docker(serverId).then((api) =>
        readContainerLogs(api, WATCH_CONTAINERS.alertmanager, LOG_TAIL).catch((e: unknown) => {
          if (isDockerNotFound(e)) throw new AppError('NOT_FOUND', `Alertmanager is not running on ${this.deps.serverName(serverId)} (no ${WATCH_CONTAINERS.alertmanager} container)`);
          throw e;
        }),
      ),
      this.am(serverId, { path: '/metrics' }),
    ]);
    const ids = (await this.deps.store.list()).map((c) => c.id);
    return {
      serverId,
      channels: channelStates(ids, deliveryEvents(log.output), this.deps.store.intervals().groupIntervalSeconds, Date.now()),
      integrations: integrationCounters(metrics.text),
    };
  }

  serverChannels(serverId: string) {
    this.deps.serverName(serverId);
    return { serverId, channelIds: this.deps.store.serverChannels(serverId) };
  }

  async setServerChannels(serverId: string, channelIds: string[] | null) {
    this.deps.serverName(serverId);
    this.deps.store.setServerChannels(serverId, channelIds);
    const applied = this.deps.watch.enabledServers().includes(serverId) ? await this.apply([serverId]) : [];
    return { serverId, channelIds, applied };
  }

  settings(): AlertingSettings {
    return this.deps.store.settings();
  }

  async updateSettings(patch: Parameters<AlertingStore['updateSettings']>[0]): Promise<{ settings: AlertingSettings; applied: Applied }> {
    const settings = await this.deps.store.updateSettings(patch);
    return { settings, applied: await this.apply() };
  }

  async silences(serverId: string): Promise<Silence[]> {
    this.requireWatch(serverId);
    const res = await this.am(serverId, { path: '/api/v2/silences' });
    return z
      .array(AmSilence)
      .parse(res.json)
      .map((s) => Silence.parse({ ...s, startsAt: Date.parse(s.startsAt), endsAt: Date.parse(s.endsAt), state: s.status.state }))
      .sort((a, b) => b.startsAt - a.startsAt);
  }

  async createSilence(input: { serverId: string; matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[]; durationMinutes: number; comment: string }): Promise<{ id: string }> {
    this.requireWatch(input.serverId);
    const now = Date.now();
    const body = { matchers: input.matchers, startsAt: new Date(now).toISOString(), endsAt: new Date(now + input.durationMinutes * 60_000).toISOString(), createdBy: 'OpenPanel', comment: input.comment };
    const res = await this.am(input.serverId, { method: 'POST', path: '/api/v2/silences', body });
    return { id: z.object({ silenceID: z.string() }).parse(res.json).silenceID };
  }

  async expireSilence(serverId: string, id: string): Promise<{ expired: boolean }> {
    this.requireWatch(serverId);
    const res = await this.am(serverId, { method: 'DELETE', path: `/api/v2/silence/${encodeURIComponent(id)}`, anyStatus: true });
    if (res.status === 404) return { expired: false };
    if (res.status < 200 || res.status > 299) throw new AppError('REMOTE_COMMAND_FAILED', `Alertmanager refused to expire silence ${id}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    return { expired: true };
  }

  async alerts(serverId: string): Promise<ActiveAlert[]> {
    this.requireWatch(serverId);
    const res = await this.am(serverId, { path: '/api/v2/alerts' });
    return z
      .array(AmAlert)
      .parse(res.json)
      .filter((a) => a.labels.alertname !== 'Watchdog' && !a.labels[TEST_LABEL])
      .map((a) =>
        ActiveAlert.parse({
          fingerprint: a.fingerprint,
          name: a.labels.alertname ?? '',
          severity: a.labels.severity ?? null,
          summary: a.annotations.summary ?? null,
          labels: a.labels,
          startsAt: Date.parse(a.startsAt),
          state: a.status.state,
          silencedBy: a.status.silencedBy,
        }),
      );
  }

  /** Episodes of firing alerts from Prometheus's ALERTS series (kept by Prometheus while the app is closed). */
  async history(serverId: string, since: number, until = Date.now()): Promise<AlertEpisode[]> {
    this.requireWatch(serverId);
    if (until <= since) throw new AppError('INPUT_INVALID', 'until: expected a time after since', { issues: [{ path: 'until', message: 'expected a time after since' }] });
    const step = historyStep(since, until);
    const res = await this.http(serverId, WATCH_PORTS.prometheus, {
      path: '/api/v1/query_range',
      query: { query: 'ALERTS{alertstate="firing"}', start: since / 1000, end: until / 1000, step },
      what: `Prometheus on ${this.deps.serverName(serverId)}`,
      timeoutMs: 30_000,
    });
    const series: MatrixSeries[] = QueryRange.parse(res.json).data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => [t, v]) }));
    return episodesOf(series, step, lastEvaluation(since, until, step));
  }

  /** For each server with Watch on: what fired since its alerts were last marked seen (24 h back when never). */
  async missed() {
    const now = Date.now();
    return Promise.all(
      this.deps.watch.enabledServers().map(async (serverId) => {
        const since = Math.max(now - MISSED_MAX_MS, this.deps.store.seenAt(serverId) ?? now - MISSED_DEFAULT_MS);
        const serverName = this.deps.serverName(serverId);
        try {
          const episodes = (await this.history(serverId, since, now)).filter((e) => e.to === null || e.to >= since);
          return { serverId, serverName, since, episodes, error: null };
        } catch (e) {
          return { serverId, serverName, since, episodes: [], error: errorMessage(e) };
        }
      }),
    );
  }

  markSeen(serverId: string | undefined, at = Date.now()): { seenAt: number } {
    const ids = serverId ? [serverId] : this.deps.watch.enabledServers();
    for (const id of ids) {
      this.deps.serverName(id);
      this.deps.store.markSeen(id, at);
    }
    return { seenAt: at };
  }
}
