import type { ServerAddress } from '../../../shared/contract/cluster.ts';

/** An IPv4 network in use on a server, and where it was seen (an interface, a route, a Docker network). */
export interface UsedNetwork {
  cidr: string;
  serverId: string;
  source: string;
}

export interface ServerNetworks {
  addresses: ServerAddress[];
  /** IPv4 networks of interfaces and routes (Docker networks are added from the engine). */
  used: Omit<UsedNetwork, 'serverId'>[];
}

const ADDR = /^addr \d+:\s+([^\s@]+)\S*\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)/;
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'unreachable', 'blackhole', 'prohibit', 'throw', 'anycast', 'multicast']);
const DOCKER_IFACE = /^(docker\d*|docker_gwbridge|br-[0-9a-f]+|veth.*)$/;

/** Parses addresses.sh: `ip -o addr` and `ip -o -4 route` lines, or `hostname -I` where `ip` is missing. */
export function parseNetworks(output: string): ServerNetworks {
  const addresses: ServerAddress[] = [];
  const used: ServerNetworks['used'] = [];
  for (const line of output.split('\n')) {
    const addr = ADDR.exec(line);
    if (addr) {
      const [, iface = '', fam, address = '', bits] = addr;
      const family = fam === 'inet' ? 'ipv4' : 'ipv6';
      const prefix = Number(bits);
      addresses.push({ address, prefix, iface, family, unusable: unusableReason(address, family, iface) });
      if (family === 'ipv4' && !address.startsWith('127.')) used.push({ cidr: networkOf(address, prefix), source: `${iface} (${address}/${prefix})` });
      continue;
    }
    if (line.startsWith('route ')) {
      const tokens = line.slice(6).trim().split(/\s+/);
      const dest = tokens[0] && ROUTE_TYPES.has(tokens[0]) ? tokens[1] : tokens[0];
      if (!dest || dest === 'default' || dest.startsWith('127.') || !/^[\d.]+(\/\d+)?$/.test(dest)) continue;
      const [ip = '', bits = '32'] = dest.split('/');
      if (Number(bits) === 32 && tokens[0] !== 'unreachable') continue;
      used.push({ cidr: networkOf(ip, Number(bits)), source: `route ${dest}` });
      continue;
    }
    if (line.startsWith('noip ')) {
      for (const address of line.slice(5).trim().split(/\s+/).filter(Boolean)) {
        const family = address.includes(':') ? 'ipv6' : 'ipv4';
        addresses.push({ address, prefix: family === 'ipv4' ? 32 : 128, iface: '?', family, unusable: unusableReason(address, family, '') });
      }
    }
  }
  return { addresses, used };
}

function unusableReason(address: string, family: 'ipv4' | 'ipv6', iface: string): string | null {
  if (family === 'ipv4' && address.startsWith('127.')) return 'loopback: other servers cannot reach it';
  if (family === 'ipv6' && address === '::1') return 'loopback: other servers cannot reach it';
  if (family === 'ipv4' && address.startsWith('169.254.')) return 'link-local: not routed between servers';
  if (family === 'ipv6' && /^fe[89ab]/i.test(address)) return 'link-local: not routed between servers';
  if (DOCKER_IFACE.test(iface)) return `${iface} is a Docker bridge on this server, not reachable from other servers`;
  return null;
}

export function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function networkOf(ip: string, bits: number): string {
  return `${intToIpv4((ipv4ToInt(ip) & mask(bits)) >>> 0)}/${bits}`;
}

/** Two IPv4 CIDRs overlap when one contains the other's network address. */
export function overlaps(a: string, b: string): boolean {
  const [ipA = '', bitsA = '32'] = a.split('/');
  const [ipB = '', bitsB = '32'] = b.split('/');
  const bits = Math.min(Number(bitsA), Number(bitsB));
  return ((ipv4ToInt(ipA) & mask(bits)) >>> 0) === ((ipv4ToInt(ipB) & mask(bits)) >>> 0);
}

/** Candidates for Swarm's DefaultAddrPool, tried in order: 10.10-10.250 /16, then 172.16-172.31 /16. */
export function poolCandidates(): string[] {
  const out: string[] = [];
  for (let second = 10; second <= 250; second += 10) out.push(`10.${second}.0.0/16`);
  for (let second = 16; second <= 31; second++) out.push(`172.${second}.0.0/16`);
  return out;
}

/** The networks `pool` collides with (empty: the pool is safe for these servers). */
export function collisions(pool: string, used: readonly UsedNetwork[]): UsedNetwork[] {
  return used.filter((u) => overlaps(pool, u.cidr));
}

/** The first candidate that collides with nothing in use, or null. */
export function pickPool(used: readonly UsedNetwork[], candidates = poolCandidates()): string | null {
  return candidates.find((c) => collisions(c, used).length === 0) ?? null;
}

/** The address to advertise by default: the one the app connects to when the server has it, else its first usable IPv4. */
export function suggestAddress(host: string, addresses: readonly ServerAddress[]): string | null {
  const usable = addresses.filter((a) => a.unusable === null);
  return usable.find((a) => a.address === host)?.address ?? usable.find((a) => a.family === 'ipv4')?.address ?? usable[0]?.address ?? null;
}
