import type { Db } from '../db/index.ts';
import type { DockerService } from '../docker/service.ts';
import { ProxyService } from '../proxy/service.ts';
import { ShipSettingsStore } from '../proxy/settings.ts';
import type { SecretsService } from '../secrets/service.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { AppsService } from './apps.ts';
import { composeOf } from './compose.ts';
import { DeployService } from './service.ts';
import { DeployStore } from './store.ts';
import type { TrackerOptions } from './tracker.ts';
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
  /** Push-to-deploy receivers on the servers. */
  readonly webhooks: WebhookService;
  private readonly store: DeployStore;
  private readonly docker: DockerService;

  constructor(d: ShipDeps) {
    this.docker = d.docker;
    this.store = new DeployStore(d.db);
    this.settings = new ShipSettingsStore(d.db, d.secrets, d.serverExists);
    this.proxy = new ProxyService(d.docker, this.settings, d.dockerSocket);
    let deploysRef: DeployService | null = null;
    this.apps = new AppsService(this.store, d.secrets, d.serverExists, (id) => deploysRef?.last(id) ?? null);
    this.deploys = new DeployService({ store: this.store, apps: this.apps, settings: this.settings, docker: d.docker, pool: d.pool, dockerSocket: d.dockerSocket, ...(d.tracker ? { tracker: d.tracker } : {}) });
    deploysRef = this.deploys;
    this.webhooks = new WebhookService({ store: this.store, apps: this.apps, settings: this.settings, secrets: d.secrets, docker: d.docker, pool: d.pool, dockerSocket: d.dockerSocket, deploys: this.deploys });
  }

  /** Removes an app (and, by default, its containers on the server). */
  async removeApp(id: string, stopContainers: boolean, removeVolumes = false): Promise<boolean> {
    const row = this.store.app(id);
    for (const d of this.store.active(id)) await this.deploys.cancel(d.id).catch(() => undefined);
    if (stopContainers && composeOf(this.store.config(row))) await this.deploys.removeStack(id, removeVolumes);
    if (stopContainers) {
      const api = await this.docker.api(row.serverId);
      const list = await api.listContainers({ all: true, filters: { label: [`openpanel.app=${id}`] } });
      for (const c of list) await api.getContainer(c.Id).remove({ force: true });
    }
    await this.webhooks.forget(row);
    await this.apps.removeSecrets(row);
    this.store.deleteApp(id);
    return true;
  }

  close(): void {
    this.webhooks.close();
    this.deploys.close();
  }
}
