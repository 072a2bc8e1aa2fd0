import { isIP } from 'node:net';
import type Docker from 'dockerode';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import { SERVICE_IMAGES } from '../../../shared/contract/images.ts';
import type { WatchPeer, WatchProgress, WatchSettings, WatchSettingsPatch, WatchStatus } from '../../../shared/contract/watch.ts';
import { AsyncQueue, sleep } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { ensureImage } from '../docker/images.ts';
import type { DockerService } from '../docker/service.ts';
import type { ServedDomain } from '../proxy/certificates.ts';
import { resolveImage } from '../proxy/images.ts';
import { collectorContainerSpec } from './collector.ts';
import { blackboxYaml, defaultAlertmanagerYaml, prometheusYaml, type PeerTarget, type ProbeTarget } from './config.ts';
import { watchHttp, type ForwardingConnection, type WatchRequest, type WatchResponse } from './http.ts';
import { WATCH_FILES, WATCH_PARTS, WATCH_PORTS, type WatchPart } from './names.ts';
import { ensureContainer, ensureVolumes, readContainers, removeContainers, removeVolumes, writeConfigFiles } from './remote.ts';
import { rulesYaml } from './rules.ts';
import { stackSpecs, withHash, type StackImages } from './stack.ts';
import type { WatchStore } from './store.ts';

/** Where alertmanager.yml comes from: alerting renders it (channels, watchdog); the default routes to nowhere. */
export interface AlertmanagerConfigSource {
  render(serverId: string): Promise<string>;
}
export const nullAlertmanagerConfig: AlertmanagerConfigSource = { render: async () => defaultAlertmanagerYaml() };

export interface WatchDeps {
  store: WatchStore;
  docker: DockerService;
  conn: (serverId: string) => Promise<ForwardingConnection>;
  server: (serverId: string) => { name: string; host: string };
  serverExists: (serverId: string) => boolean;
  shipSettings: (serverId: string) => ShipSettings;
  domains: (serverId: string) => ServedDomain[];
  dockerSocket: (serverId: string) => Promise<string>;
  alertmanagerConfig?: AlertmanagerConfigSource;
  /** How long turning on waits for every part to answer (default 90 s). */
  readyTimeoutMs?: number;
  /** How often the probed domains are compared with what the servers were given (default 60 s). */
  domainCheckMs?: number;
}

const IMAGE_MAPPING = { mapping: 'the image overrides (Apps → proxy → Images…)' };
const STEP_PROGRESS = { images: 5, config: 30, volumes: 45, containers: 55, ready: 85, rollback: null, done: 100 } as const;

/** The Watch stack per server: turn on/off, config and rules from settings, peers, and HTTP to its parts. */
export class WatchService {
  private readonly deps: WatchDeps;
  private readonly busy = new Set<string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** The probe list each server's config was last written with (apps, domains and deploys change it). */
  private readonly probesWritten = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  constructor(deps: WatchDeps) {
    this.deps = deps;
  }

  /** Re-syncs enabled servers whose probed domains changed (an app added, edited, deployed or removed). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkDomains(), this.deps.domainCheckMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Servers whose probes differ from what was last written are re-synced; one failing waits for the next check. */
  async checkDomains(): Promise<string[]> {
    const synced: string[] = [];
    for (const id of this.deps.store.enabledServers()) {
      if (this.busy.has(id) || !this.deps.serverExists(id)) continue;
      const probes = JSON.stringify(this.probes(id));
      // First look since the app started: taken as what the server has (no connection to every server at start).
      if (!this.probesWritten.has(id)) this.probesWritten.set(id, probes);
      if (this.probesWritten.get(id) === probes) continue;
      await this.exclusive(id, () => this.sync(id)).then(
        () => synced.push(id),
        () => undefined,
      );
    }
    return synced;
  }

  private check(serverId: string): void {
    if (!this.deps.serverExists(serverId)) throw new AppError('NOT_FOUND', `serverId: no server with id ${serverId}`);
  }

  /** One HTTP request to a part of the stack on the server (Prometheus, Alertmanager…), over SSH. */
  async http(serverId: string, part: 'prometheus' | 'alertmanager' | 'blackbox', req: WatchRequest): Promise<WatchResponse> {
    const port = part === 'prometheus' ? WATCH_PORTS.prometheus : part === 'alertmanager' ? WATCH_PORTS.alertmanager : WATCH_PORTS.blackbox;
    return watchHttp(await this.deps.conn(serverId), port, { what: `${part === 'prometheus' ? 'Prometheus' : part === 'alertmanager' ? 'Alertmanager' : 'blackbox'} on ${this.deps.server(serverId).name}`, ...req });
  }

  settings(serverId: string): WatchSettings {
    this.check(serverId);
    return this.deps.store.get(serverId).settings;
  }

  async setSettings(serverId: string, patch: WatchSettingsPatch): Promise<WatchSettings> {
    this.check(serverId);
    const settings = this.deps.store.merge(serverId, patch);
    const rec = this.deps.store.put(serverId, { settings });
    if (rec.enabled) await this.exclusive(serverId, () => this.sync(serverId));
    return settings;
  }

  async status(serverId: string): Promise<WatchStatus> {
    this.check(serverId);
    const rec = this.deps.store.get(serverId);
    const base = { serverId, enabled: rec.enabled, settings: rec.settings, peers: this.peerTargets(rec.peers), watchedBy: this.peerTargets(this.deps.store.watchers(serverId)), probes: this.probes(serverId).map((p) => p.host) };
    let containers: WatchStatus['containers'];
    try {
      containers = await readContainers(await this.deps.docker.api(serverId));
    } catch (e) {
      return { ...base, state: rec.enabled ? 'failed' : 'off', error: `the server could not be read: ${errorMessage(e)}`, containers: [], memoryBytes: 0, checkedAt: null };
    }
    const present = containers.filter((c) => c.state !== 'missing');
    const running = containers.filter((c) => c.state === 'running');
    const state = this.busy.has(serverId) ? 'starting' : present.length === 0 ? 'off' : running.length === containers.length ? 'on' : 'failed';
    const broken = containers.filter((c) => c.state !== 'running').map((c) => `${c.name} is ${c.state}`);
    return {
      ...base,
      state,
      error: state === 'failed' ? broken.join('; ') : null,
      containers,
      memoryBytes: containers.reduce((n, c) => n + (c.memoryBytes ?? 0), 0),
      checkedAt: Date.now(),
    };
  }

  /** Turning on as a stream of progress (the work goes on if the reader leaves; the queue only reports it). */
  turnOnStream(serverId: string, signal?: AbortSignal): AsyncQueue<WatchProgress> {
    this.check(serverId);
    const queue = new AsyncQueue<WatchProgress>({ what: 'watch.turnOn', ...(signal ? { signal } : {}) });
    this.turnOn(serverId, (p) => queue.push(p)).then(
      () => queue.end(),
      (e: unknown) => queue.fail(e),
    );
    return queue;
  }

  /**
   * Starts the stack (or brings it in line with the settings): images, config, volumes, containers, then waits
   * until every part answers. A failure removes the containers this call created and fails naming the step.
   */
  async turnOn(serverId: string, onProgress: (p: WatchProgress) => void = () => undefined): Promise<WatchStatus> {
    this.check(serverId);
    await this.exclusive(serverId, async () => {
      let step: WatchProgress['step'] = 'images';
      const report = (s: NonNullable<WatchProgress['step']>, error: string | null = null) => onProgress({ step: (step = s), progress: STEP_PROGRESS[s], error, status: null });
      const created: WatchPart[] = [];
      const api = await this.deps.docker.api(serverId);
      try {
        report('images');
        const images = this.images(serverId);
        for (const ref of new Set([...Object.values(images), this.builderImage(serverId)])) await ensureImage(api, ref, IMAGE_MAPPING);
        report('config');
        await this.writeConfig(serverId, api, images.prometheus);
        report('volumes');
        await ensureVolumes(api);
        report('containers');
        for (const part of WATCH_PARTS) if (await ensureContainer(api, await this.spec(serverId, part, images))) created.push(part);
        report('ready');
        await this.waitReady(serverId, api);
        this.deps.store.put(serverId, { enabled: true });
      } catch (e) {
        const failedAt = step;
        report('rollback', errorMessage(e));
        const removed = await removeContainers(api, created).catch(() => [] as string[]);
        throw new AppError(e instanceof AppError ? e.code : 'REMOTE_COMMAND_FAILED', `Turning Watch on failed at ${failedAt}: ${errorMessage(e)}${removed.length ? ` (removed again: ${removed.join(', ')})` : ''}`, e instanceof AppError ? e.data : undefined, { cause: e });
      }
    });
    const status = await this.status(serverId);
    onProgress({ step: 'done', progress: 100, error: null, status });
    return status;
  }

  async turnOff(serverId: string, removeData = false): Promise<WatchStatus> {
    this.check(serverId);
    await this.exclusive(serverId, async () => {
      const api = await this.deps.docker.api(serverId);
      await removeContainers(api);
      if (removeData) await removeVolumes(api);
      this.deps.store.put(serverId, { enabled: false });
    });
    return this.status(serverId);
  }

  async setPeers(serverId: string, peerIds: readonly string[]): Promise<WatchStatus> {
    this.check(serverId);
    const peers = [...new Set(peerIds)];
    peers.forEach((id, i) => {
      if (id === serverId) throw new AppError('INPUT_INVALID', `peerIds[${i}]: a server cannot be its own peer`);
      if (!this.deps.serverExists(id)) throw new AppError('NOT_FOUND', `peerIds[${i}]: no server with id ${id}`);
      this.peerAddress(id, `peerIds[${i}]`);
    });
    const before = this.deps.store.get(serverId).peers;
    const rec = this.deps.store.put(serverId, { peers });
    if (rec.enabled) await this.exclusive(serverId, () => this.sync(serverId));
    // A peer newly (or no longer) scraped listens on its private address (or stops): re-sync those that are on.
    for (const id of new Set([...before, ...peers].filter((p) => before.includes(p) !== peers.includes(p)))) {
      if (this.deps.store.get(id).enabled) await this.exclusive(id, () => this.sync(id));
    }
    return this.status(serverId);
  }

  async watchEachOther(serverIds: readonly string[]): Promise<WatchStatus[]> {
    const ids = [...new Set(serverIds)];
    ids.forEach((id, i) => {
      if (!this.deps.serverExists(id)) throw new AppError('NOT_FOUND', `serverIds[${i}]: no server with id ${id}`);
      this.peerAddress(id, `serverIds[${i}]`);
    });
    const out: WatchStatus[] = [];
    for (const id of ids) out.push(await this.setPeers(id, ids.filter((p) => p !== id)));
    return out;
  }

  /** Re-reads domains and settings, rewrites the config and reloads (or recreates what changed). */
  async resync(serverId: string): Promise<WatchStatus> {
    this.check(serverId);
    if (this.deps.store.get(serverId).enabled) await this.exclusive(serverId, () => this.sync(serverId));
    return this.status(serverId);
  }

  /** Alerting calls this after channels or the watchdog URL change: alertmanager.yml rewritten, Alertmanager reloaded. */
  async applyAlertmanagerConfig(serverId: string): Promise<void> {
    this.check(serverId);
    if (!this.deps.store.get(serverId).enabled) return;
    await this.exclusive(serverId, () => this.sync(serverId));
  }

  /** Every enabled server whose domains changed (after app/domain edits); failures are left to the next sync. */
  async resyncAll(): Promise<void> {
    for (const id of this.deps.store.enabledServers()) await this.resync(id).catch(() => undefined);
  }

  private async sync(serverId: string): Promise<void> {
    const api = await this.deps.docker.api(serverId);
    const images = this.images(serverId);
    await this.writeConfig(serverId, api, images.prometheus);
    let recreated = false;
    for (const part of WATCH_PARTS) recreated = (await ensureContainer(api, await this.spec(serverId, part, images))) || recreated;
    for (const part of ['prometheus', 'alertmanager', 'blackbox'] as const) {
      await this.http(serverId, part, { method: 'POST', path: '/-/reload', timeoutMs: 30_000 }).catch(async (e: unknown) => {
        if (!recreated) throw e;
      });
    }
    if (recreated) await this.waitReady(serverId, api);
  }

  private async writeConfig(serverId: string, api: Docker, image: string): Promise<void> {
    const rec = this.deps.store.get(serverId);
    const { name } = this.deps.server(serverId);
    const ship = this.deps.shipSettings(serverId);
    const probes = this.probes(serverId);
    this.probesWritten.delete(serverId);
    const files: Record<string, string> = {
      [WATCH_FILES.prometheus]: prometheusYaml({ serverName: name, intervals: rec.settings.intervals, peers: this.peerTargets(rec.peers), probes, proxyPorts: { http: ship.httpPort, https: ship.httpsPort } }),
      [WATCH_FILES.rules]: rulesYaml(rec.settings.thresholds, name),
      [WATCH_FILES.blackbox]: blackboxYaml(probes, Math.min(10, rec.settings.intervals.scrapeSeconds)),
      [WATCH_FILES.alertmanager]: await (this.deps.alertmanagerConfig ?? nullAlertmanagerConfig).render(serverId),
    };
    await writeConfigFiles(api, image, files);
    this.probesWritten.set(serverId, JSON.stringify(probes));
  }

  private async spec(serverId: string, part: WatchPart, images: StackImages) {
    const rec = this.deps.store.get(serverId);
    if (part === 'collector') {
      return withHash(collectorContainerSpec({ image: this.builderImage(serverId), intervalSeconds: rec.settings.intervals.collectorSeconds, dockerSocket: await this.deps.dockerSocket(serverId) }));
    }
    const watched = this.deps.store.watchers(serverId).length > 0;
    return withHash(stackSpecs({ images, retention: rec.settings.retention, exposeAddress: watched ? this.peerAddress(serverId, 'serverId') : null })[part]);
  }

  private async waitReady(serverId: string, api: Docker): Promise<void> {
    const deadline = Date.now() + (this.deps.readyTimeoutMs ?? 90_000);
    const checks: [string, () => Promise<unknown>][] = [
      ['Prometheus', () => this.http(serverId, 'prometheus', { path: '/-/ready', timeoutMs: 5_000 })],
      ['Alertmanager', () => this.http(serverId, 'alertmanager', { path: '/-/ready', timeoutMs: 5_000 })],
      ['blackbox', () => this.http(serverId, 'blackbox', { path: '/-/healthy', timeoutMs: 5_000 })],
      ['node-exporter', async () => watchHttp(await this.deps.conn(serverId), WATCH_PORTS.nodeExporter, { path: '/', timeoutMs: 5_000, what: 'node-exporter' })],
    ];
    let last = '';
    for (let attempt = 0; Date.now() < deadline && attempt < 600; attempt++) {
      const containers = await readContainers(api);
      const failed: string[] = containers.filter((c) => c.state !== 'running').map((c) => `${c.name} is ${c.state}`);
      if (!failed.length) {
        for (const [what, check] of checks) await check().catch((e: unknown) => failed.push(`${what}: ${errorMessage(e)}`));
      }
      if (!failed.length) return;
      last = failed.join('; ');
      await sleep(500);
    }
    throw new AppError('TIMEOUT', `the Watch stack was not ready within ${Math.round((this.deps.readyTimeoutMs ?? 90_000) / 1000)} s: ${last}`);
  }

  private images(serverId: string): StackImages {
    const o = this.deps.shipSettings(serverId).imageOverrides;
    return { prometheus: resolveImage(SERVICE_IMAGES.prometheus, o), alertmanager: resolveImage(SERVICE_IMAGES.alertmanager, o), nodeExporter: resolveImage(SERVICE_IMAGES.nodeExporter, o), blackbox: resolveImage(SERVICE_IMAGES.blackbox, o) };
  }

  private builderImage(serverId: string): string {
    return resolveImage(SERVICE_IMAGES.builder, this.deps.shipSettings(serverId).imageOverrides);
  }

  private probes(serverId: string): ProbeTarget[] {
    const seen = new Set<string>();
    return this.deps
      .domains(serverId)
      .filter((d) => d.deployed && !seen.has(d.host) && seen.add(d.host))
      .map((d) => ({ host: d.host, tls: d.tls, internal: d.issuer === 'internal', appName: d.appName }));
  }

  /** The address peers scrape a server at: its host, which must be an IP literal (a name may not resolve on the peer). */
  private peerAddress(serverId: string, field: string): string {
    const { name, host } = this.deps.server(serverId);
    if (!isIP(host)) throw new AppError('INPUT_INVALID', `${field}: server ${name} is addressed by the name ${host}; peers need its private IP address as the server's host`);
    return host;
  }

  private peerTargets(ids: readonly string[]): PeerTarget[] & WatchPeer[] {
    return ids.filter((id) => this.deps.serverExists(id)).map((id) => ({ serverId: id, name: this.deps.server(id).name, address: this.deps.server(id).host }));
  }

  /** One change at a time per server: a second waits for the first (a sync after a settings change, a domain check…). */
  private async exclusive<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(serverId) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(async () => {
      this.busy.add(serverId);
      try {
        return await fn();
      } finally {
        this.busy.delete(serverId);
      }
    });
    const tail = run.catch(() => undefined);
    this.locks.set(serverId, tail);
    void tail.then(() => this.locks.get(serverId) === tail && this.locks.delete(serverId));
    return run;
  }
}
