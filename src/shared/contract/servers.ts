import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { base, Id } from './base.ts';
import { JobProgress } from './jobs.ts';

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const isIpv6 = (h: string) => z.ipv6().safeParse(h.replace(/%[A-Za-z0-9_.-]+$/, '')).success;

/** A hostname, IPv4 or IPv6 address; an IPv6 address in brackets (`[fd00::1]`, as users paste it) is stored bare. */
export const Host = z
  .string()
  .trim()
  .min(1, 'expected a hostname or IP address')
  .transform((h) => {
    const inner = /^\[([^\]]+)\]$/.exec(h)?.[1];
    return inner && isIpv6(inner) ? inner : h;
  })
  .refine((h) => HOSTNAME.test(h) || z.ipv4().safeParse(h).success || (h.includes(':') && isIpv6(h)), 'expected a hostname or IP address (letters, digits, dots, hyphens; IPv6 with or without brackets)');
export const Port = z.number().int('expected a whole number').min(1, 'expected a port 1-65535').max(65535, 'expected a port 1-65535');
export const Username = z
  .string()
  .min(1, 'expected a user name')
  .max(32, 'expected at most 32 characters')
  .regex(/^[a-z_][a-z0-9_.-]*\$?$/i, 'expected a POSIX user name (letters, digits, _ . -)');
export const ServerName = z
  .string()
  .trim()
  .min(1, 'expected a name')
  .max(64, 'expected at most 64 characters')
  .regex(/^[\p{L}\p{N} ._@()-]+$/u, 'expected letters, digits, spaces and . _ - @ ( )');
export const LocalPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'expected a path without NUL bytes');
export const RemotePath = z
  .string()
  .max(1024)
  .regex(/^\/[A-Za-z0-9._/-]*$/, 'expected an absolute path of letters, digits and . _ - /')
  .refine((p) => !p.split('/').includes('..'), 'expected a path without ".." segments');

export const ServerAuthInput = z.discriminatedUnion('method', [
  z
    .object({
      method: z.literal('key'),
      /** A key file on this computer… */
      keyPath: LocalPath.optional(),
      /** …or the key itself, pasted (kept in the keychain). */
      privateKey: z.string().max(32_768).optional(),
      passphrase: z.string().max(1024).optional(),
    })
    .strict()
    .refine((a) => !!a.keyPath !== !!a.privateKey, { message: 'expected either keyPath or privateKey', path: ['keyPath'] }),
  z.object({ method: z.literal('password'), password: z.string().min(1, 'expected the password').max(1024) }).strict(),
  z.object({ method: z.literal('agent') }).strict(),
]);
export type ServerAuthInput = z.infer<typeof ServerAuthInput>;

export const ServerSettings = z
  .object({
    dockerSocket: RemotePath.default('/var/run/docker.sock'),
    maxSessions: z.number().int().min(1).max(64).default(10),
  })
  .strict();
export type ServerSettings = z.infer<typeof ServerSettings>;

export const ServerCreate = z
  .object({
    name: ServerName,
    host: Host,
    port: Port.default(22),
    username: Username,
    auth: ServerAuthInput,
    jumpServerId: Id.nullable().default(null),
    settings: ServerSettings.partial().strict().optional(),
  })
  .strict();
export type ServerCreate = z.infer<typeof ServerCreate>;

export const ServerUpdate = z
  .object({
    id: Id,
    name: ServerName.optional(),
    host: Host.optional(),
    port: Port.optional(),
    username: Username.optional(),
    auth: ServerAuthInput.optional(),
    /** Sets (or, with null, clears) the passphrase of the key already stored, without giving the key again. */
    keyPassphrase: z.string().min(1, 'expected the passphrase').max(1024).nullable().optional(),
    jumpServerId: Id.nullable().optional(),
    settings: ServerSettings.partial().strict().optional(),
  })
  .strict()
  .refine((u) => !(u.auth && u.keyPassphrase !== undefined), { message: 'expected the passphrase inside auth when auth is given', path: ['keyPassphrase'] });

export const ConnectionStateName = z.enum(['idle', 'connecting', 'ready', 'reconnecting', 'failed', 'closed']);
export const ConnectionStatus = z.object({
  serverId: Id,
  state: ConnectionStateName,
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
  attempt: z.number().int(),
  retryAt: z.number().nullable(),
});
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

export const PinnedKey = z.object({ keyType: z.string(), fingerprint: z.string(), source: z.string(), pinnedAt: z.number() });

export const Server = z.object({
  id: Id,
  name: z.string(),
  host: z.string(),
  port: z.number(),
  username: z.string(),
  authMethod: z.enum(['key', 'password', 'agent']),
  keyPath: z.string().nullable(),
  hasStoredKey: z.boolean(),
  hasPassphrase: z.boolean(),
  jumpServerId: z.string().nullable(),
  settings: ServerSettings,
  hostKeys: z.array(PinnedKey),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Server = z.infer<typeof Server>;

export const TestStep = z.object({
  id: z.enum(['tcp', 'hostKey', 'auth', 'docker']),
  label: z.string(),
  status: z.enum(['ok', 'error', 'skipped']),
  detail: z.string().nullable(),
  errorCode: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});
export type TestStep = z.infer<typeof TestStep>;

export const ServerFacts = z.object({
  hostname: z.string(),
  os: z.string(),
  osId: z.string(),
  osVersion: z.string(),
  kernel: z.string(),
  arch: z.string(),
  cpus: z.number(),
  memoryBytes: z.number(),
  diskTotalBytes: z.number(),
  diskFreeBytes: z.number(),
  uptimeSeconds: z.number(),
  dockerVersion: z.string().nullable(),
  dockerTransport: z.string().nullable(),
});
export type ServerFacts = z.infer<typeof ServerFacts>;

/** A first-use host-key prompt; sent again with `withdrawn` (why, in words) once it no longer waits for an answer. */
export const HostKeyPrompt = z.object({ id: z.string(), host: z.string(), port: z.number(), keyType: z.string(), fingerprint: z.string(), expiresAt: z.number(), withdrawn: z.string().optional() });
export type HostKeyPrompt = z.infer<typeof HostKeyPrompt>;

export const SshConfigCandidate = z.object({
  alias: z.string(),
  host: z.string(),
  port: z.number(),
  username: z.string().nullable(),
  identityFile: z.string().nullable(),
  proxyJump: z.string().nullable(),
  problems: z.array(z.string()),
  /** Ticked in the import list (has its own HostName and a valid port); `skipReason` says why not. */
  suggested: z.boolean(),
  skipReason: z.string().nullable(),
  /** The key file's header, read on this computer, says it is encrypted (null: no key file, or unreadable). */
  keyNeedsPassphrase: z.boolean().nullable(),
  warnings: z.array(z.string()),
});
export type SshConfigCandidate = z.infer<typeof SshConfigCandidate>;

export const DockerEventSchema = z.object({
  serverId: z.string(),
  type: z.string(),
  action: z.string(),
  id: z.string(),
  name: z.string().nullable(),
  time: z.number(),
  timeNano: z.string(),
});

/** Between events, the stream says when it lost the engine (transient: it retries) and when it is live again. */
export const DockerEventsStatusSchema = z.object({
  serverId: z.string(),
  kind: z.literal('status'),
  state: z.enum(['reconnecting', 'live']),
  errorCode: z.string().nullable(),
  error: z.string().nullable(),
  attempt: z.number().int(),
  retryAt: z.number().nullable(),
});

export const ContainerSummary = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  status: z.string(),
  created: z.number(),
});

export const Forward = z.object({ id: z.string(), serverId: z.string(), localHost: z.string(), localPort: z.number(), remoteHost: z.string(), remotePort: z.number(), connections: z.number() });

export const forwards = {
  /** Listens on 127.0.0.1:localPort (0 = any free port) and tunnels to remoteHost:remotePort as seen from the server. */
  start: base
    .meta({ mutating: true })
    .input(z.object({ serverId: Id, remoteHost: Host.default('127.0.0.1'), remotePort: Port, localPort: z.number().int().min(0).max(65535).default(0) }).strict())
    .output(Forward),
  list: base.output(z.array(Forward)),
  stop: base.meta({ mutating: true }).input(z.object({ id: z.string().uuid() }).strict()).output(z.object({ stopped: z.boolean() })),
};

/** The Docker install's progress; `log` is the text since the previous event. */
export const BootstrapProgress = JobProgress.extend({
  phase: z.enum(['checking', 'present', 'installing', 'done', 'failed']),
  log: z.string(),
  exitCode: z.number().nullable(),
});
export type BootstrapProgress = z.infer<typeof BootstrapProgress>;

export const servers = {
  /** Installs Docker from the distribution's packages (idempotent; the install runs detached on the server; re-attaches). */
  bootstrap: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(eventIterator(BootstrapProgress)),
  /** Pins host keys from an OpenSSH known_hosts file for servers that have no pin yet. */
  importKnownHosts: base
    .meta({ mutating: true })
    .input(z.object({ text: z.string().max(5_000_000) }).strict())
    .output(z.object({ pinned: z.array(z.string()), alreadyPinned: z.array(z.string()), conflicts: z.array(z.string()) })),
  list: base.output(z.array(Server)),
  get: base.input(z.object({ id: Id })).output(Server),
  create: base.meta({ mutating: true, secretFields: ['privateKey', 'passphrase', 'password'] }).input(ServerCreate).output(Server),
  update: base.meta({ mutating: true, secretFields: ['privateKey', 'passphrase', 'password', 'keyPassphrase'] }).input(ServerUpdate).output(Server),
  remove: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ removed: z.boolean() })),
  /** Connects step by step (TCP, host key, authentication, Docker) and reports each. */
  test: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ ok: z.boolean(), steps: z.array(TestStep) })),
  facts: base.input(z.object({ id: Id })).output(ServerFacts),
  disconnect: base.meta({ mutating: true }).input(z.object({ id: Id }).strict()).output(z.object({ ok: z.boolean() })),
  /** Pins a host key the user confirmed (after HOST_KEY_UNKNOWN, or to replace a changed one). */
  trustHostKey: base
    .meta({ mutating: true })
    .input(z.object({ id: Id, keyType: z.string().min(1).max(64), fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'expected an OpenSSH SHA256 fingerprint'), replace: z.boolean().default(false) }).strict())
    .output(Server),
  status: base.output(z.array(ConnectionStatus)),
  /** Connection state changes of every server, live. */
  watchStatus: base.output(eventIterator(ConnectionStatus)),
  /** First-use host-key prompts raised by background connections; answer with answerHostKey. */
  hostKeyPrompts: base.output(eventIterator(HostKeyPrompt)),
  answerHostKey: base
    .meta({ mutating: true })
    .input(z.object({ promptId: z.string().uuid(), accept: z.boolean(), fingerprint: z.string().optional() }).strict())
    .output(z.object({ ok: z.boolean() })),
  /** Parses an OpenSSH client config (text of ~/.ssh/config); nothing is saved. */
  parseSshConfig: base.input(z.object({ text: z.string().max(1_000_000) }).strict()).output(z.array(SshConfigCandidate)),
  /** Reads ~/.ssh/config of the user running OpenPanel. */
  readLocalSshConfig: base.output(z.object({ path: z.string(), text: z.string() })),
  containers: base.input(z.object({ id: Id, all: z.boolean().default(true) }).strict()).output(z.array(ContainerSummary)),
  /** Engine events, and status items (`kind: 'status'`) while it reconnects; ends with the error when retrying cannot help. */
  dockerEvents: base.input(z.object({ id: Id }).strict()).output(eventIterator(z.union([DockerEventSchema, DockerEventsStatusSchema]))),
};
