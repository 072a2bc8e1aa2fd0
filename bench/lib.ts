import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SshConnection, type SshAuth } from '../src/main/services/ssh/connection.ts';
import type { TestServer } from '../tests/testbed/index.ts';

export interface Proxy {
  host: string;
  port: number;
  close(): void;
}

/** Delay proxies for several servers, all in one child process. */
export async function proxyProcesses(servers: TestServer[], delayMs: number): Promise<Proxy[]> {
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'proxy-child.ts'), String(delayMs), ...servers.map((s) => `${s.host}:${s.port}`)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim().split(' ').map(Number)));
    child.once('exit', (c) => reject(new Error(`proxy exited ${c}`)));
  });
  let closed = false;
  const close = () => {
    if (!closed) child.stdin!.end();
    closed = true;
  };
  return ports.map((port) => ({ host: '127.0.0.1', port, close }));
}

export async function proxyProcess(s: TestServer, delayMs: number): Promise<Proxy> {
  return (await proxyProcesses([s], delayMs))[0]!;
}

/** A connection to a test server that trusts exactly its real host key. */
export function connectionTo(s: TestServer, via?: Proxy, auth?: SshAuth): SshConnection {
  return new SshConnection({
    label: `root@${s.name}`,
    endpoint: { host: via?.host ?? s.host, port: via?.port ?? s.port, username: 'root' },
    resolveAuth: async () => auth ?? { privateKey: s.users.root.privateKey },
    hostKeys: {
      preferredAlgorithms: () => ['ssh-ed25519'],
      verify: async (_e, key) => (key.fingerprint === s.hostKeyFingerprint ? { ok: true } : { ok: false, error: new Error('host key mismatch') as never }),
    },
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function fmt(n: number, d = 2): string {
  return n.toFixed(d);
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ')).join('\n');
}
