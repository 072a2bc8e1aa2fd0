import { describe, expect, it } from 'vitest';
import { isAppError } from '../core/errors.ts';
import { collectorContainerSpec } from './collector.ts';

describe('collectorContainerSpec', () => {
  it('passes the interval and the metrics dir as variables of the constant script, never in its text', () => {
    const a = collectorContainerSpec({ image: 'docker:27-cli', intervalSeconds: 2 });
    const b = collectorContainerSpec({ image: 'docker:27-cli', intervalSeconds: 3600, dockerSocket: '/run/user/1000/docker.sock' });
    expect(a.Entrypoint).toEqual(b.Entrypoint);
    expect(a.Env).toContain('OP_INTERVAL=2');
    expect(b.Env).toContain('OP_INTERVAL=3600');
    expect(collectorContainerSpec({ image: 'x' }).Env).toContain('OP_INTERVAL=15');
    expect(b.HostConfig?.Binds?.[0]).toBe('/run/user/1000/docker.sock:/var/run/docker.sock');
  });

  it('refuses an interval that is not a whole number of seconds from 1 to 3600, naming the field', () => {
    for (const bad of [0, -1, 1.5, 3601, Number.NaN]) {
      let err: unknown;
      try {
        collectorContainerSpec({ image: 'docker:27-cli', intervalSeconds: bad });
      } catch (e) {
        err = e;
      }
      expect(isAppError(err, 'INPUT_INVALID'), String(bad)).toBe(true);
      expect((err as Error).message).toMatch(/^intervalSeconds: expected a whole number of seconds/);
    }
  });
});
