import type { Db } from '../db/index.ts';
import { LABELS } from '../docker/labels.ts';
import type { DockerService } from '../docker/service.ts';
import type { ServedDomain } from '../proxy/certificates.ts';
import { ensureImage, ProxyService } from '../proxy/service.ts';
import { ShipSettingsStore } from '../proxy/settings.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { appSecrets, AppsService } from './apps.ts';
import { composeOf } from './compose.ts';
import { DEFAULT_IMAGES, resolveImage } from '../proxy/images.ts';
import { removeServerFiles } from './remove.ts';
import { AppRuntimeService } from './runtime.ts';
import { DeployService, guarded, liveApi } from './service.ts';
import { DeployStore, type AppRow } from './store.ts';
import type { TrackerOptions } from '../jobs/tracker.ts';
import { WebhookService } from './webhook.ts';

export interface ShipDeps {
  db: Db;
  secrets: SecretsService;
  docker: DockerService;
  pool: ConnectionPool;
  serverExists: (id: string) => boolean;
  dockerSocket: (serverId: string) => Promise<string>;
  tracker?: TrackerOptions;
}

/** Ship: proxy per server, apps, deploy jobs. Built once in app.ts. */
export class ShipService {
  readonly settings: ShipSettingsStore;
  readonly proxy: ProxyService;
  readonly apps: AppsService;
  readonly deploys: DeployService;
  /** What each app runs now (its live container, found by labels), and start/stop/restart of it. */
  readonly runtime: AppRuntimeService;
  /** Push-to-deploy receivers on the servers. */
  readonly webhooks: WebhookService;
  private readonly store: DeployStore;
  private readonly docker: DockerService;
  private readonly dockerSocket: (serverId: string) => Promise<string>;

  constructor(deps: ShipDeps) {
    this.docker = deps.docker;
    this.dockerSocket = deps.dockerSocket;
    this.store = new DeployStore(deps.db);
    this.settings = new ShipSettingsStore(deps.db, deps.secrets, deps.serverExists);
    this.proxy = new ProxyService(deps.docker, this.settings, deps.dockerSocket, (serverId) => this.servedDomains(serverId));
    const secretsOf = (row: AppRow) => appSecrets(deps.secrets, row);
    this.deploys = new DeployService({ store: this.store, apps: { secretsOf }, settings: this.settings, docker: deps.docker, pool: deps.pool, dockerSocket: deps.dockerSocket, ...(deps.tracker ? { tracker: deps.tracker } : {}) });
    this.runtime = new AppRuntimeService({ store: this.store, docker: deps.docker, pool: deps.pool, settings: this.settings });
    this.apps = new AppsService(this.store, deps.secrets, deps.serverExists, (id) => this.deploys.last(id));
    this.webhooks = new WebhookService({ store: this.store, apps: this.apps, settings: this.settings, secrets: deps.secrets, docker: deps.docker, pool: deps.pool, dockerSocket: deps.dockerSocket, deploys: this.deploys });
  }

  /** Hosts the proxy of a server routes: every app's domains and push-to-deploy hosts (for the certificate status). */
  servedDomains(serverId: string): ServedDomain[] {
    const out: ServedDomain[] = [];
    for (const row of this.store.apps(serverId)) {
      const deployed = this.store.deploys(row.id, 200).some((dep) => dep.status === 'succeeded');
      for (const dm of this.store.config(row).domains) out.push({ host: dm.host, tls: dm.tls, issuer: dm.issuer ?? 'acme', appId: row.id, appName: row.name, deployed });
      const hook = typeof row.webhook === 'object' ? (row.webhook as { host?: unknown; tls?: unknown } | null) : null;
      if (typeof hook?.host === 'string') out.push({ host: hook.host, tls: hook.tls !== false, issuer: 'acme', appId: row.id, appName: `${row.name} (push-to-deploy)`, deployed: true });
    }
    return out;
  }

  /**
   * Removes an app. stopContainers (default): its containers (Compose: `compose down`), its Caddy site file (then a
   * graceful reload) and its job folders on the server; removeImages: its built images too. Always: the push-to-deploy
   * receiver's spec and secret, the keychain secrets (env values, deploy key), and the deploy history in SQLite.
   */
  async removeApp(id: string, stopContainers: boolean, removeVolumes = false, removeImages = true): Promise<boolean> {
    const row = this.store.app(id);
    const app = this.store.config(row);
    for (const d of this.store.active(id)) await this.deploys.cancel(d.id).catch(() => undefined);
    if (stopContainers && composeOf(app)) await this.deploys.removeStack(id, removeVolumes);
    if (stopContainers) {
      const api = await liveApi(this.docker, row.serverId);
      const settings = this.settings.get(row.serverId);
      await guarded(this.docker, row.serverId, 'removing the app on the server', async () => {
        const list = await api.listContainers({ all: true, filters: { label: [`${LABELS.app}=${id}`] } });
        for (const c of list) await api.getContainer(c.Id).remove({ force: true });
        if (removeImages) {
          for (const img of await api.listImages({ filters: { label: [`${LABELS.app}=${id}`] } })) await api.getImage(img.Id).remove({ force: true }).catch(() => undefined);
        }
        const builder = resolveImage(DEFAULT_IMAGES.builder, settings.imageOverrides);
        await ensureImage(api, builder);
        await removeServerFiles(api, { image: builder, dockerSocket: await this.dockerSocket(row.serverId), settings, appName: app.name, deployIds: this.store.deploys(id, 10_000).map((d) => d.id) });
      }, 300_000);
    }
    await this.webhooks.forget(row);
    await this.apps.removeSecrets(row);
    this.store.deleteApp(id);
    return true;
  }

  /** Re-attaches to deploy jobs that were running when the app stopped, and starts following push-to-deploy. */
  start(): void {
    this.webhooks.start();
    this.deploys.resume();
  }

  close(): void {
    this.webhooks.close();
    this.deploys.close();
  }
}
