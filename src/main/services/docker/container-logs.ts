import type Docker from 'dockerode';
import { demuxLogs, demuxStreams } from './demux.ts';

export interface ContainerLogText {
  stdout: Buffer;
  stderr: Buffer;
  /** Both streams as one text, in the order written (what `docker logs` prints). */
  output: string;
}

/**
 * What a container wrote so far (not following), the last `tail` lines when given: for error messages and
 * context. Live logs go through docker/logs.ts.
 */
export async function readContainerLogs(api: Docker, id: string, tail?: number): Promise<ContainerLogText> {
  const raw = (await api.getContainer(id).logs({ stdout: true, stderr: true, follow: false, ...(tail === undefined ? {} : { tail }) })) as unknown as Buffer | string;
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
  return { ...demuxStreams(buf), output: demuxLogs(buf) };
}
