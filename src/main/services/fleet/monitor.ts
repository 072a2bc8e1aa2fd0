import { EventEmitter } from 'node:events';
import type { Container } from '../../../shared/contract/containers.ts';
import type { Alert, ServerSnapshot } from '../../../shared/contract/fleet.ts';
import type { Settings } from '../../../shared/contract/settings.ts';
import type { ContainersService, ContainerStatsSource } from '../docker/containers.ts';
import type { DockerService } from '../docker/service.ts';
import type { ServersService } from '../servers/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { AlertEngine } from './alerts.ts';
import { containerRows, type CpuCounters } from './container-stats.ts';
import { cpuBetween, readHost, type RawHost } from './host.ts';
import type { MetricsStore } from './store.ts';

interface Watched {
  ac: AbortController;
  timer: NodeJS.Timeout | null;
  lastHost?: RawHost;
  lastCpu: CpuCounters;
  containers: Container[] | null;
  /** Main pid of each running container, for reading its cgroup; containers named in events since are looked up again. */
  pids: Map<string, number>;
  changed: Set<string>;
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
  private prunedAt = 0;
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
    const w: Watched = { ac: new AbortController(), timer: null, lastCpu: new Map(), containers: null, pids: new Map(), changed: new Set(), relistTimer: null, sampling: false };
    this.watched.set(serverId, w);
    const tick = async () => {
      if (w.ac.signal.aborted) return;
      await this.round(serverId, false).catch(() => undefined);
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
        w.changed.add(ev.id);
        this.alerts.containerEvent(serverId, this.serverName(serverId), ev);
        if (w.relistTimer) continue;
        w.relistTimer = setTimeout(() => {
          w.relistTimer = null;
          void this.relist(serverId, w).then(
            () => this.emitSnapshot(serverId),
            () => undefined,
          );
        }, 250);
      }
    } catch {
      /* stopped */
    }
  }

  /** One round as the user asks for it (`fleet.sampleNow`): the container list is taken again too. */
  sample(serverId: string): Promise<ServerSnapshot> {
    return this.round(serverId, true);
  }

  /**
   * Host metrics and the running containers' CPU and memory in one SSH request (their cgroups, read by the host
   * sample), stored, then a snapshot is emitted. The container list is kept by engine events and taken here only
   * when unknown or asked for, so a tick makes no engine call and costs each server one request.
   */
  private async round(serverId: string, relist: boolean): Promise<ServerSnapshot> {
    const w = this.watched.get(serverId);
    if (w?.sampling) return this.snapshot(serverId);
    if (w) w.sampling = true;
    try {
      const conn = await this.opts.pool.acquire(serverId);
      const known = w?.containers ? { list: w.containers, pids: w.pids } : null;
      const seen = relist || !known ? await this.relist(serverId, w).catch(() => null) : known;
      const running = (seen?.list ?? []).filter((c) => c.state === 'running');
      const pids = new Map(running.flatMap((c) => (seen?.pids.has(c.id) ? [[c.id, seen.pids.get(c.id)!] as const] : [])));
      const raw = await readHost(conn, pids);
      const host = { ...raw.sample, cpuPercent: cpuBetween(w?.lastHost, raw) };
      if (w) w.lastHost = raw;
      this.opts.store.addHost(serverId, host);
      const server = this.opts.servers.get(serverId);
      this.alerts.disk(serverId, server.name, host.diskUsed, host.diskTotal);
      if (seen) {
        try {
          const rows = await containerRows(running, raw, w?.lastCpu ?? new Map(), () => this.opts.docker.api(serverId));
          for (const row of rows) this.opts.store.setLatest(serverId, row);
          this.opts.store.addContainers(serverId, host.at, rows);
        } catch {
          /* Docker unreachable: host metrics still count */
        }
      }
      // Bounded to 24 h: pruning once a minute keeps it so without a delete per server per tick.
      if (host.at - this.prunedAt > 60_000) {
        this.prunedAt = host.at;
        this.opts.store.prune();
      }
    } catch {
      /* unreachable: the connection state (and its alert) says so */
    } finally {
      if (w) w.sampling = false;
    }
    const snap = this.snapshot(serverId);
    this.emit('snapshot', snap);
    return snap;
  }

  /**
   * The container list, and the main pid of each running container that is new or was named in an event since
   * (a restart keeps the id and changes the pid). Stored on the watch when there is one.
   */
  private async relist(serverId: string, w: Watched | undefined): Promise<{ list: Container[]; pids: Map<string, number> }> {
    const changed = new Set(w?.changed);
    w?.changed.clear();
    const list = await this.opts.containers.list(serverId);
    const pids = new Map<string, number>();
    const lookUp: Container[] = [];
    for (const c of list.filter((x) => x.state === 'running')) {
      const pid = w?.pids.get(c.id);
      if (pid && !changed.has(c.id)) pids.set(c.id, pid);
      else lookUp.push(c);
    }
    if (lookUp.length) {
      const api = await this.opts.docker.api(serverId);
      await Promise.all(
        lookUp.map(async (c) => {
          const pid = (await api.getContainer(c.id).inspect().catch(() => null))?.State.Pid;
          if (pid) pids.set(c.id, pid);
        }),
      );
    }
    if (w) {
      w.containers = list;
      w.pids = pids;
    }
    return { list, pids };
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
