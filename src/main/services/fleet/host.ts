import type { HostSample } from '../../../shared/contract/fleet.ts';
import { check } from '../ssh/exec.ts';
import type { SshConnection } from '../ssh/connection.ts';
import SCRIPT from './host-sample.sh?raw';

export interface RawHost {
  cpuTotal: number;
  cpuIdle: number;
  sample: Omit<HostSample, 'cpuPercent'>;
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
  return {
    cpuTotal,
    cpuIdle,
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

export async function readHost(conn: SshConnection): Promise<RawHost> {
  const r = check(await conn.exec(['sh', '-c', SCRIPT], { timeoutMs: 15_000 }), 'Sampling host metrics');
  return parseHost(r.stdout, Date.now());
}
