/**
 * Every Docker label key OpenPanel sets or reads. The keys (and the values given below) are persistent state on
 * users' servers: containers, images, volumes and networks created by earlier versions carry them, so none may
 * change. Shell scripts and webhook-receiver.mjs spell some of them out too (noted per key).
 */
export const LABELS = {
  /** 'true' on everything OpenPanel created (the containers list's "managed" flag). */
  managed: 'dev.openpanel.managed',
  /** An app's containers and images (also in deploy/script.ts, compose-script.ts, webhook-receiver.mjs). */
  app: 'openpanel.app',
  /** An app's name, beside its id (Watch's container collector, collector.sh, reads it for the `app` label). */
  appName: 'openpanel.app.name',
  /** The deploy that made an app container or image (also in deploy/script.ts). */
  deploy: 'openpanel.deploy',
  /** The commit an app image was built from (set and read in deploy/script.ts, read in webhook-receiver.mjs). */
  commit: 'openpanel.commit',
  /** A deploy or compose job's builder container: the job id (also read in webhook-receiver.mjs). */
  job: 'openpanel.job',
  /** A builder's app (not `app`: the job stops that app's other containers; also in webhook-receiver.mjs). */
  jobApp: 'openpanel.job.app',
  /** The proxy container: its driver, 'caddy' or 'traefik'. */
  proxy: 'openpanel.proxy',
  /** The proxy network: 'proxy'. */
  network: 'openpanel.network',
  /** The push-to-deploy receiver: 'receiver'. */
  webhook: 'openpanel.webhook',
  /** The receiver's spec hash: a change recreates it. */
  webhookHash: 'openpanel.webhook.hash',
  /** The assistant's throwaway containers: 'repository'. */
  assistant: 'openpanel.assistant',
  /** What a data container or network is: see ROLES. */
  role: 'openpanel.role',
  /** A database container: its id and engine. */
  databaseId: 'openpanel.database.id',
  databaseEngine: 'openpanel.database.engine',
  /** A database image's version, when its image says (read only). */
  version: 'openpanel.version',
  /** A volume made by a restore: the backup key it came from. */
  restoredFrom: 'openpanel.restored-from',
  /** A deploy record of an app on a cluster (a Swarm config): JSON [{id, image, at, kind}]. */
  deploys: 'openpanel.deploys',
  /** A cluster app's deploy from git (a Swarm config): JSON {status, step, error, commit, digest, image, finishedAt}. */
  build: 'openpanel.build',
  /** An app's Swarm service: the port its tasks listen on (the proxy's upstream port). */
  port: 'openpanel.port',
  /** An app's Swarm service: JSON [{host, tls, issuer}], the domains the cluster's edge proxy routes to it. */
  domains: 'openpanel.domains',
  /** A Compose stack on a cluster: its services, containers, deploy records and job containers (also in cluster-stacks/stack-job.sh). */
  stack: 'openpanel.stack',
  /** A stack's deploy record (a Swarm config): JSON {id, at, kind, rollbackOf, serverId}. */
  stackDeploy: 'openpanel.stack.deploy',
  /** A stack deploy's result (a Swarm config written by the job itself): succeeded or failed (also in stack-job.sh). */
  stackResult: 'openpanel.stack.result',
} as const;

/** The values of LABELS.role. */
export const ROLES = {
  database: 'database',
  dataNetwork: 'data-network',
  backupScheduler: 'backup-scheduler',
  backupVerify: 'backup-verify',
} as const;

/** The label every container OpenPanel creates carries. */
export const MANAGED: Record<string, string> = { [LABELS.managed]: 'true' };
