import type { ServerFacts } from '../../../shared/contract/servers.ts';
import { check } from '../ssh/exec.ts';
import type { SshConnection } from '../ssh/connection.ts';
import FACTS_SCRIPT from './facts.sh?raw';

/** key=value facts; sizes come as kB strings and the bytes are computed here (see facts.sh). */
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
