import type Docker from 'dockerode';
import type { WatchContainer } from '../../../shared/contract/watch.ts';
import { withTimeout } from '../core/async.ts';
import { dockerError, isDockerNotFound } from '../docker/errors.ts';
import { runOnce } from '../docker/run-once.ts';
import { tarball } from '../docker/tar.ts';
import { WATCH_CONTAINERS, WATCH_LABEL, WATCH_PARTS, WATCH_VOLUMES, type WatchPart } from './names.ts';
import { configWriterSpec, SPEC_HASH_LABEL } from './stack.ts';

/** Writes the config files (path under the config dir → text) through a one-off container: uploaded, never in argv or env. */
export async function writeConfigFiles(api: Docker, image: string, files: Record<string, string>, signal?: AbortSignal): Promise<void> {
  const dirs = [...new Set(Object.keys(files).filter((f) => f.includes('/')).map((f) => `in/${f.slice(0, f.lastIndexOf('/'))}`))];
  const entries = [{ name: 'in', mode: 0o700 }, ...dirs.map((name) => ({ name, mode: 0o700 })), ...Object.entries(files).map(([name, text]) => ({ name: `in/${name}`, mode: 0o600, data: Buffer.from(text) }))];
  await runOnce(api, configWriterSpec(image), { what: 'writing the Watch config on the server', timeoutMs: 60_000, upload: tarball(entries), ...(signal ? { signal } : {}) });
}

export async function inspectOrNull(api: Docker, name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await api.getContainer(name).inspect();
  } catch (e) {
    if (isDockerNotFound(e)) return null;
    throw dockerError(e, `container ${name}`);
  }
}

export async function ensureVolumes(api: Docker): Promise<void> {
  for (const name of Object.values(WATCH_VOLUMES)) {
    // Creating an existing volume returns it unchanged.
    await api.createVolume({ Name: name, Labels: { [WATCH_LABEL]: '1', 'dev.openpanel.managed': 'true' } }).catch((e: unknown) => Promise.reject(dockerError(e, `volume ${name}`)));
  }
}

/**
 * Makes the container match `spec`: kept when its hash label matches (started if stopped), else replaced.
 * Returns whether a container was created by this call.
 */
export async function ensureContainer(api: Docker, spec: Docker.ContainerCreateOptions & { name: string }): Promise<boolean> {
  const cur = await inspectOrNull(api, spec.name);
  if (cur && cur.Config.Labels?.[SPEC_HASH_LABEL] === spec.Labels?.[SPEC_HASH_LABEL]) {
    if (!cur.State.Running) await api.getContainer(cur.Id).start().catch((e: unknown) => Promise.reject(dockerError(e, `container ${spec.name}`)));
    return false;
  }
  if (cur) await api.getContainer(cur.Id).remove({ force: true }).catch((e: unknown) => Promise.reject(dockerError(e, `container ${spec.name}`)));
  try {
    const c = await api.createContainer(spec);
    await c.start();
  } catch (e) {
    await api.getContainer(spec.name).remove({ force: true }).catch(() => undefined);
    throw dockerError(e, `container ${spec.name}`);
  }
  return true;
}

export async function removeContainers(api: Docker, parts: readonly WatchPart[] = WATCH_PARTS): Promise<string[]> {
  const removed: string[] = [];
  for (const part of parts) {
    const name = WATCH_CONTAINERS[part];
    try {
      await api.getContainer(name).remove({ force: true });
      removed.push(name);
    } catch (e) {
      if (!isDockerNotFound(e)) throw dockerError(e, `container ${name}`);
    }
  }
  return removed;
}

export async function removeVolumes(api: Docker): Promise<void> {
  for (const name of Object.values(WATCH_VOLUMES)) {
    // The textfile volume is shared with the writers (backups, deploys): kept, they write whether Watch is on or not.
    if (name === WATCH_VOLUMES.textfile) continue;
    await api
      .getVolume(name)
      .remove()
      .catch((e: unknown) => (isDockerNotFound(e) ? undefined : Promise.reject(dockerError(e, `volume ${name}`))));
  }
}

/** Each part's container: state, image, restart count and memory now (docker stats, one shot). */
export async function readContainers(api: Docker): Promise<WatchContainer[]> {
  return Promise.all(
    WATCH_PARTS.map(async (part): Promise<WatchContainer> => {
      const name = WATCH_CONTAINERS[part];
      const info = await inspectOrNull(api, name);
      if (!info) return { part, name, state: 'missing', image: null, memoryBytes: null, memoryLimitBytes: null, restartCount: 0 };
      let memoryBytes: number | null = null;
      if (info.State.Running) {
        const stats = await withTimeout(api.getContainer(info.Id).stats({ stream: false, 'one-shot': true } as { stream: false }), 10_000, `docker stats of ${name}`).catch(() => null);
        const mem = stats?.memory_stats;
        // As `docker stats` shows it: usage without the page cache (cgroup v2 inactive_file, v1 total_inactive_file).
        if (mem?.usage !== undefined) memoryBytes = Math.max(0, mem.usage - ((mem.stats as Record<string, number> | undefined)?.inactive_file ?? (mem.stats as Record<string, number> | undefined)?.total_inactive_file ?? 0));
      }
      return {
        part,
        name,
        state: info.State.Status,
        image: info.Config.Image,
        memoryBytes,
        memoryLimitBytes: info.HostConfig.Memory || null,
        restartCount: info.RestartCount ?? 0,
      };
    }),
  );
}
