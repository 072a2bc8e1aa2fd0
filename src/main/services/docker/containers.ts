import type Docker from 'dockerode';
import type { Container, ContainerInspect } from '../../../shared/contract/containers.ts';
import { dockerError, isDockerNotModified } from './errors.ts';
import { LABELS } from './labels.ts';
import { containerName, containerSummary } from './names.ts';
import type { DockerService } from './service.ts';

/** Live CPU/memory of containers, filled in by the metrics sampler (latest sample per container). */
export interface ContainerStatsSource {
  latest(serverId: string, containerId: string): { cpuPercent: number | null; memUsed: number; memLimit: number } | null;
}

function health(status: string): Container['health'] {
  if (/\(healthy\)/.test(status)) return 'healthy';
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(health: starting\)/.test(status)) return 'starting';
  return 'none';
}

/** Environment variable values look secret unless proven boring: mask them all by default. */
function maskEnv(env: string[], reveal: boolean): ContainerInspect['env'] {
  return env.map((kv) => {
    const i = kv.indexOf('=');
    const name = i >= 0 ? kv.slice(0, i) : kv;
    const value = i >= 0 ? kv.slice(i + 1) : '';
    return reveal ? { name, value, masked: false } : { name, value: null, masked: true };
  });
}

/** Containers, images, volumes and networks of one server, through its Docker tunnel. */
export class ContainersService {
  private readonly docker: DockerService;
  private readonly stats: ContainerStatsSource | null;

  constructor(docker: DockerService, stats: ContainerStatsSource | null = null) {
    this.docker = docker;
    this.stats = stats;
  }

  private api(serverId: string): Promise<Docker> {
    return this.docker.api(serverId);
  }

  async list(serverId: string): Promise<Container[]> {
    const raw = await (await this.api(serverId)).listContainers({ all: true });
    return raw.map((c) => {
      const s = this.stats?.latest(serverId, c.Id) ?? null;
      return {
        serverId,
        ...containerSummary(c),
        health: health(c.Status),
        ports: (c.Ports ?? []).map((p) => ({ privatePort: p.PrivatePort, publicPort: p.PublicPort ?? null, type: p.Type, ip: p.IP ?? null })),
        managed: c.Labels?.[LABELS.managed] === 'true',
        cpuPercent: c.State === 'running' ? (s?.cpuPercent ?? null) : null,
        memUsed: c.State === 'running' ? (s?.memUsed ?? null) : null,
        memLimit: c.State === 'running' ? (s?.memLimit ?? null) : null,
      };
    });
  }

  async action(serverId: string, id: string, action: 'start' | 'stop' | 'restart' | 'kill' | 'remove', opts: { force?: boolean; removeVolumes?: boolean } = {}): Promise<void> {
    const c = (await this.api(serverId)).getContainer(id);
    try {
      if (action === 'start') await c.start();
      else if (action === 'stop') await c.stop(); // the container's own stop timeout applies
      else if (action === 'restart') await c.restart();
      else if (action === 'kill') await c.kill();
      else await c.remove({ force: !!opts.force, v: !!opts.removeVolumes });
    } catch (e) {
      // Docker answers 304 for "already started/stopped": that is success for the user.
      if (isDockerNotModified(e)) return;
      throw dockerError(e, `${action} ${id}`);
    }
  }

  async rename(serverId: string, id: string, name: string): Promise<void> {
    try {
      await (await this.api(serverId)).getContainer(id).rename({ name });
    } catch (e) {
      throw dockerError(e, `rename ${id}`);
    }
  }

  async inspect(serverId: string, id: string, reveal: boolean): Promise<ContainerInspect> {
    let i: Docker.ContainerInspectInfo;
    try {
      i = await (await this.api(serverId)).getContainer(id).inspect();
    } catch (e) {
      throw dockerError(e, `inspect ${id}`);
    }
    const ports = Object.entries(i.NetworkSettings?.Ports ?? {}).flatMap(([key, binds]) => {
      const [port, type] = key.split('/');
      return (binds ?? [null]).map((b) => ({ privatePort: Number(port), publicPort: b ? Number(b.HostPort) : null, type: type ?? 'tcp', ip: b?.HostIp ?? null }));
    });
    const h = i.State.Health;
    return {
      id: i.Id,
      name: containerName(i),
      image: i.Config.Image,
      command: [...(i.Config.Entrypoint ? ([] as string[]).concat(i.Config.Entrypoint) : []), ...(i.Config.Cmd ?? [])],
      created: i.Created,
      startedAt: i.State.StartedAt && !i.State.StartedAt.startsWith('0001') ? i.State.StartedAt : null,
      state: i.State.Status,
      restartCount: i.RestartCount,
      restartPolicy: i.HostConfig.RestartPolicy?.Name || 'no',
      health: h ? { status: h.Status, failingStreak: h.FailingStreak, log: (h.Log ?? []).slice(-5).map((l) => ({ exitCode: l.ExitCode, output: l.Output.slice(0, 2000), end: l.End })) } : null,
      env: maskEnv(i.Config.Env ?? [], reveal),
      labels: i.Config.Labels ?? {},
      mounts: (i.Mounts ?? []).map((m) => ({ type: m.Type, source: m.Name ?? m.Source, destination: m.Destination, rw: m.RW })),
      networks: Object.entries(i.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({ name, ip: n.IPAddress })),
      ports,
    };
  }

  async images(serverId: string) {
    const df = (await (await this.api(serverId)).df()) as { Images?: { Id: string; RepoTags: string[] | null; Size: number; SharedSize: number; Created: number; Containers: number }[] };
    return (df.Images ?? []).map((im) => ({
      id: im.Id,
      tags: (im.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
      size: im.Size,
      sharedSize: Math.max(0, im.SharedSize),
      created: im.Created * 1000,
      containers: Math.max(0, im.Containers),
    }));
  }

  async volumes(serverId: string) {
    const df = (await (await this.api(serverId)).df()) as { Volumes?: { Name: string; Driver: string; CreatedAt?: string; UsageData?: { Size: number; RefCount: number } }[] };
    return (df.Volumes ?? []).map((v) => ({
      name: v.Name,
      driver: v.Driver,
      size: v.UsageData && v.UsageData.Size >= 0 ? v.UsageData.Size : null,
      refCount: v.UsageData && v.UsageData.RefCount >= 0 ? v.UsageData.RefCount : null,
      created: v.CreatedAt ?? null,
    }));
  }

  async networks(serverId: string) {
    const list = await (await this.api(serverId)).listNetworks();
    const builtin = new Set(['bridge', 'host', 'none']);
    return list.map((n) => ({ id: n.Id, name: n.Name, driver: n.Driver, scope: n.Scope, containers: Object.keys(n.Containers ?? {}).length, builtin: builtin.has(n.Name) }));
  }

  async removeImage(serverId: string, id: string, force: boolean): Promise<void> {
    try {
      await (await this.api(serverId)).getImage(id).remove({ force });
    } catch (e) {
      throw dockerError(e, `remove image ${id}`);
    }
  }

  async removeVolume(serverId: string, name: string): Promise<void> {
    try {
      await (await this.api(serverId)).getVolume(name).remove();
    } catch (e) {
      throw dockerError(e, `remove volume ${name}`);
    }
  }

  async removeNetwork(serverId: string, id: string): Promise<void> {
    try {
      await (await this.api(serverId)).getNetwork(id).remove();
    } catch (e) {
      throw dockerError(e, `remove network ${id}`);
    }
  }

  /**
   * What `prune` would remove, with the space it frees, computed like `docker system df`'s RECLAIMABLE:
   * unused images' unique size (size minus layers shared with other images), unused volumes' size.
   */
  async prunePreview(serverId: string, kind: 'images' | 'volumes' | 'networks') {
    if (kind === 'images') {
      // Docker's image prune (without -a) removes dangling images only.
      const imgs = (await this.images(serverId)).filter((i) => i.containers === 0 && i.tags.length === 0);
      return { kind, items: imgs.map((i) => i.id), reclaimableBytes: imgs.reduce((n, i) => n + Math.max(0, i.size - i.sharedSize), 0) };
    }
    if (kind === 'volumes') {
      // Since API 1.42 volume prune removes anonymous volumes only; older engines remove every unused local volume.
      const version = await (await this.api(serverId)).version();
      const anonymousOnly = Number(version.ApiVersion) >= 1.42;
      const vols = (await this.volumes(serverId)).filter((v) => v.refCount === 0 && (!anonymousOnly || /^[0-9a-f]{64}$/.test(v.name)));
      return { kind, items: vols.map((v) => v.name), reclaimableBytes: vols.reduce((n, v) => n + (v.size ?? 0), 0) };
    }
    const nets = (await this.networks(serverId)).filter((n) => !n.builtin && n.containers === 0);
    return { kind, items: nets.map((n) => n.name), reclaimableBytes: 0 };
  }

  async prune(serverId: string, kind: 'images' | 'volumes' | 'networks'): Promise<{ removed: string[]; reclaimedBytes: number }> {
    const api = await this.api(serverId);
    if (kind === 'images') {
      const r = await api.pruneImages();
      return { removed: (r.ImagesDeleted ?? []).map((d) => d.Deleted ?? d.Untagged ?? '').filter(Boolean), reclaimedBytes: r.SpaceReclaimed ?? 0 };
    }
    if (kind === 'volumes') {
      const r = await api.pruneVolumes();
      return { removed: r.VolumesDeleted ?? [], reclaimedBytes: r.SpaceReclaimed ?? 0 };
    }
    const r = await api.pruneNetworks();
    return { removed: r.NetworksDeleted ?? [], reclaimedBytes: 0 };
  }
}
