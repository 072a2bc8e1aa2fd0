import { describe, expect, it } from 'vitest';
import { isLoopback, isOwnHost, isOwnOrigin, requireLoopback } from './host-policy.ts';

describe('host policy', () => {
  it('knows loopback from the rest', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '10.0.0.1', '::', '192.168.1.1', 'example.com', '::ffff:127.0.0.1', '127.0.0.1.nip.io'].map(isLoopback)).toEqual([false, false, false, false, false, false, false]);
  });

  it('refuses a non-loopback host with INPUT_INVALID that points at an SSH local forward', () => {
    expect(() => requireLoopback('127.0.0.1')).not.toThrow();
    expect(() => requireLoopback('0.0.0.0')).toThrow(expect.objectContaining({ code: 'INPUT_INVALID', message: expect.stringMatching(/^host: .*loopback only.*"0\.0\.0\.0".*ssh -L 8080:127\.0\.0\.1:<port>/) }));
  });

  it('accepts a loopback Host on any port (SSH local forwards) and nothing else', () => {
    for (const ok of ['127.0.0.1:4321', '127.0.0.1:8080', 'localhost:4321', '[::1]:4321', '127.0.0.1', '127.2.3.4:1']) expect(isOwnHost(ok, '127.0.0.1'), ok).toBe(true);
    expect(isOwnHost('127.0.0.2:80', '127.0.0.2')).toBe(true);
    for (const bad of ['evil.example', 'evil.example:4321', '127.0.0.1.nip.io:4321', 'localhost.evil.example', '[::2]:4321', '0.0.0.0:4321', '127.0.0.1:99999', '127.0.0.1:', '127.0.0.1:80:80', '', ' 127.0.0.1:1', 'user@127.0.0.1:1']) {
      expect(isOwnHost(bad, '127.0.0.1'), bad).toBe(false);
    }
  });

  it('accepts an Origin only when it is http:// plus the Host asked for', () => {
    expect(isOwnOrigin('http://127.0.0.1:8080', '127.0.0.1:8080')).toBe(true);
    for (const bad of ['127.0.0.1:8080', 'https://127.0.0.1:8080', 'http://127.0.0.1:8081', 'http://localhost:8080', 'null', 'http://evil.example']) expect(isOwnOrigin(bad, '127.0.0.1:8080'), bad).toBe(false);
  });
});
