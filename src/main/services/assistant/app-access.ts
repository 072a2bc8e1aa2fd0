import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { DockerfileOverride } from '../../../shared/contract/apps.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { Db } from '../db/index.ts';
import { ensureImage } from '../docker/images.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { runOnce } from '../docker/run-once.ts';
import type { DockerService } from '../docker/service.ts';
import type { ShipService } from '../deploy/index.ts';
import { liveApi } from '../deploy/service.ts';
import { DeployStore } from '../deploy/store.ts';
import { BUILDER_DATA } from '../proxy/driver.ts';
import { DEFAULT_IMAGES, resolveImage } from '../proxy/images.ts';
import { SHIP_IMAGE_MAPPING } from '../proxy/service.ts';
import { MANIFESTS, MAX_DEPTH, MAX_FILES, SKIP, summariseRepo, summaryOf, type RepoSummary } from './context.ts';
import REPO_SCRIPT from './repo-read.sh?raw';

/** What the assistant knows of an app (no secrets). */
export interface AppInfo {
  id: string;
  name: string;
  serverId: string;
  source: { kind: 'git'; url: string; branch: string } | { kind: 'upload'; path: string };
  dockerfile: string;
  dockerfileOverride: DockerfileOverride | null;
  lastDeploy: { id: string; status: string; step: string; error: string | null } | null;
}

export interface DeployInfo {
  id: string;
  appId: string;
  serverId: string;
  status: string;
  step: string;
  error: string | null;
  log: string;
}

/** The assistant's view of apps and deploys (implemented over the Ship service in app.ts). */
export interface AppAccess {
  app(appId: string): AppInfo;
  /** The app's repository as the next deploy would see it: fetched on its server (git) or read locally (upload). */
  repo(appId: string, signal: AbortSignal): Promise<RepoSummary>;
  /** Stores (or clears) the app's Dockerfile override: the next deploy builds with it. */
  setDockerfileOverride(appId: string, override: DockerfileOverride | null): Promise<void>;
  deploy(deployId: string): DeployInfo;
}

const MAX_BYTES = 20_000;

/** Reads the output of repo-read.sh. */
export function parseRepoOutput(out: Buffer): { commit: string; files: string[]; truncated: boolean; contents: Map<string, string> } {
  const text = (from: number, to: number) => out.subarray(from, to).toString('utf8');
  const filesAt = out.indexOf('@@FILES\n');
  const endAt = out.indexOf('@@END\n');
  if (filesAt < 0 || endAt < filesAt) throw new Error('the repository listing was incomplete');
  const commit = /@@COMMIT ([0-9a-f]+)/.exec(text(0, filesAt))?.[1] ?? '';
  const listed = text(filesAt + 8, endAt).split('\n').filter(Boolean);
  const truncated = listed.length > MAX_FILES;
  const contents = new Map<string, string>();
  let i = endAt + 6;
  for (let n = 0; n < 100 && i < out.length; n++) {
    const nl = out.indexOf('\n', i);
    if (nl < 0) break;
    const m = /^@@FILE (\d+) (.+)$/.exec(text(i, nl));
    if (!m) break;
    const bytes = Number(m[1]);
    contents.set(m[2]!, text(nl + 1, nl + 1 + bytes));
    i = nl + 1 + bytes + 1;
  }
  return { commit, files: listed.slice(0, MAX_FILES), truncated, contents };
}

/**
 * Clones the branch in a throwaway container of the deploy builder image on the app's server (host network, like
 * the deploy job) and reads the summary's files (repo-read.sh). Nothing stays on the server: the container (and
 * its clone) is removed afterwards. Values reach the script in OP_* variables only.
 */
export async function fetchRepoOnServer(
  api: Docker,
  opts: { image: string; dataDir: string; url: string; branch: string; deployKey: string | null; dockerfile: string; timeoutMs: number; signal: AbortSignal },
): Promise<{ commit: string; files: string[]; truncated: boolean; contents: Map<string, string> }> {
  const env = {
    OP_GIT_URL: opts.url,
    OP_GIT_BRANCH: opts.branch,
    OP_DEPLOY_KEY: opts.deployKey ?? '',
    OP_DOCKERFILE: opts.dockerfile,
    OP_MANIFESTS: MANIFESTS.join(' '),
    OP_SKIP: [...SKIP].join(' '),
    OP_MAX_DEPTH: String(MAX_DEPTH),
    OP_MAX_FILES: String(MAX_FILES),
    OP_MAX_BYTES: String(MAX_BYTES),
  };
  const what = 'fetching the repository on the server';
  const spec = {
    name: `openpanel-ai-repo-${randomBytes(6).toString('hex')}`,
    Image: opts.image,
    Entrypoint: ['sh', '-c', REPO_SCRIPT],
    Cmd: [],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: { ...MANAGED, [LABELS.assistant]: 'repository' },
    HostConfig: { NetworkMode: 'host', Binds: [`${opts.dataDir}:${BUILDER_DATA}`] },
  };
  const r = await runOnce(api, spec, { what, timeoutMs: opts.timeoutMs, signal: opts.signal, detail: (res) => res.stderr.toString('utf8').trim().slice(-500) });
  return parseRepoOutput(r.stdout);
}

/** AppAccess over the Ship service: apps from SQLite, repositories fetched through the server's Docker API. */
export function shipAppAccess(deps: { db: Db; ship: ShipService; docker: DockerService; serverName(id: string): string }): AppAccess {
  const store = new DeployStore(deps.db);
  const info = (appId: string): AppInfo => {
    const a = deps.ship.apps.get(appId);
    const source = a.source.kind === 'git' ? { kind: 'git' as const, url: a.source.url, branch: a.source.branch } : { kind: 'upload' as const, path: a.source.path };
    const last = a.lastDeploy ? { id: a.lastDeploy.id, status: a.lastDeploy.status, step: a.lastDeploy.step, error: a.lastDeploy.error } : null;
    return { id: a.id, name: a.name, serverId: a.serverId, source, dockerfile: a.dockerfile, dockerfileOverride: a.dockerfileOverride ?? null, lastDeploy: last };
  };
  return {
    app: info,
    async repo(appId, signal) {
      const a = info(appId);
      if (a.source.kind === 'upload') {
        return summariseRepo(a.source.path, a.dockerfile).catch((e: unknown) => {
          throw new AppError('NOT_FOUND', `source.path: the app's folder cannot be read: ${errorMessage(e)}`);
        });
      }
      const settings = deps.ship.settings.get(a.serverId);
      const image = resolveImage(DEFAULT_IMAGES.builder, settings.imageOverrides);
      const api = await liveApi(deps.docker, a.serverId);
      await ensureImage(api, image, SHIP_IMAGE_MAPPING);
      const { deployKey } = await deps.ship.apps.secretsOf(store.app(appId));
      const r = await fetchRepoOnServer(api, { image, dataDir: settings.dataDir, url: a.source.url, branch: a.source.branch, deployKey, dockerfile: a.dockerfile, timeoutMs: 120_000, signal });
      const root = `git ${a.source.url}, branch ${a.source.branch}, commit ${r.commit.slice(0, 12)}, fetched on server "${deps.serverName(a.serverId)}"`;
      return summaryOf(root, r.files, r.truncated, r.contents, a.dockerfile);
    },
    async setDockerfileOverride(appId, override) {
      await deps.ship.apps.update({ id: appId, dockerfileOverride: override });
    },
    deploy(deployId) {
      const dep = deps.ship.deploys.get(deployId);
      return { id: dep.id, appId: dep.appId, serverId: dep.serverId, status: dep.status, step: dep.step, error: dep.error, log: deps.ship.deploys.log(deployId) };
    },
  };
}
