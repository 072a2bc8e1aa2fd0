import type { ServerFacts } from '../../../shared/contract/servers.ts';
import { check } from '../ssh/exec.ts';
import type { SshConnection } from '../ssh/connection.ts';

/**
 * A constant script (no input reaches it) printing key=value facts; works with POSIX sh and busybox.
 * Sizes are printed as the kB strings the kernel and df give: mawk's printf "%d" caps at 2^31-1, so no
 * arithmetic happens in awk; the bytes are computed here.
 */
const FACTS_SCRIPT = [
  'if [ -r /etc/os-release ]; then . /etc/os-release; fi',
  `printf 'os=%s\\nosid=%s\\nosver=%s\\n' "\${PRETTY_NAME:-unknown}" "\${ID:-unknown}" "\${VERSION_ID:-}"`,
  `printf 'hostname=%s\\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"`,
  `printf 'kernel=%s\\narch=%s\\n' "$(uname -r)" "$(uname -m)"`,
  `printf 'cpus=%s\\n' "$(grep -c '^processor' /proc/cpuinfo)"`,
  `awk '/^MemTotal:/ {print "memkb=" $2}' /proc/meminfo`,
  `df -Pk / | awk 'NR==2 {print "disktotalkb=" $2; print "diskfreekb=" $4}'`,
  `awk '{print "uptime=" $1}' /proc/uptime`,
].join('\n');

export async function readFacts(conn: SshConnection): Promise<Omit<ServerFacts, 'dockerVersion' | 'dockerTransport'>> {
  const result = check(await conn.exec(['sh', '-c', FACTS_SCRIPT], { timeoutMs: 20_000 }), 'Reading server facts');
  const kv = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const num = (k: string) => Number(kv.get(k) ?? 0) || 0;
  const kib = (k: string) => (/^\d+$/.test(kv.get(k) ?? '') ? Number(kv.get(k)) * 1024 : 0);
  return {
    hostname: kv.get('hostname') ?? '',
    os: kv.get('os') ?? 'unknown',
    osId: kv.get('osid') ?? 'unknown',
    osVersion: kv.get('osver') ?? '',
    kernel: kv.get('kernel') ?? '',
    arch: kv.get('arch') ?? '',
    cpus: num('cpus'),
    memoryBytes: kib('memkb'),
    diskTotalBytes: kib('disktotalkb'),
    diskFreeBytes: kib('diskfreekb'),
    uptimeSeconds: Math.floor(num('uptime')),
  };
}
