import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertSafeRemotePath, shellQuote, toCommand } from './quote.ts';

const HOSTILE = ["a'b", 'a"b', '$(touch /tmp/x)', '`id`', 'a;b', 'a&&b', 'a|b', 'a\nb', '$HOME', '*', '~', 'a b', '', "'", "\\'", '-rf', '${IFS}', 'é€😀'];

describe('shellQuote', () => {
  it('makes every string exactly one word for /bin/sh', () => {
    for (const s of HOSTILE) {
      const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(s)}`]).toString();
      expect(out, JSON.stringify(s)).toBe(s);
    }
  });
  it('joins argv and refuses NUL bytes and empty argv', () => {
    expect(toCommand(['docker', 'ps', '--format', '{{.ID}}'])).toBe("docker ps --format '{{.ID}}'");
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
    expect(() => toCommand([])).toThrow(/argv/);
  });
  it('refuses relative or traversing remote paths', () => {
    expect(assertSafeRemotePath('/var/lib/x', 'path')).toBe('/var/lib/x');
    expect(() => assertSafeRemotePath('var/x', 'path')).toThrow(/path: expected an absolute path/);
    expect(() => assertSafeRemotePath('/var/../etc', 'path')).toThrow(/\.\./);
    expect(() => assertSafeRemotePath('/a\nb', 'path')).toThrow(/control/);
  });
});
