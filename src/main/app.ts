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
import { ContainersService } from './services/docker/containers.ts';
import { FleetMonitor } from './services/metrics/monitor.ts';
import { MetricsStore } from './services/metrics/store.ts';
import { TerminalsService } from './services/terminals/service.ts';
import { shipAppAccess } from './services/ai/app-access.ts';
import { AssistantService } from './services/ai/service.ts';
import { ShipService } from './services/deploy/index.ts';
import { DatabasesService } from './services/databases/service.ts';
import { BackupsService } from './services/backups/service.ts';

export interface AppOptions {
  dataDir: string;
  mode: 'desktop' | 'web';
  version: string;
  secretBackend?: SecretBackendChoice;
  /** Connection tuning (tests use short keep-alives and backoff). */
  ssh?: Pick<PoolOptions, 'reconnect' | 'keepaliveIntervalMs' | 'keepaliveCountMax' | 'readyTimeoutMs'>;
  /** Background sampling of every server with a pinned host key (default on; tests opt in). */
  monitor?: boolean | { unreachableAfterMs?: number };
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
  terminals: TerminalsService;
  containers: ContainersService;
  metrics: MetricsStore;
  monitor: FleetMonitor;
  assistant: AssistantService;
  /** Reverse proxy, apps and deploy jobs (Ship). */
  ship: ShipService;
  /** Managed databases (Data). */
  databases: DatabasesService;
  /** Encrypted backups to S3, scheduled on the servers (Data). */
  backups: BackupsService;
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
  const settings = new SettingsService(storage.db);
  let monitorRef: FleetMonitor | null = null;
  const containers = new ContainersService(docker, { latest: (sid, cid) => monitorRef?.latest(sid, cid) ?? null });
  const metrics = new MetricsStore(storage.db);
  const monitorOpts = typeof options.monitor === 'object' ? options.monitor : {};
  const monitor = new FleetMonitor({ servers: serversService, pool, docker, containers, store: metrics, settings: () => settings.get(), ...monitorOpts });
  monitorRef = monitor;
  const audit = new AuditService(storage.db);
  const ship = new ShipService({
    db: storage.db,
    secrets,
    docker,
    pool,
    serverExists: (id) => serversService.list().some((s) => s.id === id),
    dockerSocket: (id) => serversService.dockerSocket(id),
  });
  const forwards = new ForwardsService(pool);
  const databases = new DatabasesService({ db: storage.db, docker, secrets, forwards });
  const backups = new BackupsService({ db: storage.db, docker, secrets, databases, pool });
  const services: AppServices = {
    options,
    hostKeys,
    pool,
    docker,
    servers: serversService,
    profiles: new ProfilesService(serversService, hostKeys),
    forwards,
    databases,
    backups,
    terminals: new TerminalsService({ pool, docker, serverName: async (id) => serversService.get(id).name }),
    startedAt: Date.now(),
    storage,
    audit,
    assistant: new AssistantService({
      db: storage.db,
      secrets,
      audit,
      serverName: (id) => serversService.get(id).name,
      facts: (id) => serversService.facts(id),
      containers: (id) => containers.list(id),
      docker: (id) => docker.api(id),
      exec: async (id, argv) => (await pool.acquire(id)).exec(argv, { timeoutMs: 120_000, maxBuffer: 256 * 1024 }),
      apps: shipAppAccess({ db: storage.db, ship, docker, serverName: (id) => serversService.get(id).name }),
    }),
    settings,
    ship,
    containers,
    metrics,
    monitor,
    secrets,
    streams: new StreamRegistry(),
    async close() {
      monitor.stop();
      ship.close();
      backups.close();
      services.streams.cancelAll();
      await services.forwards.closeAll();
      await services.terminals.closeAll();
      docker.closeAll();
      pool.closeAll();
      storage.close();
    },
  };
  if (options.monitor !== false) monitor.start();
  ship.deploys.resume();
  return services;
}
