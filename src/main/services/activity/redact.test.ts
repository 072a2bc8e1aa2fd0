import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from './redact.ts';

describe('redact', () => {
  it('replaces declared secret fields and secret-looking keys at any depth', () => {
    const input = { name: 'web-1', password: 'hunter2', auth: { passphrase: 'pp', privateKey: '-----BEGIN', user: 'root' }, list: [{ apiKey: 'k', id: 1 }], label: 'x', custom: 'c' };
    expect(redact(input, ['custom'])).toEqual({
      name: 'web-1',
      password: REDACTED,
      auth: { passphrase: REDACTED, privateKey: REDACTED, user: 'root' },
      list: [{ apiKey: REDACTED, id: 1 }],
      label: 'x',
      custom: REDACTED,
    });
  });
  it('keeps absent secrets absent and truncates huge strings', () => {
    expect(redact({ password: undefined, token: null })).toEqual({ password: undefined, token: null });
    expect((redact({ note: 'a'.repeat(5000) }) as { note: string }).note.length).toBeLessThan(2100);
  });
  it('gives a copy JSON.stringify accepts, with prototype-named keys kept as data', () => {
    const input = JSON.parse('{"__proto__":{"password":"p","n":1},"id":"x"}') as Record<string, unknown>;
    input.big = 12n;
    expect(JSON.parse(JSON.stringify(redact(input)))).toEqual(JSON.parse('{"__proto__":{"password":"[redacted]","n":1},"id":"x","big":"12n"}'));
  });
});
