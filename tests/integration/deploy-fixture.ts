// Shared pieces of the Ship tests: a git repository served to test servers without internet, the proxy set up
// through image overrides (no registry), HTTP by Host name, and following a deploy through its live stream.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContractRouterClient } from '@orpc/contract';
import type { Contract, Deploy, ProxyDriverName } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, type Testbed, type TestServer } from '../testbed/index.ts';

type Client = ContractRouterClient<Contract>;

/** The proxy under test: a real Traefik when its image is provided (a `docker save` tarball + its tag), else Caddy. */
export const TRAEFIK_TAR = process.env.OPENPANEL_TEST_TRAEFIK_TAR ?? '';
export const TRAEFIK_IMAGE = process.env.OPENPANEL_TEST_TRAEFIK_IMAGE ?? '';
export const DRIVER: ProxyDriverName = TRAEFIK_TAR && TRAEFIK_IMAGE ? 'traefik' : 'caddy';

/** A tiny web app: busybox httpd serving index.html; the shell in front stops at once on SIGTERM (docker stop). */
export const SAMPLE_DOCKERFILE =
  'FROM busybox:latest\nCOPY index.html /www/index.html\nCMD ["sh", "-c", "trap \'exit 0\' TERM; httpd -f -p 8080 -h /www & wait"]\n';

export class GitRepo {
  readonly base = mkdtempSync(join(tmpdir(), 'openpanel-git-'));
  readonly work = join(this.base, 'work');
  readonly bare = join(this.base, 'sample.git');
  private daemon: ChildProcess | null = null;
  url = '';

  constructor() {
    mkdirSync(this.work);
    this.git(['init', '-q', '-b', 'main']);
    this.git(['config', 'user.email', 'test@openpanel.invalid']);
    this.git(['config', 'user.name', 'test']);
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', this.bare]);
    this.git(['remote', 'add', 'origin', this.bare]);
  }

  git(args: string[]): string {
    return execFileSync('git', args, { cwd: this.work, encoding: 'utf8' });
  }

  /** Writes files, commits and pushes; returns the commit id. */
  commit(files: Record<string, string>, message: string): string {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.work, name), text);
    this.git(['add', '-A']);
    this.git(['commit', '-q', '-m', message]);
    this.git(['push', '-q', 'origin', 'main']);
    return this.git(['rev-parse', 'HEAD']).trim();
  }

  /** `git daemon` on the bed's bridge address: test servers reach it, nothing else can route to it. */
  async serve(bed: Testbed): Promise<string> {
    const port = await freePort(bed.gateway);
    this.daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${this.base}`, `--listen=${bed.gateway}`, `--port=${port}`, this.base], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await canConnect(bed.gateway, port)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    this.url = `git://${bed.gateway}:${port}/sample.git`;
    return this.url;
  }

  close(): void {
    this.daemon?.kill('SIGTERM');
    rmSync(this.base, { recursive: true, force: true });
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, host);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** Images without a registry: Caddy and the builder built from Debian packages, mapped through the overrides. */
export async function loadShipImages(s: TestServer): Promise<Record<string, string>> {
  await s.loadImage('busybox');
  // Like docker:27-cli (Alpine with git, openssh-client and the docker CLI): ssh is for ssh:// git URLs.
  const builder = await s.loadImage('debian', { packages: ['git', 'docker.io', 'openssh-client'], tag: 'openpanel-test/builder:latest' });
  const images: Record<string, string> = { 'docker:27-cli': builder, 'busybox:latest': BUSYBOX_TAG };
  if (DRIVER === 'traefik') {
    await s.exec(['docker', 'load', '-i', TRAEFIK_TAR], { check: true, timeoutMs: 120_000 });
    images['traefik:v3.3'] = TRAEFIK_IMAGE;
  } else {
    images['caddy:2'] = await s.loadImage('debian', { packages: ['caddy'], tag: 'openpanel-test/caddy:latest' });
  }
  return images;
}

/** Ship settings for a test server (data under the server's private /tmp), then the proxy installed. */
export async function setupProxy(client: Client, serverId: string, images: Record<string, string>): Promise<void> {
  await client.proxy.updateSettings({ serverId, settings: { driver: DRIVER, dataDir: '/tmp/openpanel', httpsRedirect: false, imageOverrides: { prefix: null, images } } });
  const st = await client.proxy.install({ serverId });
  if (!st.running) throw new Error(`proxy not running: ${JSON.stringify(st)}`);
}

/**
 * GET through the proxy with a Host header; resolves with status and body (never rejects).
 * Without an agent every request opens its own connection. With a keep-alive agent it behaves like a browser:
 * a request sent on a reused idle connection that the server closed before answering is sent once more on a new
 * one (RFC 9112 §9.3.1 allows this for idempotent requests, and browsers do it). A graceful proxy reload closes
 * idle keep-alive connections, so a client without this retry would count a request that no browser would fail.
 */
export function getByHost(address: string, host: string, path = '/', timeoutMs = 3000, agent?: Agent): Promise<{ status: number; body: string }> {
  const once = (): Promise<{ status: number; body: string; retry?: boolean }> =>
    new Promise((resolve) => {
      let answered = false;
      const req = request({ host: address, port: 80, path, headers: { Host: host }, timeout: timeoutMs, agent: agent ?? false }, (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: 0, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => {
        const closedIdle = req.reusedSocket && !answered && (e.code === 'ECONNRESET' || e.message === 'socket hang up');
        resolve({ status: 0, body: String(e), retry: closedIdle });
      });
      req.end();
    });
  return once().then((r) => (r.retry ? once() : r)).then(({ status, body }) => ({ status, body }));
}

/** POST through the proxy with a Host header, as a forge delivers a webhook; resolves with status and body (never rejects). */
export function postByHost(address: string, host: string, path: string, body: string, headers: Record<string, string>, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request({ host: address, port: 80, path, method: 'POST', headers: { Host: host, 'Content-Type': 'application/json', ...headers }, timeout: timeoutMs, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: 0, body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: String(e) }));
    req.end(body);
  });
}

/** Follows a deploy through apps.watchDeploy until it ends; returns its final state and the log it streamed. */
export async function followDeploy(client: Client, deployId: string, timeoutMs = 120_000, onState?: (d: Deploy) => void): Promise<{ deploy: Deploy; log: string }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let log = '';
  let last: Deploy | null = null;
  try {
    const it = await client.apps.watchDeploy({ deployId, since: 0 }, { signal: ac.signal });
    for await (const ev of it) {
      if (ev.type === 'log') log = log.slice(0, ev.from) + ev.data;
      else {
        last = ev.deploy;
        onState?.(ev.deploy);
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (!last) throw new Error('no state received');
  return { deploy: last, log };
}
