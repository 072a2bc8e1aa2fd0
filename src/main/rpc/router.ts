import type { Router } from '@orpc/server';
import type { Contract } from '../../shared/contract/index.ts';
import type { AppServices } from '../app.ts';
import type { RpcContext } from './handler-options.ts';
import { createOs } from './os.ts';
import { systemRoutes } from './routes/system.ts';
import { activityRoutes } from './routes/activity.ts';
import { settingsRoutes } from './routes/settings.ts';
import { secretsRoutes } from './routes/secrets.ts';
import { profilesRoutes } from './routes/profiles.ts';
import { forwardsRoutes } from './routes/forwards.ts';
import { serversRoutes } from './routes/servers.ts';
import { containersRoutes } from './routes/containers.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { terminalsRoutes } from './routes/terminals.ts';
import { logsRoutes } from './routes/logs.ts';
import { assistantRoutes } from './routes/assistant.ts';
import { appsRoutes } from './routes/apps.ts';
import { proxyRoutes } from './routes/proxy.ts';
import { databasesRoutes } from './routes/databases.ts';
import { backupsRoutes } from './routes/backups.ts';
import { watchRoutes } from './routes/watch.ts';
import { clusterRoutes } from './routes/cluster.ts';
import { clusterAppsRoutes } from './routes/cluster-apps.ts';
import { clusterStacksRoutes } from './routes/cluster-stacks.ts';
import { alertingRoutes } from './routes/alerting.ts';
import { registryRoutes } from './routes/registry.ts';

/**
 * The contract, implemented by delegating to services; one file per domain under routes/. No logic lives here.
 * A procedure missing from a domain is a type error (contract-first).
 */
// Annotated: the inferred type of the whole router is too long for the declaration emit (TS7056).
export function createRouter(services: AppServices): Router<Contract, RpcContext> {
  const os = createOs();
  return os.router({
    system: systemRoutes(os, services),
    activity: activityRoutes(os, services),
    settings: settingsRoutes(os, services),
    secrets: secretsRoutes(os, services),
    profiles: profilesRoutes(os, services),
    forwards: forwardsRoutes(os, services),
    servers: serversRoutes(os, services),
    containers: containersRoutes(os, services),
    fleet: fleetRoutes(os, services),
    terminals: terminalsRoutes(os, services),
    logs: logsRoutes(os, services),
    assistant: assistantRoutes(os, services),
    apps: appsRoutes(os, services),
    proxy: proxyRoutes(os, services),
    databases: databasesRoutes(os, services),
    backups: backupsRoutes(os, services),
    watch: watchRoutes(os, services),
    cluster: clusterRoutes(os, services),
    clusterApps: clusterAppsRoutes(os, services),
    clusterStacks: clusterStacksRoutes(os, services),
    alerting: alertingRoutes(os, services),
    registry: registryRoutes(os, services),
  });
}
