import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

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

/** Key/value settings; values are JSON. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
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
  /** Per-server settings as JSON (docker socket, sudo, image overrides...). */
  settings: text('settings').notNull().default('{}'),
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
