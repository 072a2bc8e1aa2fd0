import { EventEmitter } from 'node:events';
import type { Container } from '../../../shared/contract/containers.ts';
import type { Alert, ServerSnapshot } from '../../../shared/contract/fleet.ts';
import type { Settings } from '../../../shared/contract/settings.ts';
import type { ContainersService, ContainerStatsSource } from '../docker/containers.ts';
import type { DockerService } from '../docker/service.ts';
import type { ServersService } from '../servers/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { AlertEngine } from './alerts.ts';
import { cpuBetween, readHost, type RawHost } from './host.ts';
import type { ContainerSampleRow, MetricsStore } from './store.ts';

interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: { inactive_file?: number; total_inactive_file?: number; cache?: number } };
}

interface Watched {
  ac: AbortController;
  timer: NodeJS.Timeout | null;
  lastHost?: RawHost;
  lastCpu: Map<string, { total: number; system: number }>;
  containers: Container[] | null;
  relistTimer: NodeJS.Timeout | null;
  sampling: boolean;
}

export interface MonitorOptions {
  servers: ServersService;
  pool: ConnectionPool;
  docker: DockerService;
  containers: ContainersService;
  store: MetricsStore;
  settings: () => Settings;
  unreachableAfterMs?: number;
}

/**
 * Watches every server whose host key is pinned: samples host metrics (from /proc over the existing SSH
 * connection) and container stats every few seconds into SQLite, keeps container counts live from Docker
 * events, and raises alerts. Nothing runs on the servers between samples.
 */
export class FleetMonitor extends EventEmitter<{ snapshot: [ServerSnapshot]; alert: [Alert] }> implements ContainerStatsSource {
  private readonly watched = new Map<string, Watched>();
  private supervisor: NodeJS.Timeout | null = null;
  readonly alerts: AlertEngine;
  private readonly opts: MonitorOptions;
  private readonly onState = (serverId: string) => this.connectionChanged(serverId);

  constructor(opts: MonitorOptions) {
    super();
    this.opts = opts;
    this.alerts = new AlertEngine(() => opts.settings().alerts, opts.unreachableAfterMs);
    this.alerts.on('alert', (a) => {
      this.emit('alert', a);
      this.emitSnapshot(a.serverId);
    });
  }

  start(): void {
    if (this.supervisor) return;
    this.opts.pool.on('state', this.onState);
    this.sync();
    this.supervisor = setInterval(() => this.sync(), 2_000);
    this.supervisor.unref();
  }

  stop(): void {
    if (this.supervisor) clearInterval(this.supervisor);
    this.supervisor = null;
    this.opts.pool.off('state', this.onState);
    for (const id of [...this.watched.keys()]) this.unwatch(id);
  }

  latest(serverId: string, containerId: string) {
    return this.opts.store.latest(serverId, containerId);
  }

  /** Starts watching new servers (with a pinned host key), stops watching removed ones, checks reachability. */
  private sync(): void {
    const servers = this.opts.servers.list().filter((s) => s.hostKeys.length > 0);
    const ids = new Set(servers.map((s) => s.id));
    for (const id of this.watched.keys()) if (!ids.has(id)) this.unwatch(id);
    for (const s of servers) {
      if (!this.watched.has(s.id)) this.watch(s.id);
      const st = this.opts.pool.state(s.id);
      this.alerts.connection(s.id, s.name, st.state, st.error?.message ?? null);
    }
  }

  private watch(serverId: string): void {
    const w: Watched = { ac: new AbortController(), timer: null, lastCpu: new Map(), containers: null, relistTimer: null, sampling: false };
    this.watched.set(serverId, w);
    const tick = async () => {
      if (w.ac.signal.aborted) return;
      await this.sample(serverId).catch(() => undefined);
      if (!w.ac.signal.aborted) {
        w.timer = setTimeout(() => void tick(), this.opts.settings().sampleIntervalSec * 1000);
        w.timer.unref();
      }
    };
    void tick();
    void this.followEvents(serverId, w);
  }

  private unwatch(serverId: string): void {
    const w = this.watched.get(serverId);
    if (!w) return;
    w.ac.abort();
    if (w.timer) clearTimeout(w.timer);
    if (w.relistTimer) clearTimeout(w.relistTimer);
    this.watched.delete(serverId);
  }

  private async followEvents(serverId: string, w: Watched): Promise<void> {
    try {
      for await (const ev of this.opts.docker.events(serverId, w.ac.signal)) {
        if (ev.type !== 'container') continue;
        this.alerts.containerEvent(serverId, this.serverName(serverId), ev);
        if (w.relistTimer) continue;
        w.relistTimer = setTimeout(() => {
          w.relistTimer = null;
          void this.opts.containers.list(serverId).then(
            (list) => {
              w.containers = list;
              this.emitSnapshot(serverId);
            },
            () => undefined,
          );
        }, 250);
      }
    } catch {
      /* stopped */
    }
  }

  /** One round: host metrics, container list and stats; stored, then a snapshot is emitted. */
  async sample(serverId: string): Promise<ServerSnapshot> {
    const w = this.watched.get(serverId);
    if (w?.sampling) return this.snapshot(serverId);
    if (w) w.sampling = true;
    try {
      const conn = await this.opts.pool.acquire(serverId);
      const raw = await readHost(conn);
      const host = { ...raw.sample, cpuPercent: cpuBetween(w?.lastHost, raw) };
      if (w) w.lastHost = raw;
      this.opts.store.addHost(serverId, host);
      const server = this.opts.servers.get(serverId);
      this.alerts.disk(serverId, server.name, host.diskUsed, host.diskTotal);
      try {
        const list = await this.opts.containers.list(serverId);
        if (w) w.containers = list;
        const rows = await this.containerStats(serverId, list.filter((c) => c.state === 'running'), w);
        this.opts.store.addContainers(serverId, host.at, rows);
      } catch {
        /* Docker unreachable: host metrics still count */
      }
      this.opts.store.prune();
    } catch {
      /* unreachable: the connection state (and its alert) says so */
    } finally {
      if (w) w.sampling = false;
    }
    const snap = this.snapshot(serverId);
    this.emit('snapshot', snap);
    return snap;
  }

  private async containerStats(serverId: string, running: Container[], w: Watched | undefined): Promise<ContainerSampleRow[]> {
    const api = await this.opts.docker.api(serverId);
    const rows: ContainerSampleRow[] = [];
    const queue = [...running];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        try {
          const s = (await api.getContainer(c.id).stats({ stream: false, 'one-shot': true } as never)) as unknown as DockerStats;
          const total = s.cpu_stats?.cpu_usage?.total_usage ?? 0;
          const system = s.cpu_stats?.system_cpu_usage ?? 0;
          const prev = w?.lastCpu.get(c.id);
          w?.lastCpu.set(c.id, { total, system });
          const cpus = s.cpu_stats?.online_cpus ?? 1;
          const cpuPercent = prev && system > prev.system ? Math.max(0, ((total - prev.total) / (system - prev.system)) * cpus * 100) : null;
          const inactive = s.memory_stats?.stats?.inactive_file ?? s.memory_stats?.stats?.total_inactive_file ?? 0;
          const row = { containerId: c.id, name: c.name, cpuPercent, memUsed: Math.max(0, (s.memory_stats?.usage ?? 0) - inactive), memLimit: s.memory_stats?.limit ?? 0 };
          this.opts.store.setLatest(serverId, row);
          rows.push(row);
        } catch {
          /* the container went away between list and stats */
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, running.length) }, worker));
    return rows;
  }

  private serverName(serverId: string): string {
    try {
      return this.opts.servers.get(serverId).name;
    } catch {
      return serverId; // removed meanwhile
    }
  }

  private connectionChanged(serverId: string): void {
    if (!this.watched.has(serverId)) return;
    const st = this.opts.pool.state(serverId);
    let name: string;
    try {
      name = this.opts.servers.get(serverId).name;
    } catch {
      return; // removed meanwhile
    }
    this.alerts.connection(serverId, name, st.state, st.error?.message ?? null);
    this.emitSnapshot(serverId);
  }

  private emitSnapshot(serverId: string): void {
    try {
      this.emit('snapshot', this.snapshot(serverId));
    } catch {
      /* server removed */
    }
  }

  snapshot(serverId: string): ServerSnapshot {
    const server = this.opts.servers.get(serverId);
    const st = this.opts.pool.state(serverId);
    const list = this.watched.get(serverId)?.containers ?? null;
    return {
      serverId,
      name: server.name,
      state: st.state,
      error: st.error?.message ?? null,
      host: this.opts.store.latestHost(serverId),
      containers: list
        ? { running: list.filter((c) => c.state === 'running').length, stopped: list.filter((c) => c.state !== 'running').length, unhealthy: list.filter((c) => c.health === 'unhealthy').length, total: list.length }
        : null,
      alerts: this.alerts.forServer(serverId),
    };
  }

  overview(): ServerSnapshot[] {
    return this.opts.servers.list().map((s) => this.snapshot(s.id));
  }
}
