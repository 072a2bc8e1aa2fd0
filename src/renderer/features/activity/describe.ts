import type { AuditEntry } from '../../../shared/contract/activity.ts';

/** Something an audit entry can be about, as the app knows it now. */
export interface Entity {
  kind: 'server' | 'app' | 'database' | 'backup job' | 'backup target';
  name: string;
  serverId: string | null;
}

export interface Described {
  /** e.g. "Deployed app shop on web-1" */
  text: string;
  /** the contract domain: servers, apps, databases, backups, … */
  domain: string;
  /** the server the entry concerns, when known */
  serverId: string | null;
  /** the app the entry concerns, when known */
  appId: string | null;
}

export const DOMAIN_WORDS: Record<string, string> = {
  servers: 'Servers',
  apps: 'Apps',
  databases: 'Databases',
  backups: 'Backups',
  containers: 'Containers',
  proxy: 'Proxy',
  terminals: 'Terminals',
  assistant: 'Assistant',
  settings: 'Settings',
  secrets: 'Secrets',
  profiles: 'Profiles',
  forwards: 'Port forwards',
  fleet: 'Fleet',
};

/** Verb phrases by procedure; `{x}` is the entity named by the entry, `{server}` the server it concerns. */
const PHRASES: Record<string, string> = {
  'servers.create': 'Added server {x}',
  'servers.update': 'Edited server {x}',
  'servers.remove': 'Removed server {x}',
  'servers.test': 'Tested the connection to {x}',
  'servers.disconnect': 'Disconnected from {x}',
  'servers.bootstrap': 'Installed Docker on {x}',
  'servers.trustHostKey': 'Trusted the host key of {x}',
  'servers.answerHostKey': 'Answered a host-key prompt',
  'servers.importKnownHosts': 'Imported host keys from known_hosts',
  'apps.create': 'Created app {x}',
  'apps.update': 'Edited app {x}',
  'apps.remove': 'Removed app {x}',
  'apps.deploy': 'Deployed app {x}',
  'apps.rollback': 'Rolled back app {x}',
  'apps.cancel': 'Cancelled a deploy of {x}',
  'apps.generateDeployKey': 'Generated a deploy key for {x}',
  'databases.create': 'Created database {x}',
  'databases.remove': 'Removed database {x}',
  'databases.start': 'Started database {x}',
  'databases.stop': 'Stopped database {x}',
  'databases.restart': 'Restarted database {x}',
  'databases.setLimits': 'Changed the limits of database {x}',
  'databases.openLocal': 'Opened a local port to database {x}',
  'databases.setImages': 'Changed the images used on {x}',
  'backups.createTarget': 'Added backup target {x}',
  'backups.updateTarget': 'Edited backup target {x}',
  'backups.removeTarget': 'Removed backup target {x}',
  'backups.revealKey': 'Revealed the backup key of {x}',
  'backups.exportKey': 'Exported the backup key of {x}',
  'backups.recoveryText': 'Showed the recovery text of the backup key of {x}',
  'backups.importKey': 'Imported a backup key into {x}',
  'backups.createJob': 'Scheduled backups of {x}',
  'backups.updateJob': 'Edited backup job {x}',
  'backups.removeJob': 'Removed backup job {x}',
  'backups.runNow': 'Ran backup job {x}',
  'backups.remove': 'Deleted a backup of {x}',
  'backups.download': 'Downloaded a backup of {x}',
  'backups.restore': 'Restored a backup of {x}',
  'backups.verify': 'Verified a backup of {x}',
  'containers.rename': 'Renamed a container on {server}',
  'containers.prune': 'Pruned unused resources on {server}',
  'containers.removeImage': 'Removed an image on {server}',
  'containers.removeVolume': 'Removed a volume on {server}',
  'containers.removeNetwork': 'Removed a network on {server}',
  'proxy.install': 'Installed the proxy on {server}',
  'proxy.upgrade': 'Upgraded the proxy on {server}',
  'proxy.restart': 'Restarted the proxy on {server}',
  'proxy.remove': 'Removed the proxy from {server}',
  'proxy.updateSettings': 'Changed the proxy settings of {server}',
  'terminals.open': 'Opened a terminal on {server}',
  'terminals.close': 'Closed a terminal',
  'settings.update': 'Changed settings',
  'fleet.sampleNow': 'Refreshed fleet metrics',
};

/** What an entry of a domain names, when its target is of that kind (an app's create names the server it is on). */
const KIND_OF: Record<string, Entity['kind']> = { servers: 'server', apps: 'app', databases: 'database' };

const CONTAINER_ACTIONS: Record<string, string> = {
  start: 'Started',
  stop: 'Stopped',
  restart: 'Restarted',
  kill: 'Killed',
  remove: 'Removed',
  pause: 'Paused',
  unpause: 'Unpaused',
};

function parseInput(e: AuditEntry): Record<string, unknown> {
  if (!e.input) return {};
  try {
    const v: unknown = JSON.parse(e.input);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** Words from a procedure name the table does not know: "apps.generateDeployKey" → "Apps: generate deploy key". */
function humanize(action: string): string {
  const [domain = '', verb = ''] = action.split('.');
  const words = verb.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `${DOMAIN_WORDS[domain] ?? domain}: ${words}`;
}

/** An audit entry in words, with the names the app knows now instead of ids. */
export function describeEntry(e: AuditEntry, entities: ReadonlyMap<string, Entity>): Described {
  const input = parseInput(e);
  const domain = e.action.split('.')[0] ?? '';
  const targetId = e.target ?? str(input.id) ?? str(input.jobId);
  const entity = targetId ? entities.get(targetId) : undefined;
  let serverId = str(input.serverId) ?? (entity?.kind === 'server' ? (targetId ?? null) : (entity?.serverId ?? null));
  if (!serverId && domain === 'servers' && targetId && !entity) serverId = targetId;
  const serverName = (serverId && entities.get(serverId)?.name) ?? (serverId ? 'a removed server' : 'a server');
  const own = entity && (!KIND_OF[domain] || KIND_OF[domain] === entity.kind) ? entity : undefined;
  const named = own?.name ?? str(input.name) ?? str(input.label) ?? (targetId ? `${targetId.slice(0, 8)} (removed)` : '—');
  const appId = entity?.kind === 'app' ? (targetId ?? null) : str(input.appId);

  let text: string;
  if (e.action === 'containers.action') {
    const verb = CONTAINER_ACTIONS[str(input.action) ?? ''] ?? `Ran ${str(input.action) ?? 'an action'} on`;
    text = `${verb} container ${(str(input.id) ?? '').slice(0, 12)} on ${serverName}`;
  } else {
    const phrase = PHRASES[e.action];
    text = phrase ? phrase.replace('{x}', named).replace('{server}', serverName) : `${humanize(e.action)}${targetId ? ` ${named}` : ''}`;
    if (domain !== 'servers' && phrase?.includes('{x}') && serverId) text += ` on ${serverName}`;
  }
  return { text, domain, serverId, appId };
}

/** The day heading an entry falls under: Today, Yesterday, or the date. */
export function dayOf(at: number, now = Date.now()): string {
  const d = new Date(at);
  const start = (t: number) => new Date(new Date(t).getFullYear(), new Date(t).getMonth(), new Date(t).getDate()).getTime();
  const days = Math.round((start(now) - start(at)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return d.toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
}
