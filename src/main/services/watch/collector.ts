import type Docker from 'dockerode';
import { AppError } from '../core/errors.ts';
import { MANAGED } from '../docker/labels.ts';
import COLLECTOR_SH from './collector.sh?raw';
import { TEXTFILE_WRITE_DIR, WATCH_CONTAINERS, WATCH_LABEL, WATCH_VOLUMES } from './names.ts';

/** The collector loop (collector.sh), run by `sh -c` in the builder image; values come in OP_* variables. */
export const COLLECTOR_SCRIPT = COLLECTOR_SH;

export const COLLECTOR_DEFAULT_INTERVAL = 15;
/** Room for the docker CLI it starts each interval (the loop itself idles at ~3 MB, measured on a test server). */
export const COLLECTOR_MEMORY_BYTES = 64 * 1024 * 1024;

export interface CollectorOpts {
  /** The builder image (docker:27-cli) as mapped for this server. */
  image: string;
  intervalSeconds?: number;
  /** The engine's socket on the server (the same one the builders get). */
  dockerSocket?: string;
}

/**
 * The create options of the Watch container collector: containers.prom in the textfile volume every
 * `intervalSeconds` (restart count, running, health per container, and its own heartbeat).
 */
export function collectorContainerSpec(opts: CollectorOpts): Docker.ContainerCreateOptions & { name: string } {
  const interval = opts.intervalSeconds ?? COLLECTOR_DEFAULT_INTERVAL;
  if (!Number.isInteger(interval) || interval < 1 || interval > 3600) {
    throw new AppError('INPUT_INVALID', `intervalSeconds: expected a whole number of seconds from 1 to 3600, got ${String(interval)}`);
  }
  if (!opts.image.trim()) throw new AppError('INPUT_INVALID', 'image: expected the builder image name, got an empty string');
  return {
    name: WATCH_CONTAINERS.collector,
    Image: opts.image,
    Entrypoint: ['sh', '-c', COLLECTOR_SCRIPT],
    Cmd: [],
    Env: [`OP_INTERVAL=${interval}`, `OP_METRICS_DIR=${TEXTFILE_WRITE_DIR}`],
    Labels: { ...MANAGED, [WATCH_LABEL]: '1' },
    HostConfig: {
      NetworkMode: 'host',
      RestartPolicy: { Name: 'unless-stopped' },
      Memory: COLLECTOR_MEMORY_BYTES,
      ReadonlyRootfs: true,
      Binds: [`${opts.dockerSocket ?? '/var/run/docker.sock'}:/var/run/docker.sock`, `${WATCH_VOLUMES.textfile}:${TEXTFILE_WRITE_DIR}`],
    },
  };
}
