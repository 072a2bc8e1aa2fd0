import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditService } from './services/activity/service.ts';
import { Disposables } from './services/core/lifecycle.ts';
import { StreamRegistry } from './services/core/streams.ts';
import { openStorage, type Storage } from './services/db/index.ts';
import { SecretsService, type SecretBackendChoice } from './services/secrets/service.ts';
import { SettingsService } from './services/settings/service.ts';
import { DockerService } from './services/docker/service.ts';
import { ServerDirectory } from './services/servers/directory.ts';
import { ServersService } from './services/servers/service.ts';
import { HostKeyService } from './services/ssh/host-keys.ts';
import { ConnectionPool, type PoolOptions } from './services/ssh/pool.ts';
import { ProfilesService } from './services/profiles/service.ts';
import { ForwardsService } from './services/ssh/forwards.ts';
import { ContainersService } from './services/docker/containers.ts';
import { FleetMonitor } from './services/fleet/monitor.ts';
import { HostHistory } from './services/fleet/history.ts';
import { MetricsStore } from './services/fleet/store.ts';
import { TerminalsService } from './services/terminals/service.ts';
import { shipAppAccess } from './services/assistant/app-access.ts';
import { AssistantService } from './services/assistant/service.ts';
import { ShipService } from './services/deploy/index.ts';
import { DatabasesService } from './services/databases/service.ts';
import { BackupsService } from './services/backups/service.ts';
import { WatchService } from './services/watch/service.ts';
import { WatchStore } from './services/watch/store.ts';
import { ClusterService } from './services/cluster/service.ts';
import { ClusterStore } from './services/cluster/store.ts';
import { ClusterAppsService } from './services/cluster-apps/service.ts';
import { ClusterStacksService } from './services/cluster-stacks/service.ts';
import { resolveImage } from './services/proxy/images.ts';
import { SERVICE_IMAGES } from '../shared/contract/images.ts';
import { registryAuth } from './services/registry/images.ts';
import { RegistryService } from './services/registry/service.ts';
import { AlertingStore } from './services/alerting/store.ts';
import { AlertingService } from './services/alerting/service.ts';
import { alertmanagerConfigSource } from './services/alerting/config-source.ts';

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
  /** Host history for the charts: Prometheus on the server when Watch is on there, else `metrics`. */
  hostHistory: HostHistory;
  monitor: FleetMonitor;
  assistant: AssistantService;
  /** Reverse proxy, apps and deploy jobs (Ship). */
  ship: ShipService;
  /** Managed databases (Data). */
  databases: DatabasesService;
  /** Encrypted backups to S3, scheduled on the servers (Data). */
  backups: BackupsService;
  /** The Watch stack (Prometheus, Alertmanager, exporters) on the servers. */
  watch: WatchService;
  /** Docker Swarm clusters of known servers (Cluster). */
  cluster: ClusterService;
  /** Apps on a cluster as Swarm services. */
  clusterApps: ClusterAppsService;
  /** Compose stacks on a cluster (`docker stack deploy` as a remote job on a manager). */
  clusterStacks: ClusterStacksService;
  /** Private registries (own CA, basic auth) and external ones; build once, pull by digest. */
  registry: RegistryService;
  /** Watch's alerting: channels, silences, alerts now and what fired while the app was closed. */
  alerting: AlertingService;
  /** Stops everything started, in reverse order of creation (see Disposables). */
  close(): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<AppServices> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // Constructors only wire; start() below begins timers and subscriptions; close() disposes in reverse order.
  const disposables = new Disposables();
  try {
    return await build(options, disposables);
  } catch (e) {
    await disposables.dispose().catch(() => undefined);
    throw e;
  }
}

async function build(options: AppOptions, disposables: Disposables): Promise<AppServices> {
  const add = disposables.add.bind(disposables);
  const storage = add('storage', openStorage(join(options.dataDir, 'openpanel.db')), (service) => service.close());
  const db = storage.db;
  const secrets = await SecretsService.open(db, options.dataDir, options.secretBackend ?? 'auto');
  const hostKeys = new HostKeyService(db);
  const directory = new ServerDirectory({ db, secrets });
  const pool = add('ssh pool', new ConnectionPool({ describe: (id) => directory.describe(id), hostKeys, ...options.ssh }), (service) => service.closeAll());
  const docker = add('docker', new DockerService(pool, (id) => directory.dockerSocket(id)), (service) => service.closeAll());
  const servers = new ServersService({ db, secrets, hostKeys, pool, docker });
  const serverName = (id: string) => servers.get(id).name;
  const settings = new SettingsService(db);
  const metrics = new MetricsStore(db);
  const containers = new ContainersService(docker, metrics);
  const terminals = add('terminals', new TerminalsService({ pool, docker, serverName: async (id) => serverName(id) }), (service) => service.closeAll());
  const forwards = add('forwards', new ForwardsService(pool), (service) => service.closeAll());
  const streams = add('streams', new StreamRegistry(), (service) => service.cancelAll());
  const ship = add('ship', new ShipService({ db, secrets, docker, pool, serverExists: (id) => directory.exists(id), dockerSocket: (id) => directory.dockerSocket(id) }), (service) => service.close());
  const monitorOpts = typeof options.monitor === 'object' ? options.monitor : {};
  const monitor = add('monitor', new FleetMonitor({ servers, pool, docker, containers, store: metrics, settings: () => settings.get(), ...monitorOpts }), (service) => service.stop());
  const alertingStore = new AlertingStore({ db, secrets });
  const watchStore = new WatchStore(db);
  const watch = add('watch', new WatchService({
    store: watchStore,
    alertmanagerConfig: alertmanagerConfigSource(alertingStore),
    docker,
    conn: (id) => pool.acquire(id),
    server: (id) => servers.get(id),
    serverExists: (id) => directory.exists(id),
    shipSettings: (id) => ship.settings.get(id),
    domains: (id) => ship.servedDomains(id),
    dockerSocket: (id) => directory.dockerSocket(id),
  }), (service) => service.stop());
  const alerting = new AlertingService({
    store: alertingStore,
    connection: (id) => pool.acquire(id),
    docker: (id) => docker.api(id),
    serverName,
    watch: { enabledServers: () => watchStore.enabledServers(), applyAlertmanagerConfig: (id) => watch.applyAlertmanagerConfig(id) },
  });
  const registry = new RegistryService({
    db,
    secrets,
    docker: (id) => docker.api(id),
    client: (id) => docker.client(id),
    conn: (id) => pool.acquire(id),
    server: (id) => servers.get(id),
    dockerSocket: (id) => directory.dockerSocket(id),
    imageOverrides: (id) => ship.settings.get(id).imageOverrides,
  });
  const cluster = new ClusterService({ db, docker: (id) => docker.api(id), exec: async (id, argv) => (await pool.acquire(id)).exec(argv, { timeoutMs: 20_000 }), server: (id) => servers.get(id), onJoined: (id) => registry.syncServer(id) });
  const clusterStore = new ClusterStore(db);
  const clusterApps = add('clusterApps', new ClusterAppsService({ manager: (id) => cluster.manager(id), serverOfNode: (id, node) => clusterStore.members(id).find((m) => m.nodeId === node)?.serverId ?? null, edgeImage: (id) => resolveImage(SERVICE_IMAGES.caddy, ship.settings.get(id).imageOverrides),
    git: { docker: (id) => docker.api(id), conn: (id) => pool.acquire(id), server: (id) => servers.get(id), dockerSocket: (id) => directory.dockerSocket(id), settings: (id) => ship.settings.get(id), registry: (id) => registry.targetOf(id) },
  }), (service) => service.close());
  // After the cluster: databases on a cluster are Swarm services made through a manager.
  const databases = new DatabasesService({ db, docker, secrets, forwards, swarm: { manager: (id) => cluster.manager(id), member: (id) => clusterStore.memberOfServer(id) ?? null } });
  const backups = add('backups', new BackupsService({ db, docker, secrets, databases, pool }), (service) => service.close());
  const clusterStacks = add('clusterStacks', new ClusterStacksService({
    manager: (id) => cluster.manager(id),
    serverOfNode: (id, node) => clusterStore.members(id).find((m) => m.nodeId === node)?.serverId ?? null,
    builderImage: (id) => resolveImage(SERVICE_IMAGES.builder, ship.settings.get(id).imageOverrides),
    dataDir: (id) => ship.settings.get(id).dataDir,
    dockerSocket: (id) => directory.dockerSocket(id),
    conn: (id) => pool.acquire(id),
    docker: (id) => docker.api(id),
    registryAuth: async (id) => registryAuth(await registry.targetOf(id)),
  }), (service) => service.close());
  const hostHistory = new HostHistory({ store: metrics, connect: (id) => pool.acquire(id), watching: (id) => watchStore.get(id).enabled });
  const audit = new AuditService(db);
  const assistant = new AssistantService({
    db,
    secrets,
    audit,
    serverName,
    facts: (id) => servers.facts(id),
    containers: (id) => containers.list(id),
    docker: (id) => docker.api(id),
    exec: async (id, argv) => (await pool.acquire(id)).exec(argv, { timeoutMs: 120_000, maxBuffer: 256 * 1024 }),
    apps: shipAppAccess({ db, ship, docker, serverName }),
  });
  const services: AppServices = {
    options,
    startedAt: Date.now(),
    storage,
    audit,
    settings,
    secrets,
    streams,
    hostKeys,
    pool,
    docker,
    servers,
    profiles: new ProfilesService(servers, hostKeys, backups.keys),
    forwards,
    terminals,
    containers,
    metrics,
    hostHistory,
    monitor,
    assistant,
    ship,
    databases,
    backups,
    watch,
    cluster,
    clusterApps,
    clusterStacks,
    registry,
    alerting,
    close: () => disposables.dispose(),
  };
  if (options.monitor !== false) monitor.start();
  ship.start();
  backups.start();
  watch.start();
  clusterApps.start(() => cluster.list().map((c) => c.id));
  return services;
}
