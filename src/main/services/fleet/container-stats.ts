import type Docker from 'dockerode';
import type { Container } from '../../../shared/contract/containers.ts';
import { NS_PER_TICK, type RawHost } from './host.ts';
import type { ContainerSampleRow } from './store.ts';

interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: { inactive_file?: number; total_inactive_file?: number; cache?: number } };
}

/** The counters of the previous sample, per container: CPU percent is a difference. */
export type CpuCounters = Map<string, { total: number; system: number }>;

interface Counters {
  total: number;
  system: number;
  cpus: number;
  memUsage: number;
  memInactive: number;
  memLimit: number;
}

function row(c: Container, n: Counters, last: CpuCounters): ContainerSampleRow {
  const prev = last.get(c.id);
  last.set(c.id, { total: n.total, system: n.system });
  const cpuPercent = prev && n.system > prev.system ? Math.max(0, ((n.total - prev.total) / (n.system - prev.system)) * n.cpus * 100) : null;
  return { containerId: c.id, name: c.name, cpuPercent, memUsed: Math.max(0, n.memUsage - n.memInactive), memLimit: n.memLimit };
}

/**
 * CPU and memory of the running containers: from the cgroup counters the host sample carried (no engine call),
 * else from the engine's one-shot stats (a cgroup the sample could not read), at most 8 at once.
 */
export async function containerRows(running: Container[], host: RawHost, last: CpuCounters, engine: () => Promise<Docker>): Promise<ContainerSampleRow[]> {
  const rows: ContainerSampleRow[] = [];
  const queue: Container[] = [];
  for (const c of running) {
    const raw = host.containers.get(c.id);
    if (!raw) queue.push(c);
    else rows.push(row(c, { total: raw.cpuNs, system: host.cpuTotal * NS_PER_TICK, cpus: host.cpus, memUsage: raw.memUsage, memInactive: raw.memInactive, memLimit: raw.memLimit }, last));
  }
  if (!queue.length) return rows;
  const api = await engine();
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      try {
        const s = (await api.getContainer(c.id).stats({ stream: false, 'one-shot': true } as never)) as unknown as DockerStats;
        const stats = s.memory_stats?.stats;
        rows.push(
          row(
            c,
            {
              total: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
              system: s.cpu_stats?.system_cpu_usage ?? 0,
              cpus: s.cpu_stats?.online_cpus ?? 1,
              memUsage: s.memory_stats?.usage ?? 0,
              memInactive: stats?.inactive_file ?? stats?.total_inactive_file ?? 0,
              memLimit: s.memory_stats?.limit ?? 0,
            },
            last,
          ),
        );
      } catch {
        /* the container went away between list and stats */
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, queue.length) }, worker));
  return rows;
}
