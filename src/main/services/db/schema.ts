import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { AiProviderId, ConversationScope, DockerfileProposal } from '../../../shared/contract/assistant.ts';
import type { ImageMapping, ResourceLimits } from '../../../shared/contract/databases.ts';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import type { ServerSettings } from '../../../shared/contract/servers.ts';
import type { StoredConfig } from '../deploy/store.ts';

/*
 * JSON columns are typed here once: `mode: 'json'` stores JSON.stringify(value) as TEXT (the bytes earlier versions
 * wrote) and reads it back with JSON.parse. Columns whose readers tolerate old or foreign shapes are typed `unknown`
 * and checked with the contract's zod schema where they are read.
 */

/** Every mutating API call: who, what, when, result. Never secret values (see audit.ts). */
export const auditLog = sqliteTable('audit_log', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  at: integer('at').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target'),
  input: text('input'),
  result: text('result', { enum: ['ok', 'error'] }).notNull(),
  errorCode: text('error_code'),
  durationMs: integer('duration_ms').notNull().default(0),
});

/** Key/value settings; values are JSON, checked per key by their reader (settings, assistant, backup notices). */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).$type<unknown>().notNull(),
  updatedAt: integer('updated_at').notNull().default(sql`(unixepoch() * 1000)`),
});

/** References to secrets held by the SecretStore (OS keychain or vault). The value is never here. */
export const secretRefs = sqliteTable('secret_refs', {
  ref: text('ref').primaryKey(),
  label: text('label').notNull(),
  kind: text('kind').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Servers managed over SSH. Credentials are secret references, never values. */
export const servers = sqliteTable('servers', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  host: text('host').notNull(),
  port: integer('port').notNull().default(22),
  username: text('username').notNull(),
  authMethod: text('auth_method', { enum: ['key', 'password', 'agent'] }).notNull(),
  /** A private key file on this computer (for `key` auth); mutually exclusive with a stored key. */
  keyPath: text('key_path'),
  /** For `key`: the stored private key (pasted), for `password`: the password. */
  secretRef: text('secret_ref'),
  /** The passphrase of an encrypted key. */
  passphraseRef: text('passphrase_ref'),
  /** The server to jump through (ProxyJump); chains follow this link. */
  jumpServerId: text('jump_server_id'),
  /** Per-server settings (docker socket, sudo, image overrides...), checked with ServerSettings when read. */
  settings: text('settings', { mode: 'json' }).$type<Partial<ServerSettings>>().notNull().default({}),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** Pinned host keys (trust on first use). A change is refused until the user re-pins explicitly. */
export const hostKeys = sqliteTable(
  'host_keys',
  {
    host: text('host').notNull(),
    port: integer('port').notNull(),
    keyType: text('key_type').notNull(),
    fingerprint: text('fingerprint').notNull(),
    source: text('source', { enum: ['tofu', 'known_hosts', 'profile', 'user'] }).notNull(),
    pinnedAt: integer('pinned_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.host, t.port, t.keyType] })],
);

/** Host samples (from /proc over the server's SSH connection), kept for 24 h. */
export const hostSamples = sqliteTable(
  'host_samples',
  {
    serverId: text('server_id').notNull(),
    at: integer('at').notNull(),
    cpuPercent: real('cpu_percent'),
    memUsed: integer('mem_used').notNull(),
    memTotal: integer('mem_total').notNull(),
    diskUsed: integer('disk_used').notNull(),
    diskTotal: integer('disk_total').notNull(),
    load1: real('load1').notNull(),
    load5: real('load5').notNull(),
    load15: real('load15').notNull(),
    uptime: integer('uptime').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.at] })],
);

/** Per-container samples (Docker stats, one-shot), kept for 24 h. */
export const containerSamples = sqliteTable(
  'container_samples',
  {
    serverId: text('server_id').notNull(),
    containerId: text('container_id').notNull(),
    name: text('name').notNull(),
    at: integer('at').notNull(),
    cpuPercent: real('cpu_percent'),
    memUsed: integer('mem_used').notNull(),
    memLimit: integer('mem_limit').notNull(),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.containerId, t.at] }), index('container_samples_at').on(t.at)],
);

/** Ship: per-server proxy/deploy settings (checked with ShipSettings when read) and references to DNS provider secrets. */
export const shipSettings = sqliteTable('ship_settings', {
  serverId: text('server_id').primaryKey(),
  settings: text('settings', { mode: 'json' }).$type<Partial<ShipSettings>>().notNull().default({}),
  /** { ENV_NAME: secretRef } */
  dnsEnvRefs: text('dns_env_refs', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
  updatedAt: integer('updated_at').notNull(),
});

/** Ship: apps deployed to a server. Secrets (deploy key, env values) are references. */
export const apps = sqliteTable('apps', {
  id: text('id').primaryKey(),
  serverId: text('server_id').notNull(),
  name: text('name').notNull(),
  /** AppConfig without secrets */
  config: text('config', { mode: 'json' }).$type<StoredConfig>().notNull(),
  deployKeyRef: text('deploy_key_ref'),
  /** { ENV_NAME: secretRef } */
  envRefs: text('env_refs', { mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
  /** Push-to-deploy state (host, TLS, keychain reference of the secret), checked by webhook.ts; null when off. */
  webhook: text('webhook', { mode: 'json' }).$type<unknown>(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** Ship: deploy jobs. The job itself runs on the server; this row mirrors its state and keeps its log at the end. */
export const deploys = sqliteTable(
  'deploys',
  {
    id: text('id').primaryKey(),
    appId: text('app_id').notNull(),
    serverId: text('server_id').notNull(),
    kind: text('kind', { enum: ['deploy', 'rollback'] }).notNull(),
    trigger: text('trigger', { enum: ['manual', 'webhook'] }).notNull(),
    status: text('status', { enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] }).notNull(),
    step: text('step').notNull(),
    progress: integer('progress').notNull().default(0),
    image: text('image'),
    commit: text('commit'),
    /** The commit's subject line, recorded by the job at build time (null for older deploys). */
    commitSubject: text('commit_subject'),
    container: text('container'),
    error: text('error'),
    buildSeconds: real('build_seconds'),
    /** Where the job's files are on the server. */
    jobDir: text('job_dir').notNull(),
    log: text('log'),
    createdAt: integer('created_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [index('deploys_app').on(t.appId, t.createdAt)],
);

/** Assistant: conversations (general, per server, per app folder) and which remote providers the user allowed. */
export const aiConversations = sqliteTable('ai_conversations', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  scope: text('scope', { mode: 'json' }).$type<ConversationScope>().notNull(),
  /** Provider ids the user consented to for this conversation. */
  consent: text('consent', { mode: 'json' }).$type<AiProviderId[]>().notNull().default([]),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** Assistant: messages. Stored as shown (the user's text, the model's answer); what was sent is audited by hash. */
export const aiMessages = sqliteTable(
  'ai_messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => aiConversations.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    content: text('content').notNull(),
    task: text('task', { enum: ['chat', 'dockerfile', 'explain'] }).notNull(),
    provider: text('provider'),
    model: text('model'),
    status: text('status', { enum: ['complete', 'stopped', 'error'] }).notNull(),
    error: text('error'),
    proposal: text('proposal', { mode: 'json' }).$type<DockerfileProposal>(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('ai_messages_conversation').on(t.conversationId, t.createdAt)],
);

/** Data: managed databases (containers on a server). The password is a secret reference (keychain). */
export const dataDatabases = sqliteTable('data_databases', {
  id: text('id').primaryKey(),
  serverId: text('server_id').notNull(),
  engine: text('engine').notNull(),
  name: text('name').notNull(),
  image: text('image').notNull(),
  containerName: text('container_name').notNull(),
  volume: text('volume').notNull(),
  network: text('network').notNull(),
  hostPort: integer('host_port').notNull(),
  username: text('username').notNull(),
  database: text('database').notNull(),
  passwordRef: text('password_ref').notNull(),
  limits: text('limits', { mode: 'json' }).$type<Partial<ResourceLimits>>().notNull().default({}),
  createdAt: integer('created_at').notNull(),
});

/** Data: per-server image mapping for database and backup images ({ from: to }). */
export const dataServerImages = sqliteTable('data_server_images', {
  serverId: text('server_id').primaryKey(),
  images: text('images', { mode: 'json' }).$type<ImageMapping>().notNull().default({}),
});

/** Data: S3-compatible backup targets. Access keys and the age private key are secret references. */
export const backupTargets = sqliteTable('backup_targets', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  endpoint: text('endpoint').notNull(),
  region: text('region').notNull(),
  bucket: text('bucket').notNull(),
  prefix: text('prefix').notNull().default(''),
  pathStyle: integer('path_style', { mode: 'boolean' }).notNull(),
  accessKeyRef: text('access_key_ref').notNull(),
  secretKeyRef: text('secret_key_ref').notNull(),
  recipient: text('recipient').notNull(),
  identityRef: text('identity_ref').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Data: backup jobs; they run on the server (scheduler container), this is the app's copy of their definition. */
export const backupJobs = sqliteTable('backup_jobs', {
  id: text('id').primaryKey(),
  serverId: text('server_id').notNull(),
  /** JSON BackupSource */
  source: text('source').notNull(),
  targetId: text('target_id').notNull(),
  schedule: text('schedule').notNull(),
  keepLast: integer('keep_last'),
  keepDays: integer('keep_days'),
  enabled: integer('enabled', { mode: 'boolean' }).notNull(),
  createdAt: integer('created_at').notNull(),
});

/** Data: results of "verify" (restore into a throwaway database and compare), per backup object. */
export const backupVerifications = sqliteTable('backup_verifications', {
  jobId: text('job_id').notNull(),
  objectKey: text('object_key').notNull(),
  /** JSON Verification */
  result: text('result').notNull(),
  at: integer('at').notNull(),
}, (t) => [primaryKey({ columns: [t.jobId, t.objectKey] })]);

/** Cluster: a Docker Swarm made of known servers. Join tokens are never stored; they are read from a manager. */
export const clusters = sqliteTable('clusters', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** The DefaultAddrPool given to `swarm init`. */
  addrPool: text('addr_pool').notNull(),
  /** Swarm's own cluster id, read after init: a member whose engine reports another swarm is not ours. */
  swarmId: text('swarm_id'),
  createdAt: integer('created_at').notNull(),
});

/** A cluster member: the intended role, the advertise address, and an operation that has not finished (if any). */
export const clusterMembers = sqliteTable(
  'cluster_members',
  {
    clusterId: text('cluster_id')
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    serverId: text('server_id')
      .notNull()
      .unique()
      .references(() => servers.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['manager', 'worker'] }).notNull(),
    advertiseAddr: text('advertise_addr').notNull(),
    /** The swarm node id once joined. */
    nodeId: text('node_id'),
    /** A join or removal that started and did not finish; checked with the cluster module's zod schema when read. */
    pending: text('pending', { mode: 'json' }).$type<unknown>(),
    position: integer('position').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clusterId, t.serverId] })],
);

/** Watch: alert channels (Alertmanager receivers). The secret fields are one keychain entry behind secretRef. */
export const alertChannels = sqliteTable('alert_channels', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  kind: text('kind', { enum: ['email', 'slack', 'discord', 'telegram', 'webhook'] }).notNull(),
  /** Severities received; null = all. */
  severities: text('severities', { mode: 'json' }).$type<string[] | null>(),
  /** The kind's non-secret settings, checked with the contract's ChannelSettings where read. */
  settings: text('settings', { mode: 'json' }).$type<unknown>().notNull(),
  secretRef: text('secret_ref'),
  createdAt: integer('created_at').notNull(),
});

/** Watch: which channels receive a server's alerts (null = all), and when the app last showed its alerts. */
export const alertServers = sqliteTable('alert_servers', {
  serverId: text('server_id')
    .primaryKey()
    .references(() => servers.id, { onDelete: 'cascade' }),
  channelIds: text('channel_ids', { mode: 'json' }).$type<string[] | null>(),
  seenAt: integer('seen_at'),
});

/** Watch: per-server stack settings (thresholds, intervals, retention), whether it was turned on here, and its peers. */
export const watchServers = sqliteTable('watch_servers', {
  serverId: text('server_id')
    .primaryKey()
    .references(() => servers.id, { onDelete: 'cascade' }),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(false),
  /** Checked with the contract's WatchSettings where read. */
  settings: text('settings', { mode: 'json' }).$type<unknown>().notNull(),
  /** Server ids whose node-exporter this server's Prometheus scrapes. */
  peers: text('peers', { mode: 'json' }).$type<string[]>().notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** Registries: a private one the app runs (CA key and password in the keychain behind the refs) or an external one. */
export const registries = sqliteTable('registries', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind', { enum: ['private', 'external'] }).notNull(),
  /** host:port as image references name it. */
  host: text('host').notNull(),
  /** Private: the server running it, and the cluster whose nodes trust it. */
  serverId: text('server_id').references(() => servers.id, { onDelete: 'cascade' }),
  clusterId: text('cluster_id').references(() => clusters.id, { onDelete: 'set null' }),
  /** Server ids (besides the cluster's nodes) that get the CA; checked with zod where read. */
  trust: text('trust', { mode: 'json' }).$type<unknown>(),
  port: integer('port'),
  username: text('username').notNull(),
  passwordRef: text('password_ref').notNull(),
  caKeyRef: text('ca_key_ref'),
  /** The CA root (public). */
  caCert: text('ca_cert'),
  createdAt: integer('created_at').notNull(),
});
