// Runs in its own Node process (spawned by ssh-faults.test.ts) so an 'error' event nobody listens to
// crashes it visibly instead of being swallowed by the test runner. Prints one JSON line of outcomes.
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { AppError } from '../../src/main/services/core/errors.ts';
import { SshConnection, type HostKeyVerifier } from '../../src/main/services/ssh/connection.ts';
import { startFaultProxy, type Fault } from '../helpers/fault-proxy.ts';

interface Config {
  host: string;
  port: number;
  keyPath: string;
  fingerprints: string[];
  maxK: number;
  /** Positive control: emit an unhandled 'error' to show the parent detects a crash. */
  control?: boolean;
}

const cfg = JSON.parse(process.env.OP_FAULTS ?? '{}') as Config;
if (cfg.control) setTimeout(() => new EventEmitter().emit('error', new Error('control: unhandled error event')), 10);
else await main();

async function main(): Promise<void> {
  const proxy = await startFaultProxy(cfg.host, cfg.port);
  const hostKeys: HostKeyVerifier = {
    verify: async (_endpoint, key) => (cfg.fingerprints.includes(key.fingerprint) ? { ok: true } : { ok: false, error: new AppError('HOST_KEY_CHANGED', 'unexpected key') }),
    preferredAlgorithms: () => undefined,
  };
  const privateKey = readFileSync(cfg.keyPath);
  const faults: Fault[] = [];
  for (let k = 1; k <= cfg.maxK; k++) {
    for (const dir of ['up', 'down'] as const) {
      faults.push({ kind: 'rst', dir, k }, { kind: 'halfclose', dir, k });
      if (k <= 8) faults.push({ kind: 'corrupt', dir, k });
    }
  }
  faults.push(
    { kind: 'garbage', text: 'HTTP/1.1 400 Bad Request\r\n\r\n', close: true },
    { kind: 'garbage', text: 'SSH-2.0-fake\r\n\x00\x00\x00\x0cnot a packet at all', close: true },
    { kind: 'garbage', text: '\x16\x03\x01\x02\x00\x01\x00\x01\xfc', close: false },
    { kind: 'garbage', text: '', close: true },
  );
  const outcomes: { fault: Fault; result: string; code: string | null; message: string; ms: number }[] = [];
  for (const fault of faults) {
    proxy.fault = fault;
    const label = `root@fault:${fault.kind}`;
    const conn = new SshConnection({
      label,
      endpoint: { host: '127.0.0.1', port: proxy.port, username: 'root' },
      resolveAuth: async () => ({ privateKey }),
      hostKeys,
      readyTimeoutMs: 2_000,
      keepaliveIntervalMs: 1_000,
      reconnect: { baseMs: 50, maxMs: 100, maxAttempts: 0 },
    });
    const started = Date.now();
    let result: string;
    let code: string | null = null;
    let message = '';
    try {
      await Promise.race([conn.ready(), new Promise((_, reject) => setTimeout(() => reject(new Error('HUNG: no outcome in 10 s')), 10_000))]);
      // Connected: exercise the link so a cut after the handshake happens too.
      // Two sessions after the handshake, as before the connection stopped running one of its own on connect:
      // the k-th-chunk faults keep the same traffic to land in (the second only on a live link: no reconnect).
      await conn.exec(['true'], { timeoutMs: 3_000 }).catch(() => undefined);
      if (conn.state.state === 'ready') await conn.exec(['true'], { timeoutMs: 3_000 }).catch(() => undefined);
      result = 'ready';
    } catch (e) {
      result = 'error';
      code = e instanceof AppError ? e.code : null;
      message = e instanceof Error ? e.message : String(e);
    }
    conn.close();
    // The failed client's socket must be released too (bounded wait).
    for (let i = 0; i < 40 && proxy.open > 0; i++) await new Promise((r) => setTimeout(r, 50));
    outcomes.push({ fault, result, code, message: proxy.open > 0 ? `LEAKED socket; ${message}` : message, ms: Date.now() - started });
  }
  // Late errors (a second 'error' after the failure) surface within a moment.
  await new Promise((r) => setTimeout(r, 1_000));
  process.stdout.write(`${JSON.stringify({ outcomes, accepted: proxy.accepted, triggered: proxy.triggered })}\n`);
  await proxy.close();
}
