import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { WatchRetention } from '../../../shared/contract/watch.ts';
import { MANAGED } from '../docker/labels.ts';
import { hostPort } from './config.ts';
import WRITE_CONFIG_SH from './write-config.sh?raw';
import { TEXTFILE_READ_DIR, WATCH_CONFIG_DIR, WATCH_CONFIG_MOUNT, WATCH_CONTAINERS, WATCH_FILES, WATCH_LABEL, WATCH_PORTS, WATCH_UID, WATCH_VOLUMES, type WatchPart } from './names.ts';

export const WRITE_CONFIG_SCRIPT = WRITE_CONFIG_SH;

/** Label holding a hash of a container's spec: a different hash means the container is recreated. */
export const SPEC_HASH_LABEL = 'openpanel.watch.hash';

const MB = 1024 * 1024;
/** Memory limits (the stack's target is <= 200 MB in use on a server with 10 apps; limits leave headroom). */
export const MEMORY_LIMITS: Record<Exclude<WatchPart, 'collector'>, number> = {
  prometheus: 512 * MB,
  alertmanager: 64 * MB,
  'node-exporter': 64 * MB,
  blackbox: 64 * MB,
};

export interface StackImages {
  prometheus: string;
  alertmanager: string;
  nodeExporter: string;
  blackbox: string;
}

export interface StackInput {
  images: StackImages;
  retention: WatchRetention;
  /** This server's private address when peers scrape its node-exporter (it then listens there too). */
  exposeAddress: string | null;
}

const labels = (extra: Record<string, string> = {}) => ({ ...MANAGED, [WATCH_LABEL]: '1', ...extra });
const cfg = (file: string) => `${WATCH_CONFIG_MOUNT}/${file}`;
const configBind = `${WATCH_CONFIG_DIR}:${WATCH_CONFIG_MOUNT}:ro`;

function host(memory: number, binds: string[], extra: Docker.HostConfig = {}): Docker.HostConfig {
  return { NetworkMode: 'host', RestartPolicy: { Name: 'unless-stopped' }, Memory: memory, Binds: binds, ...extra };
}

type Spec = Docker.ContainerCreateOptions & { name: string };

/** The create options of the four exporter/server containers (the collector's come from collector.ts). */
export function stackSpecs(input: StackInput): Record<Exclude<WatchPart, 'collector'>, Spec> {
  const { images, retention } = input;
  const nodeListen = [`--web.listen-address=127.0.0.1:${WATCH_PORTS.nodeExporter}`, ...(input.exposeAddress ? [`--web.listen-address=${hostPort(input.exposeAddress, WATCH_PORTS.nodeExporter)}`] : [])];
  return {
    'node-exporter': {
      name: WATCH_CONTAINERS['node-exporter'],
      Image: images.nodeExporter,
      User: String(WATCH_UID),
      // systemd: off in the official build, on in Debian's; it needs the host's D-Bus socket, which is not mounted.
      Cmd: ['--path.rootfs=/host', `--collector.textfile.directory=${TEXTFILE_READ_DIR}`, '--no-collector.systemd', ...nodeListen],
      Labels: labels(),
      // Not rslave: that needs / to be a shared mount, which hosts without systemd (and containers) do not have.
      HostConfig: host(MEMORY_LIMITS['node-exporter'], ['/:/host:ro', `${WATCH_VOLUMES.textfile}:${TEXTFILE_READ_DIR}:ro`], { PidMode: 'host' }),
    },
    blackbox: {
      name: WATCH_CONTAINERS.blackbox,
      Image: images.blackbox,
      User: String(WATCH_UID),
      Cmd: [`--config.file=${cfg(WATCH_FILES.blackbox)}`, `--web.listen-address=127.0.0.1:${WATCH_PORTS.blackbox}`],
      Labels: labels(),
      HostConfig: host(MEMORY_LIMITS.blackbox, [configBind]),
    },
    alertmanager: {
      name: WATCH_CONTAINERS.alertmanager,
      Image: images.alertmanager,
      User: String(WATCH_UID),
      // An empty cluster address turns off the HA gossip listener (else it binds 0.0.0.0:9094).
      Cmd: [`--config.file=${cfg(WATCH_FILES.alertmanager)}`, '--storage.path=/alertmanager', `--web.listen-address=127.0.0.1:${WATCH_PORTS.alertmanager}`, '--cluster.listen-address='],
      Labels: labels(),
      HostConfig: host(MEMORY_LIMITS.alertmanager, [configBind, `${WATCH_VOLUMES.alertmanagerData}:/alertmanager`]),
    },
    prometheus: {
      name: WATCH_CONTAINERS.prometheus,
      Image: images.prometheus,
      User: String(WATCH_UID),
      Cmd: [
        `--config.file=${cfg(WATCH_FILES.prometheus)}`,
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${retention.days}d`,
        `--storage.tsdb.retention.size=${retention.sizeMb}MB`,
        `--web.listen-address=127.0.0.1:${WATCH_PORTS.prometheus}`,
        '--web.enable-lifecycle',
        // Prometheus < 3.0 forgets its Alertmanagers for up to 5 s on each reload and drops what it sends meanwhile
        // (prometheus#13064): a new alert was then resent only after the default 1 min.
        '--rules.alert.resend-delay=5s',
      ],
      Labels: labels(),
      HostConfig: host(MEMORY_LIMITS.prometheus, [configBind, `${WATCH_VOLUMES.prometheusData}:/prometheus`]),
    },
  };
}

/** The spec with its hash label (the hash covers everything but itself). */
export function withHash(spec: Spec): Spec {
  const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
  return { ...spec, Labels: { ...spec.Labels, [SPEC_HASH_LABEL]: hash } };
}

/** The one-off container that writes the config files (uploaded at /in) into the config dir, as root. */
export function configWriterSpec(image: string): Docker.ContainerCreateOptions {
  return {
    Image: image,
    User: '0',
    Entrypoint: ['sh', '-c', WRITE_CONFIG_SCRIPT],
    Cmd: [],
    Env: [`OP_UID=${WATCH_UID}`],
    Labels: labels(),
    HostConfig: { NetworkMode: 'none', Binds: [`${WATCH_CONFIG_DIR}:/w`] },
  };
}
