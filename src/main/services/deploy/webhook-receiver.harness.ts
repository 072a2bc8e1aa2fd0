import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import RECEIVER_SOURCE from './webhook-receiver.mjs?raw';

/** Test-only: the receiver program run with this machine's node on loopback (unit and integration tests). */
export const HARNESS_SECRET = 'c0ffee'.repeat(10);

export interface Receiver {
  port: number;
  dir: string;
  proc: ChildProcess;
  output(): string;
  post(path: string, body: string, headers: Record<string, string>, localAddress?: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>;
  get(path: string, timeoutMs?: number): Promise<{ status: number; body: string }>;
  log(): Record<string, unknown>[];
  /** SIGTERM and wait for the exit; the data dir stays (restart with `dir`). */
  kill(): Promise<void>;
  /** kill() and remove the data dir. */
  stop(): Promise<void>;
}

export interface ReceiverOpts {
  env?: Record<string, string>;
  /** Reuse a data dir (a restart); otherwise a new one with the spec of app `app1`. */
  dir?: string;
  builder?: Record<string, unknown>;
}

export async function startReceiver(opts: ReceiverOpts = {}): Promise<Receiver> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'openpanel-hook-'));
  if (!opts.dir) {
    mkdirSync(join(dir, 'webhooks/apps'), { recursive: true });
    const builder = opts.builder ?? { Image: 'x', Env: ['OP_JOB_ID=__OP_DEPLOY_ID__'], Labels: {} };
    const spec = { version: 1, appId: 'app1', appName: 'sample', branch: 'main', secret: HARNESS_SECRET, placeholder: '__OP_DEPLOY_ID__', substitute: ['OP_JOB_ID'], name: 'openpanel-job-__OP_DEPLOY_ID__', builder };
    writeFileSync(join(dir, 'webhooks/apps/app1.json'), JSON.stringify(spec), { mode: 0o600 });
  }
  const proc = spawn(process.execPath, ['--input-type=module', '-e', RECEIVER_SOURCE], {
    env: { PATH: process.env.PATH ?? '', OP_DATA: dir, OP_PORT: '0', OP_LISTEN: '127.0.0.1', OP_DOCKER_SOCKET: join(dir, 'no-docker.sock'), ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`receiver did not start: ${out}`)), 10_000);
    const look = () => {
      const m = /receiver on :(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', look);
    proc.once('exit', (code) => reject(new Error(`receiver exited (${code}): ${out}`)));
  });
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  return {
    port,
    dir,
    proc,
    output: () => out,
    post: (path, body, headers, localAddress) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, method: 'POST', localAddress, headers: { 'Content-Type': 'application/json', ...headers }, agent: false, timeout: 5000 }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
        });
        req.on('timeout', () => req.destroy(new Error(`POST ${path}: no answer within 5 s`)));
        req.on('error', reject);
        req.end(body);
      }),
    get: (path, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end();
      }),
    log: () =>
      readFileSync(join(dir, 'webhooks/deliveries.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    kill,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const signGithub = (body: string, secret = HARNESS_SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/** A raw TCP client that records when the other side closed it and what it answered. */
export interface RawClient {
  socket: Socket;
  openedAt: number;
  /** When the receiver closed it (0: still open). */
  closedAt: number;
  data: string;
}

export function rawClient(port: number, localAddress: string, first = ''): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const c: RawClient = { socket, openedAt: 0, closedAt: 0, data: '' };
    socket.on('data', (b: Buffer) => (c.data += b.toString()));
    socket.on('close', () => (c.closedAt = Date.now()));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => reject(new Error('connect: no answer within 3 s')), 3000);
    socket.once('connect', () => {
      clearTimeout(timer);
      c.openedAt = Date.now();
      if (first) socket.write(first);
      resolve(c);
    });
  });
}
