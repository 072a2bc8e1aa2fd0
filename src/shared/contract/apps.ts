import { eventIterator } from '@orpc/contract';
import { z } from 'zod';
import { JobProgress } from './jobs.ts';
import { base, Id } from './base.ts';
import { EnvName, TlsIssuer } from './proxy.ts';
import { LocalPath } from './servers.ts';

/** An app's name: a DNS label, used in container and image names. */
export const AppName = z
  .string()
  .trim()
  .min(1, 'expected a name')
  .max(40, 'expected at most 40 characters')
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'expected lowercase letters, digits and - (like my-app)');

export const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a domain name like app.example.com');

/** A git URL as git accepts it (https, ssh, git, file); passed to git as one argv element. */
export const GitUrl = z
  .string()
  .trim()
  .min(1, 'expected a git URL')
  .max(1024)
  .regex(/^(?:(?:https?|ssh|git|file):\/\/|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:)[^\s]*$/, 'expected a git URL (https://, ssh://, git://, file:// or user@host:path)')
  // A password or token inside the URL would be stored in SQLite, the audit log and the job files: refused.
  .refine((u) => !/^[a-z+]+:\/\/[^/@]*:[^/@]*@/i.test(u), 'expected a git URL without a password in it (user:password@ is not stored; use an ssh:// URL with a deploy key, whose private key stays in the keychain)');
export const GitRef = z
  .string()
  .trim()
  .min(1, 'expected a branch name')
  .max(200)
  .regex(/^(?!-)[A-Za-z0-9._/-]+$/, 'expected a branch name (letters, digits, . _ / -)')
  .refine((b) => !b.includes('..'), 'expected a branch name without ".."');
export const RelPath = z
  .string()
  .trim()
  .min(1)
  .max(512)
  .regex(/^[A-Za-z0-9._/-]+$/, 'expected a relative path (letters, digits, . _ / -)')
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'expected a relative path inside the source');

export const AppSource = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('git'),
      url: GitUrl,
      branch: GitRef.default('main'),
      /** Write-only: a private key (OpenSSH or PEM, no passphrase) for ssh URLs, kept in the keychain; null removes it. */
      deployKey: z.string().max(32_768, 'expected at most 32768 characters').nullable().optional(),
      hasDeployKey: z.boolean().optional(),
    })
    .strict(),
  /** A folder on this computer, uploaded as the build context at each deploy. */
  z.object({ kind: z.literal('upload'), path: LocalPath.refine((p) => /^(?:\/|[A-Za-z]:[\\/]|\\\\)/.test(p), 'expected the absolute path of a folder on this computer') }).strict(),
]);
export type AppSource = z.infer<typeof AppSource>;

/** A Compose project name, as `docker compose -p` accepts it. */
export const ComposeProject = z
  .string()
  .trim()
  .min(1, 'expected a project name')
  .max(63, 'expected at most 63 characters')
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected lowercase letters, digits, _ and - (a Compose project name)');
/** A service name of the Compose file. */
export const ComposeService = z
  .string()
  .trim()
  .min(1, 'expected a service name')
  .max(63, 'expected at most 63 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a Compose service name (letters, digits, . _ -)');

/** Build from a Compose file of the source instead of a Dockerfile: the app is the whole stack. */
export const ComposeBuild = z
  .object({
    /** Path of the Compose file inside the source. */
    file: RelPath.default('docker-compose.yml'),
    /** Compose project name on the server; when empty, op-<app name> (fixed when the app is saved). */
    project: ComposeProject.nullable().default(null),
    /** The service that gets the domains, the port and the health check (routed through the proxy). */
    service: ComposeService.default('web'),
  })
  .strict();
export type ComposeBuild = z.infer<typeof ComposeBuild>;

export const HealthCheck = z
  .object({
    /** HTTP path probed on the app's port from the server (any 2xx/3xx answer is healthy). */
    path: z.string().max(512).regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*$/, 'expected a path starting with /').default('/'),
    timeoutSeconds: z.number().int().min(1).max(600, 'expected at most 600 seconds').default(60),
  })
  .strict();

/** A build file set by the user (e.g. applied from the assistant): replaces the repository's Dockerfile at build time. */
export const DockerfileOverride = z
  .object({
    dockerfile: z.string().min(1, 'expected a Dockerfile').max(60_000, 'expected at most 60000 characters').refine((t) => !t.includes('\0'), 'expected text without NUL bytes'),
    dockerignore: z.string().max(60_000, 'expected at most 60000 characters').refine((t) => !t.includes('\0'), 'expected text without NUL bytes').nullable(),
    /** Where it came from, e.g. "assistant". */
    origin: z.string().max(200),
    appliedAt: z.number(),
  })
  .strict();
export type DockerfileOverride = z.infer<typeof DockerfileOverride>;

export const AppConfig = z
  .object({
    name: AppName,
    serverId: Id,
    source: AppSource,
    dockerfile: RelPath.default('Dockerfile'),
    /** Set: the build is this Compose file (a stack) and `dockerfile` is not used. */
    compose: ComposeBuild.nullable().default(null),
    /** The port the app listens on inside its container. */
    port: z.number().int('expected a whole number').min(1, 'expected a port 1-65535').max(65535, 'expected a port 1-65535').default(80),
    /**
     * Host names the proxy routes to the app. `tls`: HTTPS with a certificate; `issuer`: from ACME (Let's Encrypt,
     * the default) or from the proxy's internal CA (LAN/private names no public CA can validate; Caddy only).
     */
    domains: z
      .array(z.object({ host: Domain, tls: z.boolean().default(true), issuer: TlsIssuer.default('acme') }).strict())
      .max(20, 'expected at most 20 domains')
      .default([]),
    health: HealthCheck.default({ path: '/', timeoutSeconds: 60 }),
    restart: z.enum(['no', 'always', 'unless-stopped', 'on-failure']).default('unless-stopped'),
    limits: z
      .object({
        memoryMb: z.number().int().min(6, 'expected at least 6 MB').max(1_048_576).nullable().default(null),
        cpus: z.number().min(0.01).max(512).nullable().default(null),
      })
      .strict()
      .default({ memoryMb: null, cpus: null }),
    /** Names of env vars; values are in the keychain (set through `env`, never returned). */
    envNames: z.array(EnvName).max(100).default([]),
    /** How many built images to keep for rollback. */
    keepImages: z.number().int().min(1).max(50).default(5),
    /** A Dockerfile (and .dockerignore) kept with the app, not in git: written into the build context before `docker build`. */
    dockerfileOverride: DockerfileOverride.nullable().default(null),
  })
  .strict();
export type AppConfig = z.infer<typeof AppConfig>;

const EnvValue = z.string().max(65_536, 'expected at most 65536 characters').regex(/^[^\n\r\0]*$/, 'expected a value without line breaks');
/** name → value; a bad name is reported at its own path with what a name must be (zod's own key check says only "Invalid key in record"). */
function envRecord<V extends z.ZodType>(value: V) {
  return z.record(z.string(), value).superRefine((rec, ctx) => {
    for (const k of Object.keys(rec)) {
      const r = EnvName.safeParse(k);
      if (!r.success) ctx.addIssue({ code: 'custom', path: [k], message: `${r.error.issues[0]!.message}, got "${k.slice(0, 60)}"` });
    }
  });
}

export const AppCreate = AppConfig.omit({ envNames: true }).extend({ env: envRecord(EnvValue).optional() }).strict();
export type AppCreate = z.input<typeof AppCreate>;
type Undefault<T> = T extends z.ZodDefault<infer I> ? I : T;
/**
 * Every field optional and WITHOUT its default: zod 4 applies defaults inside .partial(), which would reset every
 * field an update leaves out (port back to 80, domains emptied…). Nested objects given are still completed.
 */
function optionalNoDefaults<S extends z.ZodRawShape>(shape: S): { [K in keyof S]: z.ZodOptional<Undefault<S[K]>> } {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : (v as z.ZodType)).optional()])) as never;
}
export const AppUpdate = z
  .object(optionalNoDefaults(AppCreate.shape))
  /** env: only the variables to change, by name: a value sets (or replaces) one, null removes it; the others stay. */
  .extend({ id: Id, env: envRecord(EnvValue.nullable()).optional() })
  .strict();

export const DeployStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
export type DeployStatus = z.infer<typeof DeployStatus>;
export const DeployStep = z.enum(['queued', 'prepare', 'fetch', 'build', 'start', 'health', 'switch', 'cleanup', 'done']);
export type DeployStep = z.infer<typeof DeployStep>;

export const Deploy = JobProgress.extend({
  id: z.string(),
  appId: z.string(),
  serverId: z.string(),
  kind: z.enum(['deploy', 'rollback']),
  trigger: z.enum(['manual', 'webhook']),
  status: DeployStatus,
  step: DeployStep,
  progress: z.number(),
  image: z.string().nullable(),
  commit: z.string().nullable(),
  /** The commit's subject line, recorded by the job at build time (null for deploys made before it was recorded). */
  commitSubject: z.string().nullable(),
  container: z.string().nullable(),
  error: z.string().nullable(),
  /** Seconds spent in `docker build` (from the job's own timing). */
  buildSeconds: z.number().nullable(),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  /** Whether the app is watching the job on the server right now. */
  attached: z.boolean(),
});
export type Deploy = z.infer<typeof Deploy>;

export const App = AppConfig.extend({
  id: z.string(),
  source: z.discriminatedUnion('kind', [
    /** deployKeyPublic: the deploy key's public half (one OpenSSH line) to add to the forge; the private half stays in the keychain. */
    z.object({ kind: z.literal('git'), url: z.string(), branch: z.string(), hasDeployKey: z.boolean(), deployKeyPublic: z.string().nullable() }),
    z.object({ kind: z.literal('upload'), path: z.string() }),
  ]),
  createdAt: z.number(),
  updatedAt: z.number(),
  lastDeploy: Deploy.nullable(),
  /** Where the app answers (http(s)://domain). */
  urls: z.array(z.string()),
});
export type App = z.infer<typeof App>;

/** The app's live container as Docker reports it now (found by the app's labels, not by a stored name). */
export const AppContainer = z.object({
  id: z.string(),
  name: z.string(),
  /** Docker's state: running, restarting, exited, paused, created, dead. */
  state: z.string(),
  /** Docker's own health check when the image has one, else none. */
  health: z.enum(['healthy', 'unhealthy', 'starting', 'none']),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  exitCode: z.number().nullable(),
  restartCount: z.number(),
  /** The deploy whose container this is (its label). */
  deployId: z.string().nullable(),
});
export type AppContainer = z.infer<typeof AppContainer>;

/** One domain checked through the server's proxy (HTTP on its port, with the domain as Host). */
export const AppRouteCheck = z.object({
  url: z.string(),
  host: z.string(),
  /** The HTTP status the proxy answered with; null when it did not answer. */
  status: z.number().nullable(),
  error: z.string().nullable(),
});
export type AppRouteCheck = z.infer<typeof AppRouteCheck>;

/** What runs now, apart from the last deploy's result. */
export const AppRuntime = z.object({
  container: AppContainer.nullable(),
  /** The deploy whose container is live (null when none of the app's deploys runs). */
  live: Deploy.nullable(),
  /** When traffic switched to the live deploy (or its container started, for a deploy not in the history). */
  liveSince: z.number().nullable(),
  routes: z.array(AppRouteCheck),
  checkedAt: z.number(),
});
export type AppRuntime = z.infer<typeof AppRuntime>;

export const AppControlAction = z.enum(['start', 'stop', 'restart']);

export const DeployEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), deploy: Deploy }),
  /** Log text from offset `from` (characters since the job started). */
  z.object({ type: z.literal('log'), from: z.number(), data: z.string() }),
]);
export type DeployEvent = z.infer<typeof DeployEvent>;

/** Push-to-deploy: a receiver on the server (reached through the proxy by its own host name) starts the deploy job. */
export const Webhook = z.object({
  appId: z.string(),
  enabled: z.boolean(),
  /** The host name the proxy routes to the receiver (a DNS name pointing at the server). */
  host: z.string().nullable(),
  tls: z.boolean(),
  /** Payload URL to give to GitHub, Gitea/Forgejo or GitLab. */
  url: z.string().nullable(),
  createdAt: z.number().nullable(),
  rotatedAt: z.number().nullable(),
  /** Why the last look at the server's deliveries failed (null when it worked or never ran). */
  syncError: z.string().nullable(),
});
export type Webhook = z.infer<typeof Webhook>;
/** Returned by enable and rotate only: the secret is shown once (it stays in the keychain). */
export const WebhookWithSecret = Webhook.extend({ secret: z.string().nullable() });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookDeliveryResult = z.enum(['started', 'queued', 'ignored', 'refused', 'failed', 'ping']);
/** One delivery as the receiver logged it on the server (never the secret or the signature). */
export const WebhookDelivery = z.object({
  at: z.number(),
  appId: z.string(),
  provider: z.string(),
  event: z.string(),
  delivery: z.string(),
  result: WebhookDeliveryResult,
  status: z.number(),
  reason: z.string(),
  ref: z.string(),
  commit: z.string(),
  deployId: z.string().nullable(),
  remote: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

const AppRef = z.object({ id: Id }).strict();
const DeployRef = z.object({ deployId: Id }).strict();

export const apps = {
  list: base.input(z.object({ serverId: Id.optional() }).strict().default({})).output(z.array(App)),
  get: base.input(AppRef).output(App),
  create: base.meta({ mutating: true, secretFields: ['env', 'deployKey'] }).input(AppCreate).output(App),
  update: base.meta({ mutating: true, secretFields: ['env', 'deployKey'] }).input(AppUpdate).output(App),
  /**
   * stopContainers: remove the app's containers (Compose: `compose down`), its proxy route and its job folders on the
   * server; removeImages: also its built images; removeVolumes: also the stack's volumes. Keychain secrets and the
   * deploy history always go.
   */
  remove: base.meta({ mutating: true }).input(z.object({ id: Id, stopContainers: z.boolean().default(true), removeImages: z.boolean().default(true), removeVolumes: z.boolean().default(false) }).strict()).output(z.object({ removed: z.boolean() })),
  /** A new ed25519 deploy key for a git source: the private half goes to the keychain, the public half is in the returned app. */
  generateDeployKey: base.meta({ mutating: true }).input(AppRef).output(App),
  deploy: base.meta({ mutating: true }).input(AppRef).output(Deploy),
  /** Run a kept image again (no rebuild). */
  rollback: base.meta({ mutating: true }).input(z.object({ id: Id, toDeployId: Id }).strict()).output(Deploy),
  cancel: base.meta({ mutating: true }).input(DeployRef).output(Deploy),
  deploys: base.input(z.object({ id: Id, limit: z.number().int().min(1).max(200).default(50) }).strict()).output(z.array(Deploy)),
  deployLog: base.input(DeployRef).output(z.object({ text: z.string() })),
  /** State and log of one deploy, live until it ends (re-attaches to the job on the server). */
  watchDeploy: base.input(z.object({ deployId: Id, since: z.number().int().min(0).default(0) }).strict()).output(eventIterator(DeployEvent)),
  /** Push-to-deploy webhook of an app (receiver on the server, secret in the keychain). */
  webhook: {
    get: base.input(AppRef).output(Webhook),
    /** Turns it on (or changes its host); a new secret is returned once. */
    enable: base.meta({ mutating: true }).input(z.object({ id: Id, host: Domain, tls: z.boolean().default(true) }).strict()).output(WebhookWithSecret),
    disable: base.meta({ mutating: true }).input(AppRef).output(Webhook),
    /** A new secret (returned once); the old one is refused from now on. */
    rotate: base.meta({ mutating: true }).input(AppRef).output(WebhookWithSecret),
    /** Recent deliveries (newest first), read from the server; deploys they started are imported into the history. */
    deliveries: base.input(z.object({ id: Id, limit: z.number().int().min(1, 'expected 1-500').max(500, 'expected 1-500').default(50) }).strict()).output(z.array(WebhookDelivery)),
  },
  /** The live container's state, the live deploy and its domains checked through the proxy. */
  runtime: base.input(AppRef).output(AppRuntime),
  /** Starts, stops or restarts the app's live container, found by its labels at the time of the call. */
  control: base.meta({ mutating: true }).input(z.object({ id: Id, action: AppControlAction }).strict()).output(AppRuntime),
  /** Images kept on the server for this app (rollback targets). */
  images: base.input(AppRef).output(z.array(z.object({ deployId: z.string(), image: z.string(), commit: z.string().nullable(), createdAt: z.number() }))),
};
