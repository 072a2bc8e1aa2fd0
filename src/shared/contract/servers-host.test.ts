import { describe, expect, it } from 'vitest';
import { Host, ServerCreate } from './servers.ts';

describe('Host', () => {
  it('accepts an IPv6 address in brackets, as users paste it, and keeps the bare address', () => {
    expect(Host.parse('[fd00::1]')).toBe('fd00::1');
    expect(Host.parse(' [2001:db8::42] ')).toBe('2001:db8::42');
    expect(Host.parse('fd00::1')).toBe('fd00::1');
    expect(Host.parse('fe80::1%eth0')).toBe('fe80::1%eth0');
    const created = ServerCreate.parse({ name: 'v6', host: '[fd00::1]', username: 'root', auth: { method: 'agent' } });
    expect(created.host).toBe('fd00::1');
  });

  it('refuses what is not an address, with the field and what was expected', () => {
    for (const bad of ['[fd00::1', '[example.com]', '[]', 'fd00:::1:::', '::g', '[1.2.3.4]', 'a b']) {
      const r = Host.safeParse(bad);
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.message, bad).toMatch(/expected a hostname or IP address/);
    }
  });
});
