import type { HostSample } from '../../../shared/contract/fleet.ts';
import { check } from '../ssh/exec.ts';
import type { SshConnection } from '../ssh/connection.ts';
import SCRIPT from './host-sample.sh?raw';

/** A container's counters read from its cgroup (null: not readable there; ask the engine instead). */
export interface RawContainer {
  /** CPU time used, ns. */
  cpuNs: number;
  memUsage: number;
  memInactive: number;
  /** The cgroup's limit, or the host's memory when unlimited (as the engine reports it). */
  memLimit: number;
}

export interface RawHost {
  cpuTotal: number;
  cpuIdle: number;
  cpus: number;
  containers: Map<string, RawContainer | null>;
  sample: Omit<HostSample, 'cpuPercent'>;
}

/** /proc/stat counts in USER_HZ, which Linux fixes at 100 for userspace: 1 tick = 10 ms. */
export const NS_PER_TICK = 10_000_000;

function parseContainer(fields: string[], memTotal: number): RawContainer | null {
  const [cpu, usage, inactive, limit] = fields;
  if (!cpu || !usage || cpu === '-' || usage === '-' || cpu === '-usec') return null;
  const cpuNs = cpu.endsWith('usec') ? Number(cpu.slice(0, -4)) * 1000 : Number(cpu);
  const memUsage = Number(usage);
  if (!Number.isFinite(cpuNs) || !Number.isFinite(memUsage)) return null;
  const lim = Number(limit);
  return { cpuNs, memUsage, memInactive: Number(inactive) || 0, memLimit: Number.isFinite(lim) && lim > 0 && lim < memTotal ? lim : memTotal };
}

export function parseHost(text: string, at: number): RawHost {
  const lines = text.split('\n');
  const cpu = (lines.find((l) => l.startsWith('cpu ')) ?? 'cpu 0 0 0 0').trim().split(/\s+/).slice(1).map(Number);
  const cpuTotal = cpu.slice(0, 8).reduce((a, b) => a + (b || 0), 0);
  const cpuIdle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const kb = (name: string) => Number(/(\d+)/.exec(lines.find((l) => l.startsWith(name)) ?? '')?.[1] ?? 0) * 1024;
  const load = (lines.find((l) => /^\d+\.\d+ \d+\.\d+ \d+\.\d+/.test(l)) ?? '0 0 0').split(' ').map(Number);
  const uptime = Number((lines.find((l) => /^\d+\.\d+ \d+\.\d+$/.test(l.trim())) ?? '0').split(' ')[0]);
  const disk = (lines.find((l) => l.startsWith('disk ')) ?? 'disk 0 0').split(' ').map(Number);
  const memTotal = kb('MemTotal:');
  const containers = new Map<string, RawContainer | null>();
  for (const l of lines) {
    if (!l.startsWith('container ')) continue;
    const [, id, ...fields] = l.trim().split(' ');
    if (id) containers.set(id, parseContainer(fields, memTotal));
  }
  return {
    cpuTotal,
    cpuIdle,
    cpus: Number(/^cpus (\d+)/m.exec(text)?.[1]) || 1,
    containers,
    sample: {
      at,
      memTotal,
      memUsed: Math.max(0, memTotal - kb('MemAvailable:')),
      diskTotal: (disk[1] ?? 0) * 1024,
      diskUsed: (disk[2] ?? 0) * 1024,
      load1: load[0] ?? 0,
      load5: load[1] ?? 0,
      load15: load[2] ?? 0,
      uptime: Math.floor(uptime),
    },
  };
}

/** CPU percent between two raw readings (null for the first one). */
export function cpuBetween(prev: RawHost | undefined, next: RawHost): number | null {
  if (!prev) return null;
  const total = next.cpuTotal - prev.cpuTotal;
  const idle = next.cpuIdle - prev.cpuIdle;
  return total > 0 ? Math.min(100, Math.max(0, ((total - idle) / total) * 100)) : null;
}

/** One request: the host, and the running containers given as id → pid of their main process. */
export async function readHost(conn: SshConnection, containers: ReadonlyMap<string, number> = new Map()): Promise<RawHost> {
  const argv = [...containers].flatMap(([id, pid]) => [id, String(pid)]);
  const r = check(await conn.exec(['sh', '-c', SCRIPT, 'host-sample', ...argv], { timeoutMs: 15_000, background: true }), 'Sampling host metrics');
  return parseHost(r.stdout, Date.now());
}
