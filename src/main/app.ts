import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditService } from './services/audit/service.ts';
import { StreamRegistry } from './services/core/streams.ts';
import { openStorage, type Storage } from './services/db/index.ts';
import { SecretsService, type SecretBackendChoice } from './services/secrets/service.ts';
import { SettingsService } from './services/settings/service.ts';
import { DockerService } from './services/docker/service.ts';
import { ServersService } from './services/hosts/service.ts';
import { HostKeyService } from './services/ssh/host-keys.ts';
import { ConnectionPool, type PoolOptions } from './services/ssh/pool.ts';
import { ProfilesService } from './services/profiles/service.ts';
import { ForwardsService } from './services/ssh/forwards.ts';

export interface AppOptions {
  dataDir: string;
  mode: 'desktop' | 'web';
  version: string;
  secretBackend?: SecretBackendChoice;
  /** Connection tuning (tests use short keep-alives and backoff). */
  ssh?: Pick<PoolOptions, 'reconnect' | 'keepaliveIntervalMs' | 'keepaliveCountMax'>;
}

/** Every service of the app, wired once; both the Electron main process and headless mode build exactly this. */
export interface AppServices {
  options: AppOptions;
  startedAt: number;
  storage: Storage;
  audit: AuditService;
  settings: SettingsService;
  secrets: SecretsService;
  streams: StreamRegistry;
  hostKeys: HostKeyService;
  pool: ConnectionPool;
  docker: DockerService;
  servers: ServersService;
  profiles: ProfilesService;
  forwards: ForwardsService;
  close(): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<AppServices> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const storage = openStorage(join(options.dataDir, 'openpanel.db'));
  const secrets = await SecretsService.open(storage.db, options.dataDir, options.secretBackend ?? 'auto');
  const hostKeys = new HostKeyService(storage.db);
  // The pool asks the servers service for endpoints and credentials; both are built here, once.
  let serversRef: ServersService | null = null;
  const pool = new ConnectionPool({ describe: (id) => serversRef!.describe(id), hostKeys, ...options.ssh });
  const docker = new DockerService(pool, (id) => serversRef!.dockerSocket(id));
  const serversService = new ServersService({ db: storage.db, secrets, hostKeys, pool, docker });
  serversRef = serversService;
  const services: AppServices = {
    options,
    hostKeys,
    pool,
    docker,
    servers: serversService,
    profiles: new ProfilesService(serversService, hostKeys),
    forwards: new ForwardsService(pool),
    startedAt: Date.now(),
    storage,
    audit: new AuditService(storage.db),
    settings: new SettingsService(storage.db),
    secrets,
    streams: new StreamRegistry(),
    async close() {
      services.streams.cancelAll();
      await services.forwards.closeAll();
      docker.closeAll();
      pool.closeAll();
      storage.close();
    },
  };
  return services;
}
