import type { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { DockerClient } from '../docker/client.ts';
import { isDockerNotFound } from '../docker/errors.ts';
import { execInContainer } from '../docker/exec.ts';
import { parseRead, READ_SCRIPT, type JobRead } from './read.ts';
import type { JobState } from './state.ts';
import type { JobReader } from './tracker.ts';

export interface InContainerReaderOpts<S extends JobState> {
  client: DockerClient;
  /** The running container that sees the job dir (e.g. in a named volume the SSH user may not read). */
  container: string;
  /** The job dir as that container sees it. */
  dir: string;
  schema: z.ZodType<S>;
  /** Names the job in errors: "the backup run of db1". */
  what: string;
  /** Whether the job's runner is still there (an exec in the container: `execRunning`). */
  alive: () => Promise<boolean>;
}

/** Reads a job dir with the read script run inside a container (`docker exec`), not over the SSH user's shell. */
export function inContainerRead<S extends JobState>(opts: Omit<InContainerReaderOpts<S>, 'alive'>): (offset: number) => Promise<JobRead<S>> {
  return async (offset) => {
    const chunks: Buffer[] = [];
    const r = await execInContainer(opts.client, opts.container, ['sh', '-c', READ_SCRIPT, 'sh', opts.dir, String(offset)], { onStdout: (c) => chunks.push(c), maxCollect: 20_000 });
    if (r.code !== 0) throw new AppError('REMOTE_COMMAND_FAILED', `reading ${opts.what} failed (exit ${r.code}): ${r.stderr.trim().slice(-400)}`);
    return parseRead(Buffer.concat(chunks), opts.schema);
  };
}

/** A job read inside a container: its files through `inContainerRead`, its liveness as the caller says. */
export function inContainerReader<S extends JobState>(opts: InContainerReaderOpts<S>): JobReader<S> {
  return { read: inContainerRead(opts), alive: opts.alive };
}

/** Whether an exec (a job started with `docker exec -d`) still runs; one Docker no longer knows has ended. */
export async function execRunning(client: DockerClient, execId: string): Promise<boolean> {
  try {
    return !!(await client.api.getExec(execId).inspect()).Running;
  } catch (e) {
    if (isDockerNotFound(e)) return false;
    throw e;
  }
}
