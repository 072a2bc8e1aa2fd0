import type Docker from 'dockerode';
import type { AppContainer, AppRouteCheck, AppRuntime } from '../../../shared/contract/apps.ts';
import { withTimeout } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { dockerError, isDockerNotModified } from '../docker/errors.ts';
import { LABELS } from '../docker/labels.ts';
import { containerName } from '../docker/names.ts';
import type { DockerService } from '../docker/service.ts';
import type { ShipSettingsStore } from '../proxy/settings.ts';
import type { ConnectionPool } from '../ssh/pool.ts';
import { composeOf, composeProject } from './compose.ts';
import { guarded, liveApi } from './service.ts';
import { toDeploy, type DeployStore } from './store.ts';

export interface AppRuntimeDeps {
  store: DeployStore;
  docker: DockerService;
  pool: ConnectionPool;
  settings: ShipSettingsStore;
}

/** A container of the app as listed: the live one is chosen among these. */
export interface LiveRef {
  id: string;
  running: boolean;
}

const ROUTE_TIMEOUT_MS = 5_000;

/** Docker's zero time ("0001-01-01T00:00:00Z") means never. */
function time(s: string | undefined): number | null {
  const t = s ? Date.parse(s) : NaN;
  return Number.isFinite(t) && t > 0 ? t : null;
}

/**
 * What an app runs now, read from Docker at each call: its live container is found by its labels (container names
 * change with each deploy), so state, logs and actions follow the app across deploys.
 */
export class AppRuntimeService {
  private readonly deps: AppRuntimeDeps;

  constructor(deps: AppRuntimeDeps) {
    this.deps = deps;
  }

  /** The app's server, checking that the app exists (and, when given, that it is on that server). */
  serverOf(appId: string, serverId?: string): string {
    const row = this.deps.store.app(appId);
    if (serverId && row.serverId !== serverId) throw new AppError('INPUT_INVALID', `appId: the app ${row.name} is on another server`);
    return row.serverId;
  }

  /** The live container: running before stopped, then the newest; for a Compose app, its routed service's. */
  async live(appId: string): Promise<LiveRef | null> {
    const row = this.deps.store.app(appId);
    const compose = composeOf(this.deps.store.config(row));
    const label = compose
      ? [`com.docker.compose.project=${composeProject(this.deps.store.config(row))}`, `com.docker.compose.service=${compose.service}`]
      : [`${LABELS.app}=${appId}`];
    const api = await liveApi(this.deps.docker, row.serverId);
    const list = await guarded(this.deps.docker, row.serverId, 'listing the app containers', () => api.listContainers({ all: true, filters: { label } }), 15_000);
    const best = list.sort((a, b) => Number(b.State === 'running') - Number(a.State === 'running') || b.Created - a.Created)[0];
    return best ? { id: best.Id, running: best.State === 'running' } : null;
  }

  async runtime(appId: string): Promise<AppRuntime> {
    const row = this.deps.store.app(appId);
    const ref = await this.live(appId);
    const api = await liveApi(this.deps.docker, row.serverId);
    const container = ref ? await this.inspect(api, row.serverId, ref.id) : null;
    const liveRow = container?.deployId && this.deps.store.hasDeploy(container.deployId) ? this.deps.store.deploy(container.deployId) : null;
    const live = liveRow && liveRow.appId === appId ? toDeploy(liveRow, false) : null;
    const routes = container?.state === 'running' ? await this.checkRoutes(row.serverId, appId) : this.unchecked(appId, 'the app is not running');
    return { container, live, liveSince: live?.finishedAt ?? container?.startedAt ?? null, routes, checkedAt: Date.now() };
  }

  /** Start, stop or restart the live container as found now; answers with the runtime afterwards. */
  async control(appId: string, action: 'start' | 'stop' | 'restart'): Promise<AppRuntime> {
    const row = this.deps.store.app(appId);
    const ref = await this.live(appId);
    if (!ref) throw new AppError('NOT_FOUND', `id: ${row.name} has no container on its server (deploy it first)`);
    const api = await liveApi(this.deps.docker, row.serverId);
    const c = api.getContainer(ref.id);
    await guarded(this.deps.docker, row.serverId, `${action} of ${row.name}`, async () => {
      try {
        if (action === 'start') await c.start();
        else if (action === 'stop') await c.stop({ t: 10 });
        else await c.restart({ t: 10 });
      } catch (e) {
        if (!isDockerNotModified(e)) throw dockerError(e, `${action} of ${row.name}`);
      }
    }, 60_000);
    return this.runtime(appId);
  }

  private async inspect(api: Docker, serverId: string, id: string): Promise<AppContainer | null> {
    try {
      const i = await guarded(this.deps.docker, serverId, 'inspecting the app container', () => api.getContainer(id).inspect(), 15_000);
      const h = i.State.Health?.Status;
      return {
        id: i.Id,
        name: containerName(i),
        state: i.State.Status,
        health: h === 'healthy' || h === 'unhealthy' || h === 'starting' ? h : 'none',
        startedAt: time(i.State.StartedAt),
        finishedAt: time(i.State.FinishedAt),
        exitCode: i.State.Running ? null : i.State.ExitCode,
        restartCount: i.RestartCount ?? 0,
        deployId: i.Config?.Labels?.[LABELS.deploy] ?? null,
      };
    } catch (e) {
      if (dockerError(e, id).code === 'NOT_FOUND') return null; // removed between the list and the inspect
      throw e;
    }
  }

  private unchecked(appId: string, why: string): AppRouteCheck[] {
    return this.deps.store.config(this.deps.store.app(appId)).domains.map((d) => ({ url: `${d.tls ? 'https' : 'http'}://${d.host}`, host: d.host, status: null, error: why }));
  }

  /** Each domain asked through the server's proxy: HTTP on its port (from the server itself, over SSH), Host = the domain. */
  private async checkRoutes(serverId: string, appId: string): Promise<AppRouteCheck[]> {
    const config = this.deps.store.config(this.deps.store.app(appId));
    const port = this.deps.settings.get(serverId).httpPort;
    const conn = await this.deps.pool.acquire(serverId);
    return Promise.all(
      config.domains.map(async (d) => {
        const url = `${d.tls ? 'https' : 'http'}://${d.host}`;
        try {
          const status = await withTimeout(httpStatus(() => conn.forwardOut('127.0.0.1', port), d.host, config.health.path), ROUTE_TIMEOUT_MS, `the proxy answering ${d.host}`);
          return { url, host: d.host, status, error: null };
        } catch (e) {
          return { url, host: d.host, status: null, error: errorMessage(e) };
        }
      }),
    );
  }
}

/** The status of one HTTP/1.1 GET written on a channel to the proxy (only the status line is read). */
async function httpStatus(open: () => Promise<NodeJS.ReadWriteStream & { close?: () => void }>, host: string, path: string): Promise<number> {
  const ch = await open();
  return new Promise<number>((resolve, reject) => {
    let head = '';
    const done = (fn: () => void) => {
      ch.removeAllListeners('data');
      ch.end();
      fn();
    };
    ch.on('data', (b: Buffer) => {
      head += b.toString('latin1');
      const line = head.split('\r\n', 1)[0]!;
      if (head.includes('\r\n') || head.length > 4096) {
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(line);
        done(() => (m ? resolve(Number(m[1])) : reject(new Error(`not an HTTP answer: ${line.slice(0, 80)}`))));
      }
    });
    ch.once('error', (e: Error) => done(() => reject(e)));
    ch.once('close', () => reject(new Error('the proxy closed the connection without an answer')));
    ch.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: OpenPanel route check\r\nConnection: close\r\n\r\n`);
  });
}
