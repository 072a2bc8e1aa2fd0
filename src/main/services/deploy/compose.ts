import type Docker from 'dockerode';
import type { ComposeBuild } from '../../../shared/contract/apps.ts';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import { AppError } from '../core/errors.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { runOnce } from '../docker/run-once.ts';
import { BUILDER_DATA, PROXY_CONTAINER, PROXY_NETWORK, proxyDriver } from '../proxy/driver.ts';
import { baseImageAliases } from '../proxy/images.ts';
import { TEXTFILE_WRITE_DIR } from '../watch/names.ts';
import { COMPOSE_DOWN_SCRIPT, COMPOSE_JOB_SCRIPT, COMPOSE_VARS, type ComposeVars } from './compose-script.ts';
import { routeCheckVars } from './job.ts';
import type { StoredConfig } from './store.ts';

/** A Compose app's stored config (old rows have no `compose` key). */
export function composeOf(app: Pick<StoredConfig, 'compose'>): ComposeBuild | null {
  return app.compose ?? null;
}

/** The project name the stack runs under: the one set, else op-<app name>. */
export function composeProject(app: Pick<StoredConfig, 'name' | 'compose'>): string {
  return app.compose?.project ?? `op-${app.name}`;
}

/**
 * What a Compose deploy records as its "image": the project and the revision (the deploy whose source, Compose
 * file and built images it runs). A rollback runs that revision again.
 */
export function composeRef(project: string, revision: string): string {
  return `compose:${project}@${revision}`;
}
export function isComposeRef(image: string | null): boolean {
  return !!image?.startsWith('compose:');
}
export function revisionOf(image: string): string {
  const rev = image.slice(image.lastIndexOf('@') + 1);
  if (!/^d[a-z0-9]+$/.test(rev)) throw new AppError('INPUT_INVALID', `toDeployId: ${image} does not name a kept revision`);
  return rev;
}

/** Where the kept revisions of an app live on the server; the builder sees it at the same path. */
export const stackDirOf = (s: ShipSettings, appId: string) => `${s.dataDir}/stacks/${appId}`;
/** The network alias of the routed service on the proxy network (what Caddy proxies to). */
export const routeAlias = (project: string, service: string) => `${project}-${service.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;

/**
 * The routing override (JSON is YAML): the routed service joins the proxy network under a fixed alias (and stays
 * on the project's default network), carries the proxy's labels (Traefik) and gets the app's env names, whose
 * values Compose takes from the job's environment.
 */
export function routeOverride(app: StoredConfig & { compose: ComposeBuild }, settings: ShipSettings, envNames: string[]): string {
  const driver = proxyDriver(settings.driver);
  const project = composeProject(app);
  const service: Record<string, unknown> = {
    labels: driver.appLabels(app, settings),
    networks: { default: {}, [PROXY_NETWORK]: { aliases: [routeAlias(project, app.compose.service)] } },
  };
  if (envNames.length) service.environment = [...envNames].sort();
  return JSON.stringify({ services: { [app.compose.service]: service }, networks: { [PROXY_NETWORK]: { external: true, name: PROXY_NETWORK } } });
}

export interface ComposeJobInput {
  deployId: string;
  appId: string;
  kind: 'deploy' | 'rollback';
  app: StoredConfig;
  settings: ShipSettings;
  /** The revision to run: this deploy's id (deploy) or the kept one (rollback). */
  revision: string;
  deployKey: string | null;
  env: Record<string, string>;
  upload: boolean;
  /** Down script only: also remove the stack's volumes. */
  removeVolumes?: boolean;
}

export function composeVars(j: ComposeJobInput): ComposeVars {
  const compose = composeOf(j.app);
  if (!compose) throw new Error('not a Compose app');
  const app = { ...j.app, compose };
  const driver = proxyDriver(j.settings.driver);
  const site = driver.site(app);
  const project = composeProject(app);
  const src = app.source;
  const vars: ComposeVars = {
    OP_JOB_ID: j.deployId,
    OP_JOB_DIR: `${BUILDER_DATA}/jobs/${j.deployId}`,
    OP_KIND: j.kind,
    OP_APP: app.name,
    OP_APP_ID: j.appId,
    OP_IMAGE: composeRef(project, j.revision),
    OP_NETWORK: PROXY_NETWORK,
    OP_UPLOAD: j.upload ? '1' : '',
    OP_DEPLOY_KEY: j.deployKey ?? '',
    OP_GIT_URL: src.kind === 'git' ? src.url : '',
    OP_GIT_BRANCH: src.kind === 'git' ? src.branch : '',
    OP_BASE_IMAGES: baseImageAliases(j.settings.imageOverrides).map(([a, b]) => `${a}=${b}`).join('\n'),
    OP_LABELS: [`${LABELS.managed}=true`, `${LABELS.app}=${j.appId}`, `${LABELS.appName}=${app.name}`].join('\n'),
    OP_APP_ENV: Object.entries(j.env).map(([k, v]) => `${k}=${v}`).join('\n'),
    OP_PORT: String(app.port),
    OP_HEALTH_PATH: app.health.path,
    OP_HEALTH_TIMEOUT: String(app.health.timeoutSeconds),
    OP_PROXY: driver.name,
    OP_SITE: site?.template ?? '',
    OP_SITE_FILE: site?.file ?? '',
    OP_PROXY_CONTAINER: PROXY_CONTAINER,
    OP_SWITCH_DELAY: String(driver.switchDelaySeconds),
    OP_KEEP: String(app.keepImages),
    OP_STACK_DIR: stackDirOf(j.settings, j.appId),
    OP_REVISION: j.revision,
    OP_PROJECT: project,
    OP_SERVICE: compose.service,
    OP_COMPOSE_FILE: compose.file,
    OP_ROUTE: routeOverride(app, j.settings, Object.keys(j.env)),
    OP_ALIAS: routeAlias(project, compose.service),
    OP_IMAGE_PREFIX: `openpanel/${app.name}-`,
    OP_VOLUMES: j.removeVolumes ? '1' : '',
    OP_METRICS_DIR: TEXTFILE_WRITE_DIR,
    ...routeCheckVars(app, j.settings),
  };
  for (const k of COMPOSE_VARS) if (typeof vars[k] !== 'string') throw new Error(`job variable ${k} is not set`);
  return vars;
}

/** The builder's script, variables and extra bind mount (the stacks dir at the same path as on the server). */
export function composeJob(j: ComposeJobInput): { script: string; vars: ComposeVars; binds: string[] } {
  const dir = `${j.settings.dataDir}/stacks`;
  return { script: COMPOSE_JOB_SCRIPT, vars: composeVars(j), binds: [`${dir}:${dir}`] };
}

/**
 * Takes a stack down on the server (`compose down`, volumes only when asked) and removes its kept revisions,
 * their images and its proxy site. Runs the builder image once, in the foreground; bounded by `timeoutMs`.
 */
export async function composeDown(api: Docker, opts: { image: string; dockerSocket: string; input: ComposeJobInput; timeoutMs?: number }): Promise<string> {
  const { settings } = opts.input;
  const dir = `${settings.dataDir}/stacks`;
  const vars = composeVars(opts.input);
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const r = await runOnce(
    api,
    {
      name: `openpanel-down-${opts.input.deployId}`,
      Image: opts.image,
      Entrypoint: ['sh', '-c', COMPOSE_DOWN_SCRIPT],
      Cmd: [],
      Env: Object.entries(vars).map(([k, v]) => `${k}=${v}`),
      Labels: { ...MANAGED, [LABELS.job]: opts.input.deployId },
      HostConfig: {
        NetworkMode: 'host',
        Binds: [`${opts.dockerSocket}:/var/run/docker.sock`, `${settings.dataDir}:${BUILDER_DATA}`, `${dir}:${dir}`],
      },
    },
    { what: `compose down of ${composeProject(opts.input.app)}`, timeoutMs, tailLines: 8 },
  );
  return r.output;
}
