import type Docker from 'dockerode';
import type { z } from 'zod';
import { within } from '../core/async.ts';
import { demuxStreams } from '../docker/demux.ts';
import { isDockerNotFound } from '../docker/errors.ts';
import type { SshConnection } from '../ssh/connection.ts';
import { sshRead } from './read.ts';
import type { JobState } from './state.ts';
import type { JobReader } from './tracker.ts';

/** A job run by `sh -c <script>` in a detached container that removes itself when the script ends. */
export interface ContainerJobOpts {
  name: string;
  image: string;
  /** A constant script: every value arrives in `env`. */
  script: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  binds: string[];
}

/** The container's create options (in the host's network namespace, auto-removed). */
export function containerJobSpec(opts: ContainerJobOpts): Docker.ContainerCreateOptions & { name: string } {
  return {
    name: opts.name,
    Image: opts.image,
    Entrypoint: ['sh', '-c', opts.script],
    Cmd: [],
    Env: Object.entries(opts.env).map(([k, v]) => `${k}=${v}`),
    Labels: opts.labels,
    HostConfig: { NetworkMode: 'host', AutoRemove: true, Binds: opts.binds },
  };
}

/** The container's stderr, once its stream ended (the container exited); null when the stream broke first (link cut). */
export type ContainerStderr = Promise<string | null>;

/**
 * Creates and starts the job's container; from here on the job lives on the server. `upload`: a tar put at / before
 * the start. With `attach` (the Docker API for long streams) the container's stderr is followed from before its
 * start, as `docker run` does: a job that cannot write its files says why there; `stderr` gives that text once the
 * stream ends.
 */
export async function startContainerJob(api: Docker, spec: Docker.ContainerCreateOptions, opts: { upload: Buffer | null; attach?: Docker }): Promise<{ stderr: ContainerStderr | null }> {
  const c = await api.createContainer(spec);
  try {
    const stderr = opts.attach ? (await followStderr(opts.attach, c.id)).ended : null;
    if (opts.upload) await c.putArchive(opts.upload, { path: '/' });
    await c.start();
    return { stderr };
  } catch (e) {
    await c.remove({ force: true }).catch(() => undefined);
    throw e;
  }
}

// The text's promise comes wrapped: awaiting a bare one would wait for the container's end.
async function followStderr(streams: Docker, id: string): Promise<{ ended: ContainerStderr }> {
  const stream = (await streams.getContainer(id).attach({ stream: true, stdout: false, stderr: true, logs: false })) as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  const text = () => demuxStreams(Buffer.concat(chunks)).stderr.toString('utf8');
  return {
    ended: new Promise((resolve) => {
      stream.once('end', () => resolve(text()));
      stream.once('close', () => resolve(text()));
      stream.once('error', () => resolve(null));
    }),
  };
}

export interface ContainerReaderOpts<S extends JobState> {
  conn: () => Promise<SshConnection>;
  /** Docker calls for this server (bounded by the caller). */
  docker: <T>(call: (api: Docker) => Promise<T>) => Promise<T>;
  /** The job dir as the host sees it. */
  dir: string;
  container: string;
  schema: z.ZodType<S>;
  stderr?: ContainerStderr | null;
}

/** Reads a container job's files over SSH; its liveness is the container's, its last words its stderr. */
export function containerReader<S extends JobState>(opts: ContainerReaderOpts<S>): JobReader<S> {
  const stderr = opts.stderr ?? null;
  return {
    read: sshRead({ conn: opts.conn, dir: opts.dir, schema: opts.schema }),
    async exitReason() {
      if (!stderr) return null;
      const text = await within(stderr, 5_000);
      const reason = text?.split('\n').map((l) => l.replace(/^!! /, '').trim()).filter(Boolean).pop();
      return reason ?? null;
    },
    async alive() {
      try {
        const info = await opts.docker((api) => api.getContainer(opts.container).inspect());
        return info.State.Running;
      } catch (e) {
        if (isDockerNotFound(e)) return false;
        throw e;
      }
    },
  };
}
