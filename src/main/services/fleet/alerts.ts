import { EventEmitter } from 'node:events';
import type { Alert } from '../../../shared/contract/fleet.ts';
import type { Settings } from '../../../shared/contract/settings.ts';

const RESTART_WINDOW_MS = 120_000;
const RESTART_COUNT = 3;

/**
 * Turns observations into alerts, once per episode: an alert is raised when a condition starts and may be
 * raised again only after it cleared.
 */
export class AlertEngine extends EventEmitter<{ alert: [Alert] }> {
  private readonly active = new Map<string, Alert>();
  private readonly dies = new Map<string, number[]>();
  private readonly downSince = new Map<string, number>();
  private settings: () => Settings['alerts'];
  unreachableAfterMs: number;

  constructor(settings: () => Settings['alerts'], unreachableAfterMs = 30_000) {
    super();
    this.settings = settings;
    this.unreachableAfterMs = unreachableAfterMs;
  }

  forServer(serverId: string): Alert[] {
    return [...this.active.values()].filter((a) => a.serverId === serverId);
  }

  private raise(kind: Alert['kind'], serverId: string, containerId: string | null, message: string): void {
    const key = `${kind}/${serverId}/${containerId ?? ''}`;
    if (this.active.has(key)) return;
    const alert: Alert = { id: `${key}/${Date.now()}`, kind, serverId, containerId, message, at: Date.now() };
    this.active.set(key, alert);
    this.emit('alert', alert);
  }

  private clear(kind: Alert['kind'], serverId: string, containerId: string | null = null): void {
    this.active.delete(`${kind}/${serverId}/${containerId ?? ''}`);
  }

  /** A Docker container event (`time` in ms); `serverName` goes into the message, which is all a notification shows. */
  containerEvent(serverId: string, serverName: string, ev: { action: string; id: string; name: string | null; time: number }): void {
    const label = `${ev.name ?? ev.id.slice(0, 12)} on ${serverName}`;
    if (ev.action === 'die' && this.settings().restartLoop) {
      const times = (this.dies.get(ev.id) ?? []).filter((t) => ev.time - t < RESTART_WINDOW_MS);
      times.push(ev.time);
      this.dies.set(ev.id, times);
      if (times.length >= RESTART_COUNT) this.raise('restart-loop', serverId, ev.id, `${label} is in a restart loop (${times.length} exits in ${Math.round(RESTART_WINDOW_MS / 60_000)} min)`);
    }
    if (ev.action.startsWith('health_status')) {
      if (/unhealthy/.test(ev.action)) {
        if (this.settings().unhealthy) this.raise('unhealthy', serverId, ev.id, `${label} is unhealthy`);
      } else if (/healthy/.test(ev.action)) this.clear('unhealthy', serverId, ev.id);
    }
    if (ev.action === 'destroy') {
      this.clear('restart-loop', serverId, ev.id);
      this.clear('unhealthy', serverId, ev.id);
      this.dies.delete(ev.id);
    }
  }

  connection(serverId: string, name: string, state: string, error: string | null, now = Date.now()): void {
    if (state === 'ready') {
      this.downSince.delete(serverId);
      this.clear('unreachable', serverId);
      return;
    }
    if (state !== 'failed' && state !== 'reconnecting') return;
    const since = this.downSince.get(serverId) ?? now;
    this.downSince.set(serverId, since);
    if (this.settings().unreachable && now - since >= this.unreachableAfterMs) this.raise('unreachable', serverId, null, `${name} is unreachable${error ? `: ${error}` : ''}`);
  }

  disk(serverId: string, name: string, used: number, total: number): void {
    const pct = total > 0 ? (used / total) * 100 : 0;
    if (pct > this.settings().diskPercent) this.raise('disk', serverId, null, `${name}: disk / is ${pct.toFixed(0)} % full`);
    else this.clear('disk', serverId);
  }
}
