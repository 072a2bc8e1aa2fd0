import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { z } from 'zod';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { DATA_NETWORK } from '../databases/network.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { BUILDER_DATA, PROXY_CONTAINER, PROXY_NETWORK, proxyDriver } from '../proxy/driver.ts';
import { baseImageAliases } from '../proxy/images.ts';
import { containerJobSpec, containerReader, type ContainerStderr, startContainerJob } from '../jobs/container.ts';
import { JobState } from '../jobs/state.ts';
import type { JobReader } from '../jobs/tracker.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { TEXTFILE_WRITE_DIR, WATCH_VOLUMES } from '../watch/names.ts';
import { overrideVars } from './override.ts';
import { JOB_SCRIPT, JOB_VARS, type JobVars } from './script.ts';
import type { StoredConfig } from './store.ts';

export const builderName = (deployId: string) => `openpanel-job-${deployId}`;
export const jobDirOf = (s: ShipSettings, deployId: string) => `${s.dataDir}/jobs/${deployId}`;
export const deployImage = (appName: string, deployId: string) => `openpanel/${appName}:${deployId}`;
export const deployContainer = (appName: string, deployId: string) => `op-${appName}-${deployId}`;
/** The app's Caddy site file as the builder sees it (the same path the Caddy driver's site() gives). */
export const caddySiteFile = (appName: string) => `${BUILDER_DATA}/proxy/caddy/sites/${appName}.caddy`;
/** Whether git reaches this URL over SSH (ssh:// or the scp-like user@host:path). */
export const isSshGitUrl = (url: string) => /^ssh:\/\//i.test(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:/.test(url);

export interface JobInput {
  deployId: string;
  appId: string;
  kind: 'deploy' | 'rollback';
  app: StoredConfig;
  settings: ShipSettings;
  /** Tag to build (deploy) or the kept image to run (rollback). */
  image: string;
  container: string;
  deployKey: string | null;
  env: Record<string, string>;
  upload: boolean;
}

/**
 * What a job needs to name server paths in its errors and to confirm a switch with a request through the proxy on
 * its HTTP port: a plain-HTTP domain, else a TLS one where port 80 answers it with a redirect (Caddy always,
 * Traefik with httpsRedirect); none: not confirmed.
 */
export function routeCheckVars(app: Pick<StoredConfig, 'domains'>, settings: ShipSettings) {
  const redirects = settings.driver === 'caddy' || settings.httpsRedirect;
  const host = app.domains.find((d) => !d.tls)?.host ?? (redirects ? app.domains[0]?.host : undefined) ?? '';
  return { OP_DATA_DIR: settings.dataDir, OP_CHECK_HOST: host, OP_PROXY_PORT: String(settings.httpPort) };
}

/** The job's environment: every OP_* variable, always set. */
export function jobVars(j: JobInput): JobVars {
  const driver = proxyDriver(j.settings.driver);
  const site = driver.site(j.app);
  const labels = { ...MANAGED, [LABELS.app]: j.appId, [LABELS.appName]: j.app.name, [LABELS.deploy]: j.deployId, ...driver.appLabels(j.app, j.settings) };
  const src = j.app.source;
  const vars: JobVars = {
    OP_JOB_ID: j.deployId,
    OP_JOB_DIR: `${BUILDER_DATA}/jobs/${j.deployId}`,
    OP_KIND: j.kind,
    OP_APP: j.app.name,
    OP_APP_ID: j.appId,
    OP_IMAGE: j.image,
    OP_CONTAINER: j.container,
    OP_NETWORK: PROXY_NETWORK,
    OP_DATA_NETWORK: DATA_NETWORK,
    OP_UPLOAD: j.upload ? '1' : '',
    OP_DEPLOY_KEY: j.deployKey ?? '',
    OP_GIT_URL: src.kind === 'git' ? src.url : '',
    OP_GIT_BRANCH: src.kind === 'git' ? src.branch : '',
    OP_GIT_SSH: src.kind === 'git' && isSshGitUrl(src.url) ? '1' : '',
    OP_BASE_IMAGES: baseImageAliases(j.settings.imageOverrides).map(([a, b]) => `${a}=${b}`).join('\n'),
    OP_DOCKERFILE: j.app.dockerfile,
    OP_LABELS: Object.entries(labels).map(([k, v]) => `${k}=${v}`).join('\n'),
    OP_APP_ENV: Object.entries(j.env).map(([k, v]) => `${k}=${v}`).join('\n'),
    OP_MEMORY: j.app.limits.memoryMb ? `${j.app.limits.memoryMb}m` : '',
    OP_CPUS: j.app.limits.cpus ? String(j.app.limits.cpus) : '',
    OP_RESTART: j.app.restart,
    OP_PORT: String(j.app.port),
    OP_HEALTH_PATH: j.app.health.path,
    OP_HEALTH_TIMEOUT: String(j.app.health.timeoutSeconds),
    OP_PROXY: driver.name,
    OP_SITE: site?.template ?? '',
    // Caddy without domains: the job removes a site file left from earlier domains.
    OP_SITE_FILE: site?.file ?? (driver.name === 'caddy' ? caddySiteFile(j.app.name) : ''),
    OP_PROXY_CONTAINER: PROXY_CONTAINER,
    OP_SWITCH_DELAY: String(driver.switchDelaySeconds),
    OP_DRAIN: '1',
    OP_KEEP: String(j.app.keepImages),
    OP_METRICS_DIR: TEXTFILE_WRITE_DIR,
    ...routeCheckVars(j.app, j.settings),
    ...overrideVars(j.app),
  };
  for (const k of JOB_VARS) if (typeof vars[k] !== 'string') throw new Error(`job variable ${k} is not set`);
  return vars;
}

/** A local folder as a tar stream whose entries live under upload/ (GNU or BSD tar of this computer). */
export async function packFolder(path: string): Promise<Buffer> {
  try {
    if (!statSync(path).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    throw new AppError('NOT_FOUND', `source.path: ${path}: ${errorMessage(e)}`);
  }
  const rename = process.platform === 'linux' ? ['--transform', 's,^\\.,upload,'] : ['-s', ',^\\.,upload,'];
  const { stdout } = await promisify(execFile)('tar', ['-c', ...rename, '-C', path, '.'], { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 });
  return stdout;
}

/** What a deploy job (Dockerfile or Compose) writes to state.json: the job state plus what it built and ran. */
export const DeployJobState = JobState.extend({
  image: z.string(),
  commit: z.string(),
  /** The commit's subject line (absent in the state of jobs written by earlier versions). */
  subject: z.string().optional(),
  container: z.string(),
  buildMs: z.number().nullable(),
});
export type DeployJobState = z.infer<typeof DeployJobState>;

/** A builder: the Dockerfile job by default; a Compose app passes its own script, variables and bind mounts. */
export interface BuilderOpts {
  deployId: string;
  image: string;
  dockerSocket: string;
  settings: ShipSettings;
  vars: JobVars | (Record<string, string> & { OP_APP_ID: string });
  script?: string;
  binds?: string[];
}

/** Label on every builder naming its app (not openpanel.app: the job stops that app's other containers). */
export const JOB_APP_LABEL = LABELS.jobApp;

/** The builder's create options (the webhook receiver on the server starts the very same ones). */
export function builderSpec(opts: BuilderOpts): Docker.ContainerCreateOptions & { name: string } {
  return containerJobSpec({
    name: builderName(opts.deployId),
    image: opts.image,
    script: opts.script ?? JOB_SCRIPT,
    env: opts.vars,
    labels: { ...MANAGED, [LABELS.job]: opts.deployId, [JOB_APP_LABEL]: opts.vars.OP_APP_ID },
    // The textfile volume: every job writes its result there for Watch (made by Docker if missing).
    binds: [`${opts.dockerSocket}:/var/run/docker.sock`, `${opts.settings.dataDir}:${BUILDER_DATA}`, `${WATCH_VOLUMES.textfile}:${TEXTFILE_WRITE_DIR}`, ...(opts.binds ?? [])],
  });
}

/**
 * Creates and starts the detached builder; from here on the job lives on the server. With `attach` its stderr is
 * followed: a job that cannot write its files says why there and exits (75).
 */
export function startBuilder(api: Docker, opts: BuilderOpts & { upload: Buffer | null; attach?: Docker }): Promise<{ stderr: ContainerStderr | null }> {
  return startContainerJob(api, builderSpec(opts), { upload: opts.upload, ...(opts.attach ? { attach: opts.attach } : {}) });
}

/** Reads a deploy job's files over the server's SSH connection (and, when the app started it, the builder's stderr). */
export function jobReader(conn: () => Promise<SshConnection>, docker: <T>(call: (api: Docker) => Promise<T>) => Promise<T>, jobDir: string, deployId: string, stderr: ContainerStderr | null = null): JobReader<DeployJobState> {
  return containerReader({ conn, docker, dir: jobDir, container: builderName(deployId), schema: DeployJobState, stderr });
}
