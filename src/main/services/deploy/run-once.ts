import type Docker from 'dockerode';
import { runOnce as runContainerOnce, type RunOnceOptions } from '../docker/run-once.ts';

/**
 * Moved to docker/run-once.ts. This wrapper (the combined output, as before) remains only while deploy/remove.ts,
 * reworked in parallel, still imports it at HEAD; it goes once that file is committed with the new import.
 */
export async function runOnce(api: Docker, spec: Docker.ContainerCreateOptions, opts: RunOnceOptions): Promise<string> {
  return (await runContainerOnce(api, spec, opts)).output;
}
