// Helpers of bench/cluster.bench.ts: the `ssh` CLI through the delay proxies, a zero-latency observer on a
// manager's Engine API socket, a bounded wait.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCommand } from '../src/main/services/ssh/quote.ts';
import type { TestServer } from '../tests/testbed/index.ts';
import type { Proxy } from './lib.ts';

export interface CliResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** OpenSSH's client to the test servers through their delay proxies, each call a new connection (as typed). */
export class SshCli {
  private readonly dir = mkdtempSync(join(tmpdir(), 'openpanel-bench-ssh-'));
  private readonly knownHosts = join(this.dir, 'known_hosts');

  private readonly servers: TestServer[];
  private readonly proxies: Proxy[];

  constructor(servers: TestServer[], proxies: Proxy[]) {
    this.servers = servers;
    this.proxies = proxies;
    writeFileSync(this.knownHosts, servers.map((s, i) => s.knownHostsLines(`[127.0.0.1]:${proxies[i]!.port}`)).join(''));
  }

  private args(i: number, argv: string[]): string[] {
    const s = this.servers[i]!;
    return [
      '-i', s.users.root.privateKeyPath,
      '-p', String(this.proxies[i]!.port),
      '-o', `UserKnownHostsFile=${this.knownHosts}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
      '-o', 'HostKeyAlgorithms=ssh-ed25519',
      '-o', 'ConnectTimeout=20',
      'root@127.0.0.1',
      toCommand(argv),
    ];
  }

  /** Runs argv on server i; rejects on a non-zero exit or after timeoutMs (the process is killed). */
  run(i: number, argv: string[], timeoutMs = 120_000): Promise<CliResult> {
    const t0 = performance.now();
    const child = spawn('ssh', this.args(i, argv), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('close', (code) => {
        clearTimeout(timer);
        const r = { ms: performance.now() - t0, code, stdout, stderr };
        if (code === 0) resolve(r);
        else reject(new Error(`ssh ${this.servers[i]!.name} ${argv.join(' ')}: exit ${code}\n${stderr}`));
      });
    });
  }

  /** Runs argv on server i and hands each output line to onLine as it arrives; stop() ends it. */
  stream(i: number, argv: string[], onLine: (line: string, at: number) => void): { stop(): void } {
    const child = spawn('ssh', this.args(i, argv), { stdio: ['ignore', 'pipe', 'inherit'] });
    let rest = '';
    child.stdout.on('data', (d: Buffer) => {
      const at = performance.now();
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line, at);
    });
    return { stop: () => void child.kill('SIGTERM') };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** GET on a server's Engine API through its socket from the root namespace: no SSH, no added latency. */
export function engineGet<T>(s: TestServer, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: s.dockerSocketPath, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface EngineTask {
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string };
  Spec?: { ContainerSpec?: { Image?: string } };
}

/** The service's tasks meant to run, as the manager itself knows them. */
export function desiredTasks(manager: TestServer, service: string): Promise<EngineTask[]> {
  const filters = encodeURIComponent(JSON.stringify({ service: [service], 'desired-state': ['running'] }));
  return engineGet<EngineTask[]>(manager, `/tasks?filters=${filters}`);
}

/** Polls fn every intervalMs until it returns non-null; throws naming what it waited for after timeoutMs. */
export async function until<T>(fn: () => Promise<T | null>, what: string, timeoutMs: number, intervalMs = 100): Promise<T> {
  const end = performance.now() + timeoutMs;
  let last: unknown = null;
  while (performance.now() < end) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export function load(): string {
  return loadavg().map((x) => x.toFixed(1)).join(' / ');
}

/** The median; the mean of the middle two for an even count. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const secs = (ms: number): string => (ms / 1000).toFixed(2);

/** The machine's CPU time so far (/proc/stat, all cores): busy and total jiffies. */
export function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The share of the machine's CPU (all cores) that was busy between two readings of cpuTimes(). */
export function busyShare(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return (b.busy - a.busy) / Math.max(1, b.total - a.total);
}
