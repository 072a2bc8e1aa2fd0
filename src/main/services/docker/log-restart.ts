import type { DockerClient } from './client.ts';
import { followDockerEvents, type DockerEvent } from './events.ts';

export interface RunAnchor {
  /** Engine time (ms) from which to look for the container's events. */
  sinceMs: number;
  /** Whether the run being followed must die before a start counts (false when it had already stopped). */
  running: boolean;
}

export interface NextRun {
  /** Engine time (ms) of the die that ended the followed run: the new run's lines all come after it. */
  diedAt: number;
  /** Engine time (ms) of the new run's start. */
  startedAt: number;
}

/**
 * Waits, on the engine's event stream (resumed across drops), for the container's next run: its die (unless it
 * had already stopped) and then a start. Null once the container is destroyed, or when `signal` aborts.
 */
export async function awaitNextRun(client: DockerClient, containerId: string, anchor: RunAnchor, signal: AbortSignal): Promise<NextRun | null> {
  let diedAt: number | null = anchor.running ? null : anchor.sinceMs;
  const sinceNano = (BigInt(Math.max(0, Math.floor(anchor.sinceMs))) * 1_000_000n).toString();
  for await (const item of followDockerEvents(() => Promise.resolve(client), { signal, sinceNano, endOnPermanent: true })) {
    if ('kind' in item) continue;
    const ev: DockerEvent = item;
    if (ev.type !== 'container' || ev.id !== containerId) continue;
    if (ev.action === 'destroy') return null;
    if (ev.action === 'die') diedAt = ev.time;
    else if (ev.action === 'start' && diedAt !== null) return { diedAt, startedAt: ev.time };
  }
  return null;
}
