import type Docker from 'dockerode';
import type { ProxyStatus, ShipSettings } from '../../../shared/contract/proxy.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import type { DockerService } from '../docker/service.ts';
import { PROXY_CONTAINER, PROXY_NETWORK, proxyDriver } from './driver.ts';
import { DEFAULT_IMAGES, resolveImage } from './images.ts';
import type { ShipSettingsStore } from './settings.ts';

function statusCode(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

function dockerFailure(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e;
  const msg = (e as { json?: { message?: string } }).json?.message ?? errorMessage(e);
  return new AppError('REMOTE_COMMAND_FAILED', `${what}: ${msg}`);
}

/** Makes sure `ref` is on the server: a local image (e.g. an override to a locally built one) or a pull. */
export async function ensureImage(api: Docker, ref: string): Promise<void> {
  try {
    await api.getImage(ref).inspect();
    return;
  } catch (e) {
    if (statusCode(e) !== 404) throw dockerFailure(e, `image ${ref}`);
  }
  try {
    const stream = await api.pull(ref);
    await new Promise<void>((resolve, reject) => api.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    throw new AppError('REMOTE_COMMAND_FAILED', `image ${ref} is not on the server and cannot be pulled (${errorMessage(e)}); map it to a mirror or a local image in the image overrides`);
  }
}

export async function ensureNetwork(api: Docker): Promise<void> {
  try {
    await api.getNetwork(PROXY_NETWORK).inspect();
  } catch (e) {
    if (statusCode(e) !== 404) throw dockerFailure(e, `network ${PROXY_NETWORK}`);
    await api.createNetwork({ Name: PROXY_NETWORK, Driver: 'bridge', Labels: { 'openpanel.network': 'proxy' } }).catch((err: unknown) => {
      if (statusCode(err) !== 409) throw dockerFailure(err, `network ${PROXY_NETWORK}`);
    });
  }
}

/** The reverse proxy of each server: one container on the dedicated network, driver chosen per server. */
export class ProxyService {
  private readonly docker: DockerService;
  private readonly settings: ShipSettingsStore;
  private readonly dockerSocket: (serverId: string) => Promise<string>;

  constructor(docker: DockerService, settings: ShipSettingsStore, dockerSocket: (serverId: string) => Promise<string>) {
    this.docker = docker;
    this.settings = settings;
    this.dockerSocket = dockerSocket;
  }

  imageFor(s: ShipSettings): string {
    return resolveImage(DEFAULT_IMAGES[s.driver], s.imageOverrides);
  }

  async status(serverId: string): Promise<ProxyStatus> {
    const s = this.settings.get(serverId);
    const api = await this.docker.api(serverId);
    const base = { serverId, driver: s.driver, image: this.imageFor(s), network: PROXY_NETWORK, config: proxyDriver(s.driver).config(s) };
    try {
      const info = await api.getContainer(PROXY_CONTAINER).inspect();
      return { ...base, installed: true, running: info.State.Running, containerId: info.Id, status: info.State.Status };
    } catch (e) {
      if (statusCode(e) !== 404) throw dockerFailure(e, 'proxy container');
      return { ...base, installed: false, running: false, containerId: null, status: null };
    }
  }

  /** Install or upgrade: the network, the image, then a fresh container with the current settings. */
  async install(serverId: string): Promise<ProxyStatus> {
    const s = this.settings.get(serverId);
    const driver = proxyDriver(s.driver);
    const api = await this.docker.api(serverId);
    const image = this.imageFor(s);
    await ensureNetwork(api);
    await ensureImage(api, image);
    await this.removeContainer(api);
    const spec = driver.container({ settings: s, image, dockerSocket: await this.dockerSocket(serverId), dnsEnv: await this.settings.dnsEnv(serverId) });
    try {
      const c = await api.createContainer(spec);
      await c.start();
    } catch (e) {
      throw dockerFailure(e, `starting the ${s.driver} proxy`);
    }
    return this.status(serverId);
  }

  async restart(serverId: string): Promise<ProxyStatus> {
    const api = await this.docker.api(serverId);
    try {
      await api.getContainer(PROXY_CONTAINER).restart({ t: 5 });
    } catch (e) {
      if (statusCode(e) === 404) throw new AppError('NOT_FOUND', 'serverId: the proxy is not installed on this server');
      throw dockerFailure(e, 'restarting the proxy');
    }
    return this.status(serverId);
  }

  async remove(serverId: string): Promise<boolean> {
    return this.removeContainer(await this.docker.api(serverId));
  }

  private async removeContainer(api: Docker): Promise<boolean> {
    try {
      await api.getContainer(PROXY_CONTAINER).remove({ force: true });
      return true;
    } catch (e) {
      if (statusCode(e) === 404) return false;
      throw dockerFailure(e, 'removing the proxy');
    }
  }

  async logs(serverId: string, tail: number): Promise<string> {
    const api = await this.docker.api(serverId);
    try {
      const buf = (await api.getContainer(PROXY_CONTAINER).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
      return demux(buf);
    } catch (e) {
      if (statusCode(e) === 404) throw new AppError('NOT_FOUND', 'serverId: the proxy is not installed on this server');
      throw dockerFailure(e, 'proxy logs');
    }
  }
}

/** Docker's multiplexed log format (8-byte frame headers) to text. */
export function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  for (let guard = 0; i + 8 <= buf.length && guard < 1_000_000; guard++) {
    const len = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  return i === 0 && buf.length > 0 ? buf.toString('utf8') : Buffer.concat(out).toString('utf8');
}
