import { describe, expect, it } from 'vitest';
import { collisions, overlaps, parseNetworks, pickPool, suggestAddress } from './networks.ts';

const OUTPUT = [
  'addr 1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  'addr 1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever',
  'addr 2: eth0    inet 10.10.3.11/24 scope global eth0\\       valid_lft forever preferred_lft forever',
  'addr 2: eth0    inet6 fe80::5cfa:4fff:fe5d:c4eb/64 scope link \\       valid_lft forever preferred_lft forever',
  'addr 3: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\       valid_lft forever',
  'addr 4: wg0@NONE    inet 10.20.0.2/32 scope global wg0',
  'route default via 10.10.3.1 dev eth0',
  'route 10.10.3.0/24 dev eth0 proto kernel scope link src 10.10.3.11',
  'route 10.30.0.0/16 via 10.20.0.1 dev wg0',
  'route unreachable 10.40.0.0/16',
  'route local 10.10.3.11 dev eth0 table local proto kernel scope host src 10.10.3.11',
  'route local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1',
].join('\n');

describe('parseNetworks', () => {
  it('reads addresses with the reason each cannot be advertised, and the networks in use', () => {
    const n = parseNetworks(OUTPUT);
    expect(n.addresses.map((a) => [a.address, a.iface, a.unusable === null])).toEqual([
      ['127.0.0.1', 'lo', false],
      ['::1', 'lo', false],
      ['10.10.3.11', 'eth0', true],
      ['fe80::5cfa:4fff:fe5d:c4eb', 'eth0', false],
      ['172.17.0.1', 'docker0', false],
      ['10.20.0.2', 'wg0', true],
    ]);
    expect(n.addresses.find((a) => a.iface === 'docker0')?.unusable).toMatch(/Docker bridge/);
    expect(n.used.map((u) => u.cidr)).toEqual(['10.10.3.0/24', '172.17.0.0/16', '10.20.0.2/32', '10.10.3.0/24', '10.30.0.0/16', '10.40.0.0/16']);
  });

  it('falls back to hostname -I without ip', () => {
    expect(parseNetworks('noip 192.168.1.5 fd00::5').addresses.map((a) => [a.address, a.family])).toEqual([
      ['192.168.1.5', 'ipv4'],
      ['fd00::5', 'ipv6'],
    ]);
  });
});

describe('the address pool', () => {
  it('overlap is containment either way', () => {
    expect(overlaps('10.0.0.0/8', '10.231.2.0/24')).toBe(true);
    expect(overlaps('10.231.2.0/24', '10.0.0.0/8')).toBe(true);
    expect(overlaps('10.231.240.0/20', '10.231.224.0/24')).toBe(false);
    expect(overlaps('172.16.0.0/12', '172.31.255.0/24')).toBe(true);
  });

  it('skips every candidate a server uses and names what collides', () => {
    const used = parseNetworks(OUTPUT).used.map((u) => ({ ...u, serverId: 'a' }));
    used.push({ cidr: '10.50.7.0/24', serverId: 'b', source: 'docker network web' });
    expect(pickPool(used)).toBe('10.60.0.0/16');
    expect(collisions('10.50.0.0/16', used)).toEqual([{ cidr: '10.50.7.0/24', serverId: 'b', source: 'docker network web' }]);
    expect(pickPool(used, ['10.10.0.0/16', '10.30.0.0/16'])).toBeNull();
  });

  it('suggests the address the app connects to, else the first usable IPv4', () => {
    const { addresses } = parseNetworks(OUTPUT);
    expect(suggestAddress('10.20.0.2', addresses)).toBe('10.20.0.2');
    expect(suggestAddress('server.example.com', addresses)).toBe('10.10.3.11');
    expect(suggestAddress('172.17.0.1', addresses)).toBe('10.10.3.11');
  });
});
