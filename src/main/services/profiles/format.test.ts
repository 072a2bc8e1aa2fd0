import { describe, expect, it } from 'vitest';
import { canonicalJson, openProfile, sealProfile } from './format.ts';

const server = { ref: 'r1', name: 'one', host: '127.0.0.1', port: 22, username: 'root', auth: { method: 'agent' as const }, jumpRef: null, settings: {}, hostKeys: [] };

describe('profile format', () => {
  it('canonical JSON ignores key order and whitespace but not types or own __proto__ keys', () => {
    expect(canonicalJson(JSON.parse('{ "b": 1, "a": [true, null, "x"] }'))).toBe('{"a":[true,null,"x"],"b":1}');
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson(JSON.parse('{"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1}}');
  });

  it('a sealed profile opens authenticated; an unknown version is named', async () => {
    const file = await sealProfile({ exportedAt: '2026-01-01T00:00:00.000Z', servers: [server] }, 'unit passphrase', new Map([['r1', { password: 'pw' }]]));
    const opened = await openProfile(JSON.stringify(file), 'unit passphrase');
    expect(opened).toMatchObject({ version: 2, authenticated: true });
    expect(opened.secrets.get('r1')).toEqual({ password: 'pw' });
    const renamed = JSON.stringify({ ...file, servers: [{ ...server, name: 'two' }] });
    await expect(openProfile(renamed, 'unit passphrase')).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/changed after it was exported/) });
    await expect(openProfile(JSON.stringify({ ...file, version: 3 }), 'unit passphrase')).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/^version: expected 1 or 2/) });
  });
});
