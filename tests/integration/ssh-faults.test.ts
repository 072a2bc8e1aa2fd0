import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, type TestServer } from '../testbed/index.ts';

interface Outcome {
  fault: { kind: string; dir?: string; k?: number };
  result: 'ready' | 'error';
  code: string | null;
  message: string;
  ms: number;
}

/** Runs the fault scenarios in a separate Node process: an unhandled 'error' event kills it visibly. */
function runChild(env: object): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'ssh-faults-child.ts')], {
      env: { ...process.env, OP_FAULTS: JSON.stringify(env) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('SSH handshake faults (fault proxy in front of a real sshd)', () => {
  let bed: Testbed;
  let s: TestServer;

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'sshflt' });
    s = await bed.addServer({ name: 'flt', docker: true });
  });
  afterAll(async () => {
    await bed?.teardown();
  });

  it('positive control: the parent sees a child that dies of an unhandled error event', async () => {
    const r = await runChild({ control: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unhandled 'error' event|control: unhandled error event/);
  });

  it('resets, half-closes, corrupted chunks and garbage at every handshake phase: the process lives, each attempt ends with a clear error', async () => {
    const maxK = 12;
    const r = await runChild({ host: s.host, port: s.port, keyPath: s.users.root.privateKeyPath, fingerprints: Object.values(s.hostKeyFingerprints), maxK });
    expect(r.code, `child died:\n${r.stderr.slice(-3000)}`).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { outcomes: Outcome[]; accepted: number; triggered: number };
    const outcomes = report.outcomes;
    expect(outcomes.length).toBe(maxK * 4 + 8 * 2 + 4);
    expect(report.accepted).toBe(outcomes.length);
    // The faults really happened, in both directions and before the handshake completed.
    expect(report.triggered).toBeGreaterThan(outcomes.length * 0.75);
    const failed = outcomes.filter((o) => o.result === 'error');
    expect(failed.filter((o) => o.fault.dir === 'up').length).toBeGreaterThanOrEqual(8);
    expect(failed.filter((o) => o.fault.dir === 'down').length).toBeGreaterThanOrEqual(8);
    expect(outcomes.filter((o) => o.result === 'ready').length).toBeGreaterThan(0); // the proxy does pass a clean handshake through
    for (const o of failed) {
      const what = JSON.stringify(o);
      expect(o.code, what).toMatch(/^(CONNECT_FAILED|TIMEOUT)$/);
      expect(o.message, what).toContain('root@fault:');
      expect(o.message, what).toMatch(/Cannot reach|handshake|not valid SSH|in time/);
      expect(o.message, what).not.toMatch(/HUNG/);
      expect(o.ms, what).toBeLessThan(8_000);
    }
    // Every client socket was released, failed or not.
    expect(outcomes.filter((o) => o.message.includes('LEAKED'))).toEqual([]);
  });
});
