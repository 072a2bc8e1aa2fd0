import type Docker from 'dockerode';
import type { CertificateReport, ProxyDriverName, ProxyStatus, ShipSettings } from '../../../shared/contract/proxy.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { readContainerLogs } from '../docker/container-logs.ts';
import { dockerError, isDockerNotFound, isDockerNotModified } from '../docker/errors.ts';
import { ensureImage as ensureDockerImage } from '../docker/images.ts';
import { LABELS } from '../docker/labels.ts';
import { ensureNetwork as ensureDockerNetwork } from '../docker/networks.ts';
import type { DockerService } from '../docker/service.ts';
import { acmeErrors, CADDY_CERT_DIR, caddyCertificates, certificateReport, type ServedDomain, TRAEFIK_ACME_FILE, traefikCertificates, untar } from './certificates.ts';
import { PROXY_CONTAINER, PROXY_NETWORK, proxyDriver } from './driver.ts';
import { DEFAULT_IMAGES, resolveImage } from './images.ts';
import type { ShipSettingsStore } from './settings.ts';

/** Where a proxy, builder or receiver image is mapped to a mirror or a local one (named when a pull fails). */
export const SHIP_IMAGE_MAPPING = { mapping: 'the image overrides' };

/** Makes sure `ref` is on the server: a local image (e.g. an override to a locally built one) or a pull. */
export function ensureImage(api: Docker, ref: string): Promise<void> {
  return ensureDockerImage(api, ref, SHIP_IMAGE_MAPPING);
}

export function ensureNetwork(api: Docker): Promise<void> {
  return ensureDockerNetwork(api, PROXY_NETWORK, { [LABELS.network]: 'proxy' });
}

/** Name the current proxy container is given while its replacement starts (kept until the new one runs). */
export const PROXY_PREVIOUS = 'openpanel-proxy-previous';
/** How long a new proxy container must keep running (no exit, no restart) to count as started. */
const SETTLE_MS = 2000;

/** The reverse proxy of each server: one container on the dedicated network, driver chosen per server. */
export class ProxyService {
  private readonly docker: DockerService;
  private readonly settings: ShipSettingsStore;
  private readonly dockerSocket: (serverId: string) => Promise<string>;
  private readonly domains: (serverId: string) => ServedDomain[];
  /** One install/upgrade at a time per server (both move the container aside). */
  private readonly busy = new Set<string>();

  constructor(docker: DockerService, settings: ShipSettingsStore, dockerSocket: (serverId: string) => Promise<string>, domains: (serverId: string) => ServedDomain[] = () => []) {
    this.docker = docker;
    this.settings = settings;
    this.dockerSocket = dockerSocket;
    this.domains = domains;
  }

  imageFor(s: ShipSettings): string {
    return resolveImage(s.proxyImages[s.driver] ?? DEFAULT_IMAGES[s.driver], s.imageOverrides);
  }

  async status(serverId: string): Promise<ProxyStatus> {
    const s = this.settings.get(serverId);
    const api = await this.docker.api(serverId);
    const base = { serverId, driver: s.driver, image: this.imageFor(s), network: PROXY_NETWORK, config: proxyDriver(s.driver).config(s) };
    try {
      const info = await api.getContainer(PROXY_CONTAINER).inspect();
      return { ...base, installed: true, running: info.State.Running, containerId: info.Id, containerImage: info.Config.Image, status: info.State.Status };
    } catch (e) {
      if (!isDockerNotFound(e)) throw dockerError(e, 'proxy container');
      return { ...base, installed: false, running: false, containerId: null, containerImage: null, status: null };
    }
  }

  /** Install or reinstall with the current settings (same safe replacement as an upgrade). */
  async install(serverId: string): Promise<ProxyStatus> {
    await this.exclusive(serverId, () => this.replace(serverId, this.settings.get(serverId)));
    return this.status(serverId);
  }

  /**
   * Upgrade: the proxy of the current driver gets `image` (or is recreated with the configured one). The setting is
   * saved only once the new container runs; if it does not, the previous container is started again.
   */
  async upgrade(serverId: string, image?: string): Promise<ProxyStatus & { previousImage: string | null }> {
    const previousImage = await this.exclusive(serverId, async () => {
      const s = this.settings.get(serverId);
      const next: ShipSettings = image ? { ...s, proxyImages: { ...s.proxyImages, [s.driver]: image } } : s;
      const prev = await this.replace(serverId, next);
      if (image) await this.settings.update(serverId, { proxyImages: next.proxyImages });
      return prev;
    });
    return { ...(await this.status(serverId)), previousImage };
  }

  private async exclusive<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy.has(serverId)) throw new AppError('CONFLICT', 'serverId: the proxy of this server is being installed or upgraded already');
    this.busy.add(serverId);
    try {
      return await fn();
    } finally {
      this.busy.delete(serverId);
    }
  }

  /**
   * Replaces the proxy container: the network and the image first (nothing touched if they fail), then the
   * current container is renamed aside and stopped (it holds ports 80/443), the new one is created and must stay
   * running for SETTLE_MS; then the old one is removed. If the new one fails, it is removed and the old one gets
   * its name back and is started again. Certificates and config are bind mounts of the data dir: both see them.
   * Returns the previous container's image (null when there was none).
   */
  private async replace(serverId: string, s: ShipSettings): Promise<string | null> {
    const driver = proxyDriver(s.driver);
    const api = await this.docker.api(serverId);
    const image = this.imageFor(s);
    await ensureNetwork(api);
    await ensureImage(api, image);
    const spec = driver.container({ settings: s, image, dockerSocket: await this.dockerSocket(serverId), dnsEnv: await this.settings.dnsEnv(serverId) });

    const current = await inspectOrNull(api, PROXY_CONTAINER);
    const leftover = await inspectOrNull(api, PROXY_PREVIOUS);
    // A leftover of an interrupted replacement: when a proxy container exists, the leftover is obsolete; otherwise it
    // is the last proxy that ran, and it plays the old container's part.
    if (leftover && current) await api.getContainer(leftover.Id).remove({ force: true }).catch(() => undefined);
    const old = current ?? leftover;
    const oldRunning = !!old && (old.State.Running || (!current && !!leftover));
    if (old) {
      try {
        if (current) await api.getContainer(old.Id).rename({ name: PROXY_PREVIOUS });
        if (old.State.Running) await api.getContainer(old.Id).stop({ t: 5 });
      } catch (e) {
        if (!isDockerNotModified(e)) throw dockerError(e, 'moving the current proxy aside');
      }
    }
    let createdId: string | null = null;
    try {
      const c = await api.createContainer(spec);
      createdId = c.id;
      await c.start();
      await settle(api, c.id);
    } catch (e) {
      const output = createdId ? await containerLogs(api, createdId, 20).catch(() => '') : '';
      if (createdId) await api.getContainer(createdId).remove({ force: true }).catch(() => undefined);
      let restored = '';
      if (old) {
        try {
          await api.getContainer(old.Id).rename({ name: PROXY_CONTAINER });
          if (oldRunning) await api.getContainer(old.Id).start();
          restored = `; the previous proxy (${old.Config.Image}) was ${oldRunning ? 'started again' : 'put back'}`;
        } catch (err) {
          restored = `; putting the previous proxy back failed too: ${errorMessage(err)}`;
        }
      }
      const why = e instanceof AppError ? e.message : dockerError(e, 'start').message;
      throw new AppError('REMOTE_COMMAND_FAILED', `the ${s.driver} proxy (${image}) did not start: ${why}${restored}${output.trim() ? `. Its output:\n${output.trim()}` : ''}`);
    }
    if (old) await api.getContainer(old.Id).remove({ force: true }).catch(() => undefined);
    return old?.Config.Image ?? null;
  }

  async restart(serverId: string): Promise<ProxyStatus> {
    const api = await this.docker.api(serverId);
    try {
      await api.getContainer(PROXY_CONTAINER).restart({ t: 5 });
    } catch (e) {
      if (isDockerNotFound(e)) throw new AppError('NOT_FOUND', 'serverId: the proxy is not installed on this server');
      throw dockerError(e, 'restarting the proxy');
    }
    return this.status(serverId);
  }

  async remove(serverId: string): Promise<boolean> {
    const api = await this.docker.api(serverId);
    try {
      await api.getContainer(PROXY_CONTAINER).remove({ force: true });
      return true;
    } catch (e) {
      if (isDockerNotFound(e)) return false;
      throw dockerError(e, 'removing the proxy');
    }
  }

  async logs(serverId: string, tail: number): Promise<string> {
    const api = await this.docker.api(serverId);
    try {
      return await containerLogs(api, PROXY_CONTAINER, tail);
    } catch (e) {
      if (isDockerNotFound(e)) throw new AppError('NOT_FOUND', 'serverId: the proxy is not installed on this server');
      throw dockerError(e, 'proxy logs');
    }
  }

  /**
   * Every certificate the proxy holds, read through the Docker API from the proxy container's data (a bind mount of
   * the data dir; works while it is stopped): Caddy's `certificates/<issuer>/<name>/<name>.crt` (only `.crt` files
   * are kept from the archive; keys are skipped unread) or Traefik's `acme.json` (its keys are dropped with the
   * parsed JSON). Nothing is stored or logged. Errors come from the last 5000 lines of the proxy's log.
   */
  async certificates(serverId: string, now = Date.now()): Promise<CertificateReport> {
    const s = this.settings.get(serverId);
    const api = await this.docker.api(serverId);
    const domains = this.domains(serverId);
    const info = await inspectOrNull(api, PROXY_CONTAINER);
    if (!info) return certificateReport({ serverId, driver: s.driver, certificates: [], domains, errors: [], now, note: 'the proxy is not installed on this server' });
    const driver: ProxyDriverName = info.Config.Labels?.[LABELS.proxy] === 'caddy' ? 'caddy' : 'traefik';
    const container = api.getContainer(info.Id);
    const path = driver === 'caddy' ? CADDY_CERT_DIR : TRAEFIK_ACME_FILE;
    let files: { name: string; data: Buffer }[] = [];
    try {
      const tar = await readStream(await container.getArchive({ path }), 64 * 1024 * 1024);
      files = untar(tar, driver === 'caddy' ? (n) => n.endsWith('.crt') : (n) => n.endsWith('acme.json'));
    } catch (e) {
      if (!isDockerNotFound(e)) throw dockerError(e, `reading ${path} in the proxy container`);
    }
    const certificates = driver === 'caddy' ? caddyCertificates(files) : files.flatMap((f) => traefikCertificates(f.data.toString('utf8')));
    const errors = acmeErrors(await containerLogs(api, info.Id, 5000).catch(() => ''));
    const note = driver !== s.driver ? `the running proxy is ${driver}; the settings say ${s.driver} (reinstall to switch)` : null;
    return certificateReport({ serverId, driver, certificates, domains, errors, now, note });
  }
}

async function inspectOrNull(api: Docker, name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await api.getContainer(name).inspect();
  } catch (e) {
    if (isDockerNotFound(e)) return null;
    throw dockerError(e, `container ${name}`);
  }
}

/** Resolves once the container has run SETTLE_MS without exiting or restarting; throws with its exit otherwise. */
async function settle(api: Docker, id: string): Promise<void> {
  const until = Date.now() + SETTLE_MS;
  for (let i = 0; i < 100; i++) {
    const st = (await api.getContainer(id).inspect()).State;
    if (!st.Running || st.Restarting) throw new AppError('REMOTE_COMMAND_FAILED', `it exited with code ${st.ExitCode}${st.Error ? ` (${st.Error})` : ''}`);
    if (Date.now() >= until) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function containerLogs(api: Docker, id: string, tail: number): Promise<string> {
  return (await readContainerLogs(api, id, tail)).output;
}

function readStream(stream: NodeJS.ReadableStream, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
        reject(new AppError('REMOTE_COMMAND_FAILED', `the proxy's certificate storage is larger than ${max} bytes`));
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

