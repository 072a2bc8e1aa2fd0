import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { z } from 'zod';
import type { Webhook, WebhookDelivery, WebhookWithSecret } from '../../../shared/contract/apps.ts';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { execChecked } from '../docker/exec.ts';
import { LABELS } from '../docker/labels.ts';
import type { DockerService } from '../docker/service.ts';
import { UPSTREAM_PLACEHOLDER, CADDY_RELOAD } from '../proxy/caddy.ts';
import { BUILDER_DATA, PROXY_CONTAINER, caddyDriver } from '../proxy/driver.ts';
import { DEFAULT_IMAGES, resolveImage } from '../proxy/images.ts';
import { readContainerLogs } from '../docker/container-logs.ts';
import { ensureImage, ensureNetwork } from '../proxy/service.ts';
import type { ShipSettingsStore } from '../proxy/settings.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import type { AppsService } from './apps.ts';
import { builderSpec, deployContainer, deployImage, jobDirOf, jobVars } from './job.ts';
import { guarded, liveApi, type DeployService } from './service.ts';
import type { AppRow, DeployStore } from './store.ts';
import { DEPLOY_ID_PLACEHOLDER, RECEIVER_CONTAINER, RECEIVER_PORT, ROUTE_NAME, SUBSTITUTED, parseDeliveries, receiverContainer, sha256, webhookUrl, type ReceiverSpec } from './webhook-spec.ts';
import { tarball } from '../docker/tar.ts';

const DELIVERIES_READ = 2000;
const SECRET_KIND = 'webhook-secret';

/** What SQLite keeps per app (apps.webhook, JSON): the secret itself is in the keychain. */
const WebhookState = z.object({
  host: z.string(),
  tls: z.boolean(),
  secretRef: z.string(),
  createdAt: z.number(),
  rotatedAt: z.number(),
  /** Hash of what was last written to the server for this app (spec + receiver); null: write it again. */
  specHash: z.string().nullable(),
});
type WebhookState = z.infer<typeof WebhookState>;

function parseState(stored: unknown): WebhookState | null {
  if (!stored) return null;
  const r = WebhookState.safeParse(stored);
  return r.success ? r.data : null;
}

export interface WebhookDeps {
  store: DeployStore;
  apps: AppsService;
  settings: ShipSettingsStore;
  secrets: SecretsService;
  docker: DockerService;
  pool: ConnectionPool;
  dockerSocket: (serverId: string) => Promise<string>;
  deploys: DeployService;
  /** How often servers with push-to-deploy are looked at (deliveries imported, stale specs rewritten). */
  syncIntervalMs?: number;
}

/**
 * Push-to-deploy. OpenPanel writes, per app, the deploy job's builder spec (with the webhook secret, deploy key and
 * env values: root-only 0600 on the server) and runs one small receiver container per server, routed by the proxy
 * under its own host name. The receiver verifies deliveries and starts the same builder the app would start. The
 * app imports those deploys into its history from the receiver's deliveries log, and follows them like its own.
 */
export class WebhookService {
  private readonly deps: WebhookDeps;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly syncErrors = new Map<string, string>();
  private readonly deliveriesOf = new Map<string, ReturnType<typeof parseDeliveries>>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(deps: WebhookDeps) {
    this.deps = deps;
  }

  /** Begins looking at servers with push-to-deploy (first after 3 s, then every syncIntervalMs). */
  start(): void {
    if (!this.timer) this.schedule(3_000);
  }

  get(appId: string): Webhook {
    const row = this.deps.store.app(appId);
    const st = parseState(row.webhook);
    const settings = st ? this.deps.settings.get(row.serverId) : null;
    return {
      appId,
      enabled: !!st,
      host: st?.host ?? null,
      tls: st?.tls ?? true,
      url: st && settings ? webhookUrl(st, settings, appId) : null,
      createdAt: st?.createdAt ?? null,
      rotatedAt: st?.rotatedAt ?? null,
      syncError: st ? (this.syncErrors.get(row.serverId) ?? null) : null,
    };
  }

  async enable(appId: string, host: string, tls: boolean): Promise<WebhookWithSecret> {
    const row = this.deps.store.app(appId);
    const app = this.deps.store.config(row);
    if (app.source.kind !== 'git') throw new AppError('INPUT_INVALID', 'source: push-to-deploy needs a git source (this app is uploaded from a folder on this computer)');
    if (isCompose(app)) throw new AppError('INPUT_INVALID', 'compose: push-to-deploy starts Dockerfile deploys only for now (not Compose stacks)');
    for (const other of this.deps.store.apps(row.serverId)) {
      if (this.deps.store.config(other).domains.some((dm) => dm.host === host)) throw new AppError('CONFLICT', `host: ${host} is a domain of the app ${other.name}; give the webhook a host name of its own (e.g. hooks.example.com)`);
    }
    const prev = parseState(row.webhook);
    let secret: string | null = null;
    let secretRef = prev?.secretRef;
    if (!secretRef) {
      secret = newSecret();
      secretRef = (await this.deps.secrets.put(`Webhook secret of ${app.name}`, SECRET_KIND, secret)).ref;
    }
    const now = Date.now();
    const next: WebhookState = { host, tls, secretRef, createdAt: prev?.createdAt ?? now, rotatedAt: prev?.rotatedAt ?? now, specHash: null };
    this.deps.store.updateApp(appId, { webhook: next });
    try {
      await this.apply(row.serverId, true);
    } catch (e) {
      this.deps.store.updateApp(appId, { webhook: row.webhook });
      if (!prev) await this.deps.secrets.remove(secretRef);
      await this.apply(row.serverId).catch(() => undefined);
      throw e;
    }
    return { ...this.get(appId), secret };
  }

  /** Off: the spec (and its secrets) is removed from the server first; the receiver goes when no app needs it. */
  async disable(appId: string): Promise<Webhook> {
    const row = this.deps.store.app(appId);
    const st = parseState(row.webhook);
    if (!st) return this.get(appId);
    this.deps.store.updateApp(appId, { webhook: null });
    try {
      await this.apply(row.serverId);
    } catch (e) {
      this.deps.store.updateApp(appId, { webhook: row.webhook });
      throw e;
    }
    await this.deps.secrets.remove(st.secretRef);
    return this.get(appId);
  }

  async rotate(appId: string): Promise<WebhookWithSecret> {
    const row = this.deps.store.app(appId);
    const st = parseState(row.webhook);
    if (!st) throw new AppError('CONFLICT', 'id: push-to-deploy is off for this app; turn it on first');
    const label = `Webhook secret of ${this.deps.store.config(row).name}`;
    const old = await this.deps.secrets.require(st.secretRef, 'webhook secret');
    const secret = newSecret();
    await this.deps.secrets.replace(st.secretRef, label, SECRET_KIND, secret);
    this.deps.store.updateApp(appId, { webhook: { ...st, rotatedAt: Date.now(), specHash: null } });
    try {
      await this.apply(row.serverId);
    } catch (e) {
      await this.deps.secrets.replace(st.secretRef, label, SECRET_KIND, old);
      this.deps.store.updateApp(appId, { webhook: row.webhook });
      throw e;
    }
    return { ...this.get(appId), secret };
  }

  /** Recent deliveries of the app (newest first), read from the server now; started deploys are imported. */
  async deliveries(appId: string, limit: number): Promise<WebhookDelivery[]> {
    const row = this.deps.store.app(appId);
    try {
      await this.serial(row.serverId, () => this.sync(row.serverId));
      this.syncErrors.delete(row.serverId);
    } catch (e) {
      this.syncErrors.set(row.serverId, errorMessage(e));
      throw e;
    }
    return (this.deliveriesOf.get(row.serverId) ?? [])
      .filter((e) => e.appId === appId)
      .reverse()
      .slice(0, limit)
      .map(({ image: _i, container: _c, ...e }) => e);
  }

  /** Called after an app changed: its spec on the server is rewritten soon (in the background). */
  refreshSoon(serverId: string): void {
    if (this.enabledApps(serverId).length === 0) return;
    void this.refresh(serverId).catch(() => undefined);
  }

  /** The keychain secret of an app being removed (its spec goes with the last apply, or stays if the server is gone). */
  async forget(row: AppRow): Promise<void> {
    const st = parseState(row.webhook);
    if (!st) return;
    await this.disable(row.id).catch(async () => {
      await this.deps.secrets.remove(st.secretRef);
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  // ---- background: import deploys started on the server, rewrite stale specs -------------------------------------

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const servers = new Set(this.deps.store.apps().filter((r) => parseState(r.webhook)).map((r) => r.serverId));
    for (const serverId of servers) {
      if (this.closed) return;
      await this.refresh(serverId).catch(() => undefined);
    }
    this.schedule(this.deps.syncIntervalMs ?? 30_000);
  }

  private async refresh(serverId: string): Promise<void> {
    try {
      await this.serial(serverId, async () => {
        await this.sync(serverId);
        if (await this.stale(serverId)) await this.applyNow(serverId, false);
      });
      this.syncErrors.delete(serverId);
    } catch (e) {
      this.syncErrors.set(serverId, errorMessage(e));
      throw e;
    }
  }

  /** One thing at a time per server (user actions and the background look). */
  private serial<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(serverId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(fn);
    this.chains.set(serverId, next.catch(() => undefined));
    return next;
  }

  /** Reads the receiver's deliveries log over SSH and imports the deploys it started that SQLite does not know. */
  private async sync(serverId: string): Promise<void> {
    const settings = this.deps.settings.get(serverId);
    const conn = await this.deps.pool.acquire(serverId);
    const r = await conn.exec(['sh', '-c', 'tail -n "$2" -- "$1" 2>/dev/null; exit 0', 'sh', `${settings.dataDir}/webhooks/deliveries.log`, String(DELIVERIES_READ)], { timeoutMs: 15_000, maxBuffer: 8 * 1024 * 1024 });
    if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `reading the webhook deliveries: ${r.stderr.trim() || `exit ${r.code}`}`);
    const entries = parseDeliveries(r.stdout);
    this.deliveriesOf.set(serverId, entries);
    for (const e of entries) {
      if (e.result !== 'started' || !e.deployId || !/^d[a-z0-9]{4,40}$/.test(e.deployId) || this.deps.store.hasDeploy(e.deployId)) continue;
      const row = this.deps.store.apps(serverId).find((a) => a.id === e.appId);
      if (!row) continue;
      const name = this.deps.store.config(row).name;
      this.deps.deploys.adopt({
        id: e.deployId, appId: row.id, serverId, kind: 'deploy', trigger: 'webhook', status: 'running', step: 'queued', progress: 0,
        image: e.image ?? deployImage(name, e.deployId), commit: e.commit || null, container: e.container ?? deployContainer(name, e.deployId),
        error: null, buildSeconds: null, jobDir: jobDirOf(settings, e.deployId), log: null, createdAt: e.at, finishedAt: null,
      });
    }
  }

  // ---- what runs on the server ---------------------------------------------------------------------------------------

  private enabledApps(serverId: string): { row: AppRow; state: WebhookState }[] {
    return this.deps.store
      .apps(serverId)
      .map((row) => ({ row, state: parseState(row.webhook) }))
      .filter((x): x is { row: AppRow; state: WebhookState } => x.state !== null);
  }

  private async desired(serverId: string) {
    const settings = this.deps.settings.get(serverId);
    const dockerSocket = await this.deps.dockerSocket(serverId);
    const enabled = this.enabledApps(serverId);
    const hosts = new Map<string, boolean>();
    for (const { state } of enabled) hosts.set(state.host, (hosts.get(state.host) ?? false) || state.tls);
    const receiverImage = resolveImage(DEFAULT_IMAGES.webhook, settings.imageOverrides);
    const builderImage = resolveImage(DEFAULT_IMAGES.builder, settings.imageOverrides);
    const receiver = receiverContainer(settings, receiverImage, dockerSocket, [...hosts].map(([host, tls]) => ({ host, tls })));
    const specs: { row: AppRow; state: WebhookState; spec: ReceiverSpec; hash: string }[] = [];
    for (const { row, state } of enabled) {
      const spec = await this.specFor(row, state, settings, dockerSocket, builderImage);
      specs.push({ row, state, spec, hash: sha256(JSON.stringify(spec) + receiver.Labels![LABELS.webhookHash]) });
    }
    return { settings, receiver, receiverImage, builderImage, specs, hosts: [...hosts].map(([host, tls]) => ({ host, tls })) };
  }

  private async specFor(row: AppRow, state: WebhookState, settings: ShipSettings, dockerSocket: string, builderImage: string): Promise<ReceiverSpec> {
    const app = this.deps.store.config(row);
    if (app.source.kind !== 'git' || isCompose(app)) throw new AppError('INPUT_INVALID', `source: the app ${app.name} is no longer a Dockerfile app built from git; turn push-to-deploy off`);
    const { deployKey, env } = await this.deps.apps.secretsOf(row);
    const secret = await this.deps.secrets.require(state.secretRef, 'webhook secret');
    const ph = DEPLOY_ID_PLACEHOLDER;
    const vars = jobVars({ deployId: ph, appId: row.id, kind: 'deploy', app, settings, image: deployImage(app.name, ph), container: deployContainer(app.name, ph), deployKey, env, upload: false });
    for (const [k, v] of Object.entries(vars)) {
      if (!SUBSTITUTED.includes(k) && v.includes(ph) && k !== 'OP_APP_ENV' && k !== 'OP_DOCKERFILE_OVERRIDE' && k !== 'OP_DOCKERIGNORE_OVERRIDE') throw new Error(`job variable ${k} carries the deploy id but the receiver would not replace it`);
    }
    const { name, ...builder } = builderSpec({ deployId: ph, image: builderImage, dockerSocket, settings, vars });
    return { version: 1, appId: row.id, appName: app.name, branch: app.source.branch, secret, placeholder: ph, substitute: SUBSTITUTED, name, builder };
  }

  /** Whether what is on the server (as last written) differs from what the app would write now. */
  private async stale(serverId: string): Promise<boolean> {
    const { specs } = await this.desired(serverId);
    return specs.some((s) => s.state.specHash !== s.hash);
  }

  private apply(serverId: string, requireProxy = false): Promise<void> {
    return this.serial(serverId, () => this.applyNow(serverId, requireProxy));
  }

  /** Makes the server match SQLite: receiver container, one spec per enabled app, proxy route; or none of them. */
  private async applyNow(serverId: string, requireProxy: boolean): Promise<void> {
    const want = await this.desired(serverId);
    const { settings } = want;
    const api = await liveApi(this.deps.docker, serverId);
    await guarded(this.deps.docker, serverId, 'setting up the push-to-deploy receiver', async () => {
      if (requireProxy) {
        const proxy = await api.getContainer(PROXY_CONTAINER).inspect().catch(() => null);
        if (!proxy?.State.Running) throw new AppError('CONFLICT', 'the reverse proxy is not running on this server; install it first (the webhook receiver is reached through it)');
      }
      const client = await this.deps.docker.client(serverId);
      if (want.specs.length === 0) {
        const existing = await api.getContainer(RECEIVER_CONTAINER).inspect().catch(() => null);
        if (existing) {
          if (!existing.State.Running) await api.getContainer(RECEIVER_CONTAINER).start();
          await execChecked(client, RECEIVER_CONTAINER, ['rm', '-rf', `${BUILDER_DATA}/webhooks/apps`, `${BUILDER_DATA}/webhooks/seen.json`], 'removing the webhook specs');
          await api.getContainer(RECEIVER_CONTAINER).remove({ force: true });
        }
        if (settings.driver === 'caddy') await this.caddyRoute(api, client, null);
        return;
      }
      await ensureNetwork(api);
      await ensureImage(api, want.receiverImage);
      await ensureImage(api, want.builderImage);
      await this.ensureReceiver(api, want.receiver);
      const files = want.specs.map((s) => ({ name: `webhooks/apps/${s.row.id}.json`, mode: 0o600, data: Buffer.from(JSON.stringify(s.spec)) }));
      await api.getContainer(RECEIVER_CONTAINER).putArchive(tarball([{ name: 'webhooks', mode: 0o755 }, { name: 'webhooks/apps', mode: 0o700 }, ...files]), { path: BUILDER_DATA });
      // Specs of apps that no longer use the webhook go (they hold secrets).
      const listed = await execChecked(client, RECEIVER_CONTAINER, ['ls', '-1', `${BUILDER_DATA}/webhooks/apps`], 'listing the webhook specs');
      const keep = new Set(want.specs.map((s) => `${s.row.id}.json`));
      const stale = listed.split('\n').map((l) => l.trim()).filter((l) => l && !keep.has(l));
      if (stale.length) await execChecked(client, RECEIVER_CONTAINER, ['rm', '-f', '--', ...stale.map((f) => `${BUILDER_DATA}/webhooks/apps/${f}`)], 'removing old webhook specs');
      if (settings.driver === 'caddy') await this.caddyRoute(api, client, want.hosts);
    }, 300_000);
    for (const s of want.specs) this.deps.store.updateApp(s.row.id, { webhook: { ...s.state, specHash: s.hash } });
  }

  private async ensureReceiver(api: Docker, spec: Docker.ContainerCreateOptions & { name: string }): Promise<void> {
    const c = api.getContainer(RECEIVER_CONTAINER);
    const info = await c.inspect().catch(() => null);
    if (info && info.Config.Labels?.[LABELS.webhookHash] === spec.Labels![LABELS.webhookHash]) {
      if (!info.State.Running) await c.start();
      if (info.State.Running) return;
    } else {
      if (info) await c.remove({ force: true });
      await (await api.createContainer(spec)).start();
    }
    // Wait until it listens (deliveries right after enabling must not meet a closed port).
    for (let i = 0; i < 100; i++) {
      const logs = (await readContainerLogs(api, RECEIVER_CONTAINER, 50)).output;
      if (logs.includes('webhook receiver on')) return;
      const st = await c.inspect();
      if (!st.State.Running && st.State.Status !== 'created') throw new AppError('REMOTE_COMMAND_FAILED', `the webhook receiver stopped (${st.State.Status}): ${logs.trim().slice(-500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new AppError('TIMEOUT', 'the webhook receiver did not start listening within 10 s');
  }

  /** Caddy reads files: the receiver's site (or its removal), then a graceful reload. Traefik reads the labels. */
  private async caddyRoute(api: Docker, client: Awaited<ReturnType<DockerService['client']>>, hosts: { host: string; tls: boolean }[] | null): Promise<void> {
    const proxy = await api.getContainer(PROXY_CONTAINER).inspect().catch(() => null);
    if (!proxy?.State.Running) return;
    const site = hosts ? caddyDriver.site({ name: ROUTE_NAME, domains: hosts }) : null;
    const inProxy = `/etc/openpanel/sites/${ROUTE_NAME}.caddy`;
    if (site) {
      const text = site.template.split(UPSTREAM_PLACEHOLDER).join(`${RECEIVER_CONTAINER}:${RECEIVER_PORT}`);
      await api.getContainer(PROXY_CONTAINER).putArchive(tarball([{ name: `${ROUTE_NAME}.caddy`, mode: 0o644, data: Buffer.from(text) }]), { path: '/etc/openpanel/sites' });
    } else {
      await execChecked(client, PROXY_CONTAINER, ['rm', '-f', inProxy], 'removing the webhook route');
    }
    await execChecked(client, PROXY_CONTAINER, CADDY_RELOAD, 'reloading Caddy');
  }
}

/** Compose apps (a stack, not one builder spec) are not started by the receiver yet. */
function isCompose(app: object): boolean {
  return !!(app as { compose?: unknown }).compose;
}

function newSecret(): string {
  return randomBytes(32).toString('hex');
}
