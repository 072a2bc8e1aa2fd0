import { z } from 'zod';
import { Domain, GitRef, GitUrl, RelPath } from './apps.ts';
import { base, Id } from './base.ts';
import { TlsIssuer } from './proxy.ts';

/** Apps on a cluster: one Swarm service each, driven through a manager's Engine API. */

export const MAX_REPLICAS = 100;

/** An app's name on a cluster; the Swarm service is `op-<name>` and answers at `tasks.op-<name>` on its network. */
export const ClusterAppName = z
  .string()
  .trim()
  .min(1, 'expected a name')
  .max(40, 'expected at most 40 characters')
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'expected lower-case letters, digits or - (a letter or digit at each end), like web');

/** An image reference: `repo[:tag]` or `repo@sha256:<64 hex>`, repo optionally with a registry host[:port]. */
export const ClusterImageRef = z
  .string()
  .trim()
  .max(255, 'expected at most 255 characters')
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:\d{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})?$/,
    'expected an image like registry.example:5000/web:1.2 or web@sha256:<64 hex digits>',
  );

export const Replicas = z
  .number({ message: `expected a whole number from 0 to ${MAX_REPLICAS}` })
  .int(`expected a whole number from 0 to ${MAX_REPLICAS}`)
  .min(0, `expected a whole number from 0 to ${MAX_REPLICAS}`)
  .max(MAX_REPLICAS, `expected a whole number from 0 to ${MAX_REPLICAS}`);

const CONSTRAINT = /^(node\.role\s*(==|!=)\s*(manager|worker)|node\.hostname\s*(==|!=)\s*[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?|node\.labels\.[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?\s*(==|!=)\s*[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?)$/i;

/** One placement constraint: node.role, node.hostname or node.labels.<key>, == or !=, a plain value. */
export const Constraint = z
  .string()
  .trim()
  .max(300, 'expected at most 300 characters')
  .regex(CONSTRAINT, 'expected node.role, node.hostname or node.labels.<key>, then == or !=, then a value of letters, digits, . _ -, like node.labels.zone==eu');

const Cpus = z.number().positive('expected a number of CPUs above 0').max(256, 'expected at most 256 CPUs');
const MemoryMb = z.number().int('expected whole MB').min(6, 'expected at least 6 MB').max(1_048_576, 'expected at most 1 TB');
const Seconds = (max: number) => z.number().min(0, 'expected 0 or more seconds').max(max, `expected at most ${max} seconds`);

export const Resources = z
  .object({ cpus: Cpus.optional(), memoryMb: MemoryMb.optional() })
  .strict();

/** A command run in the container as argv (no shell); exit 0 = healthy. */
export const ServiceHealthCheck = z
  .object({
    test: z.array(z.string().min(1).max(1000).regex(/^[^\0]*$/, 'expected no NUL bytes')).min(1, 'expected a command').max(32),
    intervalS: Seconds(3600).min(1, 'expected at least 1 second').default(5),
    timeoutS: Seconds(3600).min(1, 'expected at least 1 second').default(3),
    retries: z.number().int().min(1, 'expected at least 1').max(100).default(3),
    startPeriodS: Seconds(3600).default(0),
  })
  .strict();

export const UpdatePolicy = z
  .object({
    parallelism: z.number().int().min(1, 'expected at least 1').max(MAX_REPLICAS).default(1),
    delayS: Seconds(3600).default(0),
    order: z.enum(['start-first', 'stop-first'], { message: 'expected start-first or stop-first' }).default('start-first'),
    monitorS: Seconds(3600).default(5),
    failureAction: z.enum(['rollback', 'pause', 'continue'], { message: 'expected rollback, pause or continue' }).default('rollback'),
    maxFailureRatio: z.number().min(0, 'expected a ratio from 0 to 1').max(1, 'expected a ratio from 0 to 1').default(0),
  })
  .strict();

export const RestartPolicy = z
  .object({
    condition: z.enum(['any', 'on-failure', 'none'], { message: 'expected any, on-failure or none' }).default('any'),
    delayS: Seconds(3600).default(1),
    maxAttempts: z.number().int().min(0).max(1000).default(0),
  })
  .strict();

/** A domain the cluster's edge proxy routes to the app's tasks (plain HTTP when tls is false). */
export const ClusterDomain = z.object({ host: Domain, tls: z.boolean().default(true), issuer: TlsIssuer.default('acme') }).strict();
export type ClusterDomain = z.output<typeof ClusterDomain>;

export const ClusterAppInput = z
  .object({
    clusterId: Id,
    name: ClusterAppName,
    image: ClusterImageRef,
    replicas: Replicas.default(1),
    /** The port the app listens on inside its container (the proxy's upstream port). */
    port: z.number().int().min(1, 'expected a port from 1 to 65535').max(65535, 'expected a port from 1 to 65535').default(80),
    constraints: z.array(Constraint).max(16, 'expected at most 16 constraints').default([]),
    /** Routed by the edge proxy (Caddy on the nodes labelled openpanel.edge=true) to tasks.op-<name>:<port>. */
    domains: z.array(ClusterDomain).max(16, 'expected at most 16 domains').default([]),
    reservations: Resources.default({}),
    limits: Resources.default({}),
    restart: RestartPolicy.default({ condition: 'any', delayS: 1, maxAttempts: 0 }),
    health: ServiceHealthCheck.nullable().default(null),
    update: UpdatePolicy.default({ parallelism: 1, delayS: 0, order: 'start-first', monitorS: 5, failureAction: 'rollback', maxFailureRatio: 0 }),
  })
  .strict();
export type ClusterAppInput = z.input<typeof ClusterAppInput>;
export type ClusterAppSpec = z.output<typeof ClusterAppInput>;

export const ClusterAppRef = z.object({ clusterId: Id, name: ClusterAppName }).strict();

export const ClusterTask = z.object({
  id: z.string(),
  slot: z.number().int().nullable(),
  nodeId: z.string().nullable(),
  node: z.string().nullable(),
  serverId: z.string().nullable(),
  /** The node's state as Swarm reports it (ready, down …): a task left on a down node may still say running. */
  nodeState: z.string().nullable().optional(),
  /** Swarm's task state (running, starting, failed, shutdown …) and the desired one. */
  state: z.string(),
  desired: z.string(),
  error: z.string().nullable(),
  image: z.string(),
  since: z.number(),
});
export type ClusterTask = z.infer<typeof ClusterTask>;

export const ClusterDeploy = z.object({
  id: z.string(),
  image: z.string(),
  at: z.number(),
  /** Why it was made: deploy, rollback (by the user, to an older deploy). */
  kind: z.enum(['deploy', 'rollback']),
  /** Built from git (deployFromGit): the commit, the pushed digest, the builder server and the registry. */
  commit: z.string().optional(),
  digest: z.string().optional(),
  builderServerId: z.string().optional(),
  registry: z.string().optional(),
});
export type ClusterDeploy = z.infer<typeof ClusterDeploy>;

export const ClusterAppView = z.object({
  clusterId: z.string(),
  name: z.string(),
  service: z.string(),
  serviceId: z.string(),
  image: z.string(),
  replicas: z.number().int(),
  /** The port the tasks listen on (the edge's upstream port), as deployed. */
  port: z.number().int(),
  running: z.number().int(),
  constraints: z.array(z.string()),
  domains: z.array(ClusterDomain),
  /**
   * The rolling update's state as Swarm reports it: updating, completed, paused, rollback_started,
   * rollback_completed (shown as "rolled back", with Swarm's reason), rollback_paused; null before any update.
   */
  update: z.object({ state: z.string(), rolledBack: z.boolean(), message: z.string().nullable(), at: z.number().nullable() }).nullable(),
  tasks: z.array(ClusterTask),
  /** Newest first; the first is what the service was last told to run. */
  deploys: z.array(ClusterDeploy),
});
export type ClusterAppView = z.infer<typeof ClusterAppView>;

/** A path inside the repository: a relative path, and no `..` anywhere (a name like `x..` is refused too). */
const RepoPath = RelPath.refine((p) => !p.includes('..'), 'expected a relative path inside the repository, without ..');

/** A git repository built once on the builder server (branch or tag `ref`; default: the repository's default branch). */
export const ClusterGitSource = z
  .object({
    kind: z.literal('git'),
    url: GitUrl,
    ref: GitRef.optional(),
    /** The Dockerfile, relative to the repository's root. */
    dockerfile: RepoPath.default('Dockerfile'),
    /** The build context, relative to the repository's root. */
    context: RepoPath.default('.'),
  })
  .strict();

/**
 * A cluster app deployed from git: built once on `builderServerId` (a node or a separate build server), tagged
 * `<registry>/<name>:<deploy id>`, pushed to `registryId`, then the service is created or updated by digest with
 * the registry's credentials (nodes pull with them; no `docker login`).
 */
export const ClusterGitDeployInput = ClusterAppInput.omit({ image: true })
  .extend({ source: ClusterGitSource, builderServerId: Id, registryId: Id })
  .strict();
export type ClusterGitDeployInput = z.input<typeof ClusterGitDeployInput>;

/** The steps of a deploy from git: build (a job on the builder), push, update (the Swarm service), done. */
export const ClusterBuildStep = z.enum(['build', 'push', 'update', 'done']);

export const ClusterBuild = z.object({
  /** The deploy id (also the image tag and the deploy record's id once it is served). */
  id: z.string(),
  clusterId: z.string(),
  name: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  /** The step running, or the one that failed. */
  step: ClusterBuildStep,
  /** Names the step and the registry or builder, e.g. "push: registry main (10.0.0.5:5000): …". */
  error: z.string().nullable(),
  source: ClusterGitSource,
  builderServerId: z.string(),
  builder: z.string(),
  registryId: z.string(),
  registry: z.string(),
  /** `<registry host>/<name>:<id>`. */
  tag: z.string(),
  commit: z.string().nullable(),
  digest: z.string().nullable(),
  /** `<registry host>/<name>@<digest>`: what the service runs. */
  image: z.string().nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
});
export type ClusterBuild = z.infer<typeof ClusterBuild>;

export const ClusterBuildDetail = ClusterBuild.extend({ log: z.string() });
export type ClusterBuildDetail = z.infer<typeof ClusterBuildDetail>;

const DeployId = z.string().regex(/^[a-z0-9]{6,40}$/, 'expected a deploy id');

export const clusterApps = {
  /** Creates the app's service, or updates it (a rolling update) with a new deploy record. */
  deploy: base.meta({ mutating: true }).input(ClusterAppInput).output(ClusterAppView),
  get: base.input(ClusterAppRef).output(ClusterAppView),
  list: base.input(z.object({ clusterId: Id }).strict()).output(z.array(ClusterAppView)),
  scale: base.meta({ mutating: true }).input(ClusterAppRef.extend({ replicas: Replicas }).strict()).output(ClusterAppView),
  /** Runs a kept deploy's image again (by digest when it had one); nothing is rebuilt. */
  rollback: base.meta({ mutating: true }).input(ClusterAppRef.extend({ deployId: DeployId }).strict()).output(ClusterAppView),
  /** Starts a deploy from git (build on the builder, push, update by digest) and returns at once; follow it with build. */
  deployFromGit: base.meta({ mutating: true }).input(ClusterGitDeployInput).output(ClusterBuild),
  /** The app's deploys from git, newest first (running, failed and done; ten kept). */
  builds: base.input(ClusterAppRef).output(z.array(ClusterBuild)),
  /** One deploy from git with the builder job's log. */
  build: base.input(ClusterAppRef.extend({ deployId: DeployId }).strict()).output(ClusterBuildDetail),
  remove: base.meta({ mutating: true }).input(ClusterAppRef).output(z.object({ removed: z.boolean() })),
};
