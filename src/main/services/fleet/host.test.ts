import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHost } from './host.ts';
import SCRIPT from './host-sample.sh?raw';

/** The sample script run here, on this machine's /proc and cgroups, as it runs on a server. */
const sample = (...args: string[]) => parseHost(execFileSync('sh', ['-c', SCRIPT, 'host-sample', ...args], { encoding: 'utf8' }), Date.now());

describe('host sample: host counters and container cgroups in one run', () => {
  it('reads a process cgroup as a container would be read, and names the ones it cannot read', async () => {
    const child = spawn('sh', ['-c', 'i=0; while [ $i -lt 3000000 ]; do i=$((i+1)); done'], { stdio: 'ignore' });
    // A container's cgroup is named after its id: here the last part of this process's own memory cgroup plays it.
    const cgroups = readFileSync(`/proc/${child.pid}/cgroup`, 'utf8');
    const name = (/^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(cgroups)?.[1] ?? /^0::(.*)$/m.exec(cgroups)?.[1] ?? '').split('/').pop();
    expect(name, `a cgroup below the root to play the container (${cgroups})`).toBeTruthy();
    try {
      const a = sample(name!, String(child.pid), 'gone', '999999999', 'elsewhere', String(child.pid));
      expect(a.containers.get('elsewhere')).toBeNull();
      await new Promise((r) => setTimeout(r, 300));
      const b = sample(name!, String(child.pid));
      expect(a.sample.memTotal).toBeGreaterThan(0);
      expect(a.cpus).toBeGreaterThanOrEqual(1);
      expect(a.containers.get('gone')).toBeNull();
      const busy = a.containers.get(name!);
      expect(busy).not.toBeNull();
      expect(busy!.memUsage).toBeGreaterThan(0);
      expect(busy!.memLimit).toBeLessThanOrEqual(a.sample.memTotal);
      // The cgroup's CPU counter moves while something in it runs.
      expect(b.containers.get(name!)!.cpuNs).toBeGreaterThan(busy!.cpuNs);
      expect(b.cpuTotal).toBeGreaterThan(a.cpuTotal);
    } finally {
      child.kill();
    }
  });

  it('parses cgroup v2 counters (usage in µs, "max" as no limit)', () => {
    const raw = parseHost('cpu  10 0 10 80 0 0 0 0\ncpus 4\nMemTotal: 1000 kB\ncontainer abc 1500usec 4096 1024 max\ncontainer def 7 - - -\n', 1);
    expect(raw.cpus).toBe(4);
    expect(raw.containers.get('abc')).toEqual({ cpuNs: 1_500_000, memUsage: 4096, memInactive: 1024, memLimit: 1_024_000 });
    expect(raw.containers.get('def')).toBeNull();
  });
});
