/**
 * The one contract between the main process (or headless server) and any client.
 * Each domain lives in its own file; this is the only module the renderer and main share.
 */
import { activity } from './activity.ts';
import { secrets } from './secrets.ts';
import { settings } from './settings.ts';
import { containers } from './containers.ts';
import { fleet } from './fleet.ts';
import { profiles } from './profiles.ts';
import { forwards, servers } from './servers.ts';
import { system } from './system.ts';
import { logs } from './logs.ts';
import { terminals } from './terminals.ts';
import { assistant } from './assistant.ts';
import { apps } from './apps.ts';
import { proxy } from './proxy.ts';
import { databases } from './databases.ts';
import { backups } from './backups.ts';
import { watch } from './watch.ts';
import { cluster } from './cluster.ts';
import { clusterApps } from './cluster-apps.ts';
import { clusterStacks } from './cluster-stacks.ts';
import { alerting } from './alerting.ts';
import { registry } from './registry.ts';

export const contract = { system, activity, settings, secrets, servers, profiles, forwards, containers, fleet, terminals, logs, assistant, apps, proxy, databases, backups, cluster, clusterApps, clusterStacks, alerting, watch, registry };
export type Contract = typeof contract;

export * from './base.ts';
export * from './terminals.ts';
export * from './system.ts';
export * from './activity.ts';
export * from './settings.ts';
export * from './secrets.ts';
export * from './servers.ts';
export * from './profiles.ts';
export * from './containers.ts';
export * from './fleet.ts';
export * from './logs.ts';
export * from './assistant.ts';
export * from './apps.ts';
export * from './proxy.ts';
export * from './databases.ts';
export * from './backups.ts';
export * from './watch.ts';
export * from './cluster.ts';
export * from './cluster-apps.ts';
export * from './cluster-stacks.ts';
export * from './alerting.ts';
export * from './registry.ts';
export * from './jobs.ts';
