// OpenPanel's test bed: real Linux test servers on this machine, each in its own network, UTS and mount
// namespace with its own sshd and dockerd, reachable over a private bridge in 10.231.0.0/16.
// See docs/testbed.md. Node built-ins only; runs directly under Node 22 (type stripping) and in vitest.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  type CachedImage,
  type DebianOptions,
  type ImageName,
  aptMirrorRepo,
  busyboxImage,
  debianImage,
  noDockerRootfs,
} from './images.ts';
import { type LatencyProxy, startLatencyProxy } from './latency.ts';
import {
  type BedState,
  GLOBAL_LOCK,
  type ServerState,
  UNREACHABLE_ROUTE,
  bedIsStale,
  cleanupAllSync,
  destroyBedSync,
  listBedStates,
  orphanState,
  readBedState,
  trackingHierarchy,
  writeBedState,
} from './state.ts';
import {
  CGROUP_NAME,
  DATA_ROOT,
  NAME_PREFIX,
  NET16,
  type RunResult,
  SYS_PATH,
  pidAlive,
  pidStartTime,
  run,
  tail,
  waitFor,
  withLock,
} from './util.ts';

export { BUSYBOX_TAG, DEBIAN_TAG, NODOCKER_PACKAGES } from './images.ts';
export type { ImageName, DebianOptions } from './images.ts';
export type { LatencyProxy } from './latency.ts';
export type { RunResult } from './util.ts';
export { cleanupAllSync } from './state.ts';

// ---------------------------------------------------------------------------------------------- types

export type KeyUser = {
  username: string;
  /** private key text (OpenSSH or PEM format) */
  privateKey: string;
  privateKeyPath: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
  keyType: 'ed25519' | 'rsa' | 'ecdsa';
};
export type EncKeyUser = KeyUser & { passphrase: string };
export type PasswordUser = { username: string; password: string };

/**
 * The accounts every test server has:
 * - root:   key login (ed25519, OpenSSH format)
 * - enc:    `encuser`, ed25519 key encrypted with a passphrase; in the docker group
 * - pw:     `pwuser`, password only (no authorized keys); in the docker group
 * - docker: `dockeruser`, RSA key in PEM format; in the docker group
 * - sudo:   `sudouser`, ECDSA key; NOT in the docker group; passwordless sudo (`sudo -n docker …`)
 */
export type ServerUsers = {
  root: KeyUser;
  enc: EncKeyUser;
  pw: PasswordUser;
  docker: KeyUser;
  sudo: KeyUser;
};

export type ServerOptions = {
  /** [a-z][a-z0-9-]{0,11}; also the hostname */
  name: string;
  /**
   * true (default): the server runs its own dockerd. false: Docker is really absent — the server runs in a
   * Debian bookworm rootfs of its own (overlay + pivot_root; no docker CLI, no dockerd, no docker group).
   */
  docker?: boolean;
  /** docker: false only — point the server's apt at this local mirror (see Testbed.aptMirror) */
  aptMirror?: AptMirror;
  /** sshd with MaxSessions 2 and AllowStreamLocalForwarding no */
  hardened?: boolean;
  /**
   * sshd with UsePAM yes, KbdInteractiveAuthentication yes and PasswordAuthentication no: pwuser can log in
   * only by keyboard-interactive (PAM asks "Password: " through pam_unix). Keys still work. The server gets
   * a private /etc/pam.d/sshd (pam_unix auth/account, pam_permit session).
   */
  kbdInteractive?: boolean;
  /** put this server behind a bastion: reachable only from the bastion's namespace */
  behind?: TestServer;
  /** images to import right away (see TestServer.loadImage) */
  images?: ImageName[];
};

export type ExecOptions = {
  input?: string | Buffer;
  /** default 60 s */
  timeoutMs?: number;
  env?: Record<string, string>;
  /** throw when the exit code is not 0 (default false) */
  check?: boolean;
};

/** A local flat apt repository served over HTTP on the bed's bridge address. */
export type AptMirror = {
  /** http://10.231.N.1:PORT/ */
  url: string;
  /** the sources.list line servers use: `deb [trusted=yes] <url> ./` */
  sourcesLine: string;
  /** directory with the .debs, Packages, Release */
  dir: string;
  pid: number;
};

export type TestbedOptions = {
  /** [a-z0-9]{1,7}, unique per test file (default: random). Names: optb-<prefix>-… */
  prefix?: string;
  /** keep the bed when this process exits (CLI `up`); default false */
  persistent?: boolean;
};

// ------------------------------------------------------------------------------------------ constants

const MAX_SERVERS = 60;
const MAX_SLOT = 120;
const SSHD = '/usr/sbin/sshd';
const DOCKER_BIP = `${NET16}.224.1/24`;
const DOCKER_POOL_BASE = `${NET16}.232.0/21`;
const DOCKER_POOL = `base=${DOCKER_POOL_BASE},size=24`;
const HOST_KEY_TYPES = ['ed25519', 'ecdsa', 'rsa'] as const;
type HostKeyType = (typeof HOST_KEY_TYPES)[number];

const USER_DEFS = {
  docker: { username: 'dockeruser', uid: 2001, docker: true },
  sudo: { username: 'sudouser', uid: 2002, docker: false },
  pw: { username: 'pwuser', uid: 2003, docker: true },
  enc: { username: 'encuser', uid: 2004, docker: true },
} as const;

// --------------------------------------------------------------------------------------- exit handler

const liveBeds = new Set<Testbed>();
let exitHandlerInstalled = false;
function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const bed of liveBeds) {
      if (bed.persistent) continue;
      try {
        const st = readBedState(bed.prefix);
        if (st && st.ownerPid === process.pid) destroyBedSync(st);
      } catch {
        /* best effort */
      }
    }
  });
}

// ----------------------------------------------------------------------------------------- helpers

function fingerprintOf(pubLine: string): string {
  const blob = pubLine.trim().split(/\s+/)[1];
  if (!blob) throw new Error(`bad public key: ${pubLine}`);
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

async function keygen(file: string, type: 'ed25519' | 'ecdsa' | 'rsa', opts: { passphrase?: string; pem?: boolean; comment: string }): Promise<void> {
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  const args = ['ssh-keygen', '-q', '-t', type, '-N', opts.passphrase ?? '', '-C', opts.comment, '-f', file];
  if (type === 'rsa') args.push('-b', opts.pem ? '3072' : '2048');
  if (opts.pem) args.push('-m', 'PEM');
  await run(args);
}

function httpPing(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ path: socketPath });
    let data = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => sock.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n'));
    sock.on('data', (b: Buffer) => {
      data += b.toString();
      if (/^HTTP\/1\.[01] 200/.test(data) && data.includes('OK')) done(true);
    });
    sock.on('error', () => done(false));
    sock.on('close', () => done(/^HTTP\/1\.[01] 200/.test(data)));
  });
}

function countOccurrences(file: string, needle: string): number {
  try {
    return fs.readFileSync(file, 'utf8').split(needle).length - 1;
  } catch {
    return 0;
  }
}

/** spawn argv as a detached daemon inside cgroup `procsFile`, stdout/stderr appended to `logFile`. */
function spawnDaemon(procsFile: string, argv: string[], logFile: string, env?: Record<string, string>): number {
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', procsFile, ...argv], {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: '/',
      env: env ?? { PATH: SYS_PATH, LANG: 'C.UTF-8' },
    });
    child.on('error', () => {});
    child.unref();
    if (!child.pid) throw new Error(`could not spawn ${argv.join(' ')}`);
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

type BedKeys = {
  root: KeyUser;
  enc: EncKeyUser;
  docker: KeyUser;
  sudo: KeyUser;
  password: string;
  passwordHash: string;
};

async function makeBedKeys(dir: string): Promise<BedKeys> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passphrase = `pp-${randomBytes(9).toString('base64url')}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const specs = [
    { kind: 'root', username: 'root', type: 'ed25519', file: 'root_ed25519' },
    { kind: 'enc', username: USER_DEFS.enc.username, type: 'ed25519', file: 'enc_ed25519', passphrase },
    { kind: 'docker', username: USER_DEFS.docker.username, type: 'rsa', file: 'docker_rsa', pem: true },
    { kind: 'sudo', username: USER_DEFS.sudo.username, type: 'ecdsa', file: 'sudo_ecdsa' },
  ] as const;
  const [hash] = await Promise.all([
    run(['openssl', 'passwd', '-6', '-stdin'], { input: `${password}\n` }),
    ...specs.map((s) =>
      keygen(path.join(dir, s.file), s.type, {
        passphrase: 'passphrase' in s ? s.passphrase : '',
        pem: 'pem' in s ? s.pem : false,
        comment: `${s.username}@openpanel-testbed`,
      }),
    ),
  ]);
  const user = (s: (typeof specs)[number]): KeyUser => {
    const p = path.join(dir, s.file);
    return {
      username: s.username,
      privateKey: fs.readFileSync(p, 'utf8'),
      privateKeyPath: p,
      publicKey: fs.readFileSync(`${p}.pub`, 'utf8').trim(),
      keyType: s.type,
    };
  };
  return {
    root: user(specs[0]),
    enc: { ...user(specs[1]), passphrase },
    docker: user(specs[2]),
    sudo: user(specs[3]),
    password,
    passwordHash: hash.stdout.trim(),
  };
}

// ------------------------------------------------------------------------------------------- server

export class TestServer {
  readonly bed: Testbed;
  readonly name: string;
  readonly index: number;
  /** address the app connects to (for a server behind a bastion: as seen from the bastion) */
  readonly host: string;
  readonly port = 22;
  readonly hardened: boolean;
  /** sshd offers keyboard-interactive through PAM and refuses the password method (ServerOptions.kbdInteractive) */
  readonly kbdInteractive: boolean;
  readonly docker: boolean;
  readonly behind: TestServer | undefined;
  /** docker: false servers: the shared read-only Debian rootfs (lower layer of their overlay root) */
  readonly rootfs: string | undefined;
  readonly netns: string;
  readonly dir: string;
  readonly users: ServerUsers;
  /** SHA256 fingerprint of the ed25519 host key, as `ssh-keygen -lf` prints it */
  hostKeyFingerprint = '';
  /** fingerprints of every host key type */
  hostKeyFingerprints: Record<HostKeyType, string> = { ed25519: '', ecdsa: '', rsa: '' };
  /** `ssh-ed25519 AAAA…` lines of every host key type */
  hostPublicKeys: Record<HostKeyType, string> = { ed25519: '', ecdsa: '', rsa: '' };
  anchorPid = 0;
  dockerdPid = 0;
  sshdPid = 0;
  readonly state: ServerState;
  private readonly proxies = new Set<LatencyProxy>();
  private readonly loadedImages = new Map<string, string>();

  constructor(init: {
    bed: Testbed;
    name: string;
    index: number;
    host: string;
    hardened: boolean;
    kbdInteractive?: boolean;
    docker: boolean;
    behind: TestServer | undefined;
    rootfs: string | undefined;
    users: ServerUsers;
    state: ServerState;
  }) {
    this.bed = init.bed;
    this.name = init.name;
    this.index = init.index;
    this.host = init.host;
    this.hardened = init.hardened;
    this.kbdInteractive = init.kbdInteractive ?? false;
    this.docker = init.docker;
    this.behind = init.behind;
    this.rootfs = init.rootfs;
    this.users = init.users;
    this.state = init.state;
    this.netns = init.state.netns;
    this.dir = init.state.dir;
  }

  /** where sshd's config, host keys, authorized keys and log live (root mount namespace path) */
  get sshBase(): string {
    return this.rootfs ? path.join(this.dir, 'optb') : this.dir;
  }
  /** the same directory as sshd sees it */
  get sshBaseInside(): string {
    return this.rootfs ? '/.optb' : this.dir;
  }
  get sshdLog(): string {
    return path.join(this.sshBase, 'sshd.log');
  }
  get dockerdLog(): string {
    return path.join(this.dir, 'dockerd.log');
  }
  private get procsFile(): string {
    return path.join(trackingHierarchy(), this.state.cgroup, 'cgroup.procs');
  }
  /** docker.sock of this server, reachable from the root mount namespace */
  get dockerSocketPath(): string {
    return `/proc/${this.anchorPid}/root/run/docker.sock`;
  }

  /** `known_hosts` lines for this server (as reached at host:port, or at `alias`). */
  knownHostsLines(alias?: string): string {
    const h = alias ?? this.host;
    return HOST_KEY_TYPES.map((t) => `${h} ${this.hostPublicKeys[t].split(/\s+/).slice(0, 2).join(' ')}`).join('\n') + '\n';
  }

  /** Run argv as root inside the server's namespaces (no shell; use sh() for one). Never throws on exit code unless check. */
  async exec(argv: string[], opts: ExecOptions = {}): Promise<RunResult> {
    if (!this.anchorPid || !pidAlive(this.anchorPid)) throw new Error(`server ${this.name} is not running`);
    const r = await run(
      ['/bin/sh', '-c', 'echo $$ > "$0" && exec "$@"', this.procsFile, 'nsenter', '-t', String(this.anchorPid), '-m', '-n', '-u', '--', ...argv],
      {
        input: opts.input,
        timeoutMs: opts.timeoutMs ?? 60_000,
        env: { PATH: SYS_PATH, LANG: 'C.UTF-8', HOME: '/root', USER: 'root', ...opts.env },
        check: false,
      },
    );
    if (opts.check && r.code !== 0) {
      throw new Error(
        `[${this.name}] exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${argv.join(' ')}\n${r.stderr.trim()}\n${r.stdout.trim().slice(-2000)}`,
      );
    }
    return r;
  }

  /** Run a shell script as root inside the server. */
  sh(script: string, opts: ExecOptions = {}): Promise<RunResult> {
    return this.exec(['/bin/sh', '-c', script], opts);
  }

  async fileExists(p: string): Promise<boolean> {
    return (await this.exec(['test', '-e', p])).code === 0;
  }

  private linkCmd(updown: 'up' | 'down'): string[] {
    if (this.state.hostVeth) return ['ip', 'link', 'set', this.state.hostVeth, updown];
    if (this.state.bastionNetns && this.state.bastionVeth) {
      return ['ip', '-n', this.state.bastionNetns, 'link', 'set', this.state.bastionVeth, updown];
    }
    throw new Error(`server ${this.name} has no link`);
  }

  /** Take the server's link down: packets are dropped, TCP connections stall (no reset). */
  async cutLink(): Promise<void> {
    await run(this.linkCmd('down'));
  }

  async restoreLink(): Promise<void> {
    await run(this.linkCmd('up'));
  }

  /** Generate new host keys and make sshd reload them (SIGHUP; same pid). Fingerprints are updated. */
  async changeHostKey(): Promise<void> {
    const before = countOccurrences(this.sshdLog, 'Server listening on');
    await this.generateHostKeys();
    process.kill(this.sshdPid, 'SIGHUP');
    await waitFor(
      `sshd of ${this.name} to reload`,
      () => {
        if (!pidAlive(this.sshdPid)) throw new Error(`sshd died:\n${tail(this.sshdLog)}`);
        return countOccurrences(this.sshdLog, 'Server listening on') > before;
      },
      10_000,
    );
  }

  /** @internal */
  async generateHostKeys(): Promise<void> {
    const d = path.join(this.sshBase, 'ssh');
    fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    await Promise.all(
      HOST_KEY_TYPES.map((t) => keygen(path.join(d, `ssh_host_${t}_key`), t, { comment: `root@${this.name}` })),
    );
    for (const t of HOST_KEY_TYPES) {
      const pub = fs.readFileSync(path.join(d, `ssh_host_${t}_key.pub`), 'utf8').trim();
      this.hostPublicKeys[t] = pub;
      this.hostKeyFingerprints[t] = fingerprintOf(pub);
    }
    this.hostKeyFingerprint = this.hostKeyFingerprints.ed25519;
  }

  /**
   * A loopback TCP proxy 127.0.0.1:port -> this server's sshd, delaying each direction by delayMs
   * (so a round trip costs 2 × delayMs more). Closed by teardown if not before.
   */
  async latencyProxy(opts: { delayMs: number }): Promise<LatencyProxy> {
    if (this.behind) throw new Error(`server ${this.name} is behind a bastion: proxy the bastion instead`);
    const p = await startLatencyProxy(this.host, this.port, opts.delayMs);
    const close = p.close.bind(p);
    const wrapped: LatencyProxy = Object.assign(p, {
      close: async () => {
        this.proxies.delete(wrapped);
        await close();
      },
    });
    this.proxies.add(wrapped);
    return wrapped;
  }

  /** @internal */
  async closeProxies(): Promise<void> {
    await Promise.all([...this.proxies].map((p) => p.close()));
  }

  /**
   * Import an image built on this machine (no registry): 'busybox' -> openpanel-test/busybox:latest,
   * 'debian' -> openpanel-test/debian:bookworm (with packages: a tag with a key suffix). Returns the tag.
   */
  async loadImage(name: ImageName, opts: DebianOptions = {}): Promise<string> {
    if (!this.docker) throw new Error(`server ${this.name} has no docker`);
    let img: CachedImage;
    if (name === 'busybox') img = await busyboxImage();
    else if (name === 'debian') img = await debianImage(opts);
    else throw new Error(`unknown image ${String(name)}`);
    if (this.loadedImages.get(img.tag) === img.tarball) return img.tag;
    const args = ['docker', 'import'];
    for (const c of img.changes) args.push('--change', c);
    args.push(img.tarball, img.tag);
    let r = await this.exec(args, { timeoutMs: 300_000 });
    if (r.code !== 0) r = await this.exec(args, { timeoutMs: 300_000 }); // one retry: seen once under load, cause unknown
    if (r.code !== 0) {
      throw new Error(
        `[${this.name}] docker import of ${img.tag} failed: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n${r.stderr.trim()}\n--- dockerd log tail ---\n${this.dockerLogTail(15)}`,
      );
    }
    this.loadedImages.set(img.tag, img.tarball);
    return img.tag;
  }

  dockerLogTail(lines = 30): string {
    return tail(this.dockerdLog, lines);
  }
  sshdLogTail(lines = 30): string {
    return tail(this.sshdLog, lines);
  }
}

// ------------------------------------------------------------------------------------------ testbed

export class Testbed {
  readonly prefix: string;
  readonly slot: number;
  readonly bridge: string;
  /** the bridge's address in the root namespace (servers reach the host here) */
  readonly gateway: string;
  readonly subnet: string;
  readonly persistent: boolean;
  readonly servers: TestServer[] = [];
  readonly state: BedState;
  private nextIndex = 1;
  private keysPromise: Promise<BedKeys> | undefined;
  private readonly mirrors = new Map<string, Promise<AptMirror>>();
  private tornDown = false;

  private constructor(state: BedState) {
    this.state = state;
    this.prefix = state.prefix;
    this.slot = state.slot;
    this.bridge = state.bridge;
    this.gateway = `${NET16}.${state.slot}.1`;
    this.subnet = `${NET16}.${state.slot}.0/24`;
    this.persistent = state.persistent;
  }

  get dir(): string {
    return path.join(DATA_ROOT, this.prefix);
  }

  /** Create an (empty) test bed: a bridge with its own /24, state under /run/openpanel-testbed. */
  static async create(opts: TestbedOptions = {}): Promise<Testbed> {
    if (process.getuid?.() !== 0) throw new Error('the test bed needs root');
    const prefix = opts.prefix ?? `r${randomBytes(4).toString('hex').slice(0, 5)}`;
    if (!/^[a-z0-9]{1,7}$/.test(prefix)) throw new Error(`bad prefix ${JSON.stringify(prefix)}: [a-z0-9]{1,7}`);
    const state = await withLock(GLOBAL_LOCK, 60_000, async () => {
      // reap beds of crashed runs (owner gone, not persistent)
      for (const b of listBedStates()) {
        if (bedIsStale(b)) destroyBedSync(b, { underGlobalLock: true });
      }
      const existing = readBedState(prefix);
      // leftovers of this prefix without a state file (crash between creating and recording)
      if (!existing) destroyBedSync(orphanState(prefix), { underGlobalLock: true });
      if (existing) throw new Error(`test bed prefix ${prefix} is in use (owner pid ${existing.ownerPid}); use another prefix or run cli.ts down ${prefix}`);
      const used = new Set(listBedStates().map((b) => b.slot));
      let slot = 0;
      for (let i = 1; i <= MAX_SLOT; i++) {
        if (!used.has(i)) {
          slot = i;
          break;
        }
      }
      if (!slot) throw new Error('no free test bed slot (too many beds)');
      const st: BedState = {
        prefix,
        slot,
        bridge: `${NAME_PREFIX}${prefix}-br`,
        ownerPid: process.pid,
        ownerStart: pidStartTime(process.pid),
        persistent: opts.persistent ?? false,
        createdAt: new Date().toISOString(),
        servers: [],
      };
      writeBedState(st);
      await run(['ip', '-batch', '-'], {
        input: [
          `link add ${st.bridge} type bridge`,
          `addr add ${NET16}.${slot}.1/24 dev ${st.bridge}`,
          `link set ${st.bridge} up`,
          // traffic to our /16 that no bed routes must fail at once instead of leaving via the default route
          `route replace unreachable ${UNREACHABLE_ROUTE}`,
        ].join('\n') + '\n',
      });
      for (const ctl of new Set([trackingHierarchy()])) {
        fs.mkdirSync(path.join(ctl, CGROUP_NAME, prefix), { recursive: true });
      }
      return st;
    });
    const bed = new Testbed(state);
    liveBeds.add(bed);
    installExitHandler();
    return bed;
  }

  /** Find a server by name. */
  server(name: string): TestServer {
    const s = this.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }

  private keys(): Promise<BedKeys> {
    this.keysPromise ??= makeBedKeys(path.join(this.dir, '_keys'));
    return this.keysPromise;
  }

  /**
   * A local apt mirror with `packages` (default docker.io) and their dependencies, served over HTTP on the
   * bridge address; pass it to addServer({ docker: false, aptMirror }). The repository is built once and
   * cached (~1 min the first time, from the Debian mirror); the server process lives in the bed's cgroup.
   */
  aptMirror(packages: string[] = ['docker.io']): Promise<AptMirror> {
    const key = [...packages].sort().join(',');
    let p = this.mirrors.get(key);
    if (!p) {
      p = this.startMirror(packages);
      this.mirrors.set(key, p);
    }
    return p;
  }

  private async startMirror(packages: string[]): Promise<AptMirror> {
    const dir = await aptMirrorRepo(packages);
    const cg = path.join(trackingHierarchy(), CGROUP_NAME, this.prefix, `_mirror${this.mirrors.size}`);
    fs.mkdirSync(cg, { recursive: true });
    const script = new URL('./mirror-server.ts', import.meta.url).pathname;
    const child = spawn('/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', path.join(cg, 'cgroup.procs'), process.execPath, script, dir, this.gateway], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`apt mirror did not start: ${err}`)), 15_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /^(\d+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`apt mirror exited (${code}): ${err}`));
      });
    });
    child.removeAllListeners('exit');
    child.stdout.destroy();
    child.stderr.destroy();
    child.unref();
    const url = `http://${this.gateway}:${port}/`;
    return { url, sourcesLine: `deb [trusted=yes] ${url} ./`, dir, pid: child.pid ?? 0 };
  }

  /** Bring up several servers in parallel (bastions before the servers behind them). */
  async addServers(list: ServerOptions[]): Promise<TestServer[]> {
    return Promise.all(list.map((o) => this.addServer(o)));
  }

  /** Bring up one server: netns + veth, private mounts and users, sshd, dockerd, images. */
  async addServer(opts: ServerOptions): Promise<TestServer> {
    if (this.tornDown) throw new Error('test bed was torn down');
    const name = opts.name;
    if (!/^[a-z][a-z0-9-]{0,11}$/.test(name)) throw new Error(`bad server name ${JSON.stringify(name)}: [a-z][a-z0-9-]{0,11}`);
    if (this.state.servers.some((s) => s.name === name)) throw new Error(`server ${name} exists`);
    if (opts.behind && opts.behind.bed !== this) throw new Error('bastion belongs to another test bed');
    const index = this.nextIndex++;
    if (index > MAX_SERVERS) throw new Error(`at most ${MAX_SERVERS} servers per bed`);
    const docker = opts.docker ?? true;
    const behind = opts.behind;
    const dir = path.join(this.dir, name);
    const st: ServerState = {
      name,
      index,
      netns: `${NAME_PREFIX}${this.prefix}-${name}`,
      dir,
      cgroup: `${CGROUP_NAME}/${this.prefix}/${name}`,
    };
    let host: string;
    if (behind) {
      st.bastionNetns = behind.netns;
      st.bastionVeth = `bh${index}`;
      host = `${NET16}.192.${4 * index + 2}`;
    } else {
      st.hostVeth = `${NAME_PREFIX}${this.prefix}-${index}`;
      host = `${NET16}.${this.slot}.${10 + index}`;
    }
    this.state.servers.push(st);
    writeBedState(this.state);
    // sshd reads authorized keys as the user: every directory on the way must be traversable
    for (const d of [DATA_ROOT, this.dir, dir]) {
      fs.mkdirSync(d, { recursive: true });
      fs.chmodSync(d, 0o755);
    }

    const keys = await this.keys();
    const users: ServerUsers = {
      root: keys.root,
      enc: keys.enc,
      docker: keys.docker,
      sudo: keys.sudo,
      pw: { username: USER_DEFS.pw.username, password: keys.password },
    };
    if (opts.aptMirror && docker) throw new Error('aptMirror is for docker: false servers');
    const rootfs = docker ? undefined : await noDockerRootfs();
    const server = new TestServer({ bed: this, name, index, host, hardened: opts.hardened ?? false, kbdInteractive: opts.kbdInteractive ?? false, docker, behind, rootfs, users, state: st });
    try {
      await Promise.all([this.writeServerFiles(server, keys, opts.aptMirror), server.generateHostKeys(), this.makeNetwork(server)]);
      await this.startAnchor(server);
      await Promise.all([this.startSshd(server), docker ? this.startDockerd(server) : Promise.resolve()]);
      for (const img of opts.images ?? []) await server.loadImage(img);
    } catch (e) {
      (e as Error).message = `bringing up server ${name} of bed ${this.prefix}: ${(e as Error).message}`;
      throw e;
    }
    this.servers.push(server);
    return server;
  }

  private async makeNetwork(s: TestServer): Promise<void> {
    const st = s.state;
    await run(['ip', 'netns', 'del', st.netns], { check: false }); // leftover of a crash
    const root = [`netns add ${st.netns}`];
    if (st.hostVeth) {
      root.push(`link add ${st.hostVeth} type veth peer name eth0 netns ${st.netns}`);
      root.push(`link set ${st.hostVeth} master ${this.bridge} up`);
    } else {
      root.push(`link add name ${st.bastionVeth} netns ${st.bastionNetns} type veth peer name eth0 netns ${st.netns}`);
    }
    await run(['ip', '-batch', '-'], { input: root.join('\n') + '\n' });
    const inner = [
      `addr add ${s.host}/${st.hostVeth ? 24 : 30} dev eth0`,
      'link set eth0 up',
      'link set lo up',
    ];
    await run(['ip', '-n', st.netns, '-batch', '-'], { input: inner.join('\n') + '\n' });
    if (st.bastionNetns) {
      await run(['ip', '-n', st.bastionNetns, '-batch', '-'], {
        input: `addr add ${NET16}.192.${4 * s.index + 1}/30 dev ${st.bastionVeth}\nlink set ${st.bastionVeth} up\n`,
      });
    }
  }

  private async writeServerFiles(s: TestServer, keys: BedKeys, mirror: AptMirror | undefined): Promise<void> {
    const d = s.dir;
    // docker servers: private copies bind-mounted over the machine's files; others: files in the overlay's upper layer
    const top = s.rootfs ? path.join(d, 'upper') : d;
    const srcEtc = s.rootfs ? path.join(s.rootfs, 'etc') : '/etc';
    for (const sub of ['etc', 'home', 'root']) fs.mkdirSync(path.join(top, sub), { recursive: true });
    if (s.rootfs) {
      for (const sub of ['work', 'merged', 'optb']) fs.mkdirSync(path.join(d, sub), { recursive: true });
      fs.chmodSync(path.join(top, 'etc'), 0o755);
      fs.chmodSync(path.join(top, 'home'), 0o755);
    } else {
      for (const sub of ['tmp', 'docker']) fs.mkdirSync(path.join(d, sub), { recursive: true });
      fs.chmodSync(path.join(d, 'tmp'), 0o1777);
    }
    fs.chmodSync(path.join(top, 'root'), 0o700);
    fs.mkdirSync(path.join(s.sshBase, 'auth'), { recursive: true });
    const hostPasswd = fs.readFileSync(path.join(srcEtc, 'passwd'), 'utf8').trimEnd().split('\n');
    const hostGroup = fs.readFileSync(path.join(srcEtc, 'group'), 'utf8').trimEnd().split('\n');
    const hostShadow = fs.readFileSync(path.join(srcEtc, 'shadow'), 'utf8').trimEnd().split('\n');
    const ours = new Set<string>(Object.values(USER_DEFS).map((u) => u.username));
    const keep = (lines: string[]): string[] => lines.filter((l) => !ours.has(l.split(':')[0] ?? ''));
    const passwd = keep(hostPasswd);
    const group = keep(hostGroup);
    const shadow = keep(hostShadow).map((l) => (l.startsWith('root:') ? 'root:*:19000:0:99999:7:::' : l));
    const dockerMembers: string[] = [];
    for (const u of Object.values(USER_DEFS)) {
      const home = `/home/${u.username}`;
      passwd.push(`${u.username}:x:${u.uid}:${u.uid}:OpenPanel test user:${home}:/bin/bash`);
      group.push(`${u.username}:x:${u.uid}:`);
      shadow.push(`${u.username}:${u.username === USER_DEFS.pw.username ? keys.passwordHash : '*'}:19000:0:99999:7:::`);
      if (u.docker) dockerMembers.push(u.username);
      const hd = path.join(top, 'home', u.username);
      fs.mkdirSync(hd, { recursive: true, mode: 0o755 });
      fs.chownSync(hd, u.uid, u.uid);
    }
    const gi = group.findIndex((l) => l.startsWith('docker:'));
    if (gi >= 0) {
      const parts = group[gi]!.split(':');
      const members = (parts[3] ?? '').split(',').filter(Boolean);
      parts[3] = [...members, ...dockerMembers].join(',');
      group[gi] = parts.join(':');
    } else if (!s.rootfs) {
      group.push(`docker:x:2100:${dockerMembers.join(',')}`);
    }
    const etc = path.join(top, 'etc');
    fs.writeFileSync(path.join(etc, 'passwd'), passwd.join('\n') + '\n', { mode: 0o644 });
    fs.writeFileSync(path.join(etc, 'group'), group.join('\n') + '\n', { mode: 0o644 });
    fs.writeFileSync(path.join(etc, 'shadow'), shadow.join('\n') + '\n', { mode: 0o640 });
    fs.writeFileSync(path.join(etc, 'hosts'), `127.0.0.1\tlocalhost\n127.0.1.1\t${s.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
    fs.writeFileSync(path.join(etc, 'hostname'), `${s.name}\n`);
    fs.mkdirSync(path.join(etc, 'sudoers.d'), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(etc, 'sudoers.d', 'openpanel-testbed'), `${USER_DEFS.sudo.username} ALL=(ALL:ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    if (s.rootfs) {
      // should the app install Docker here, its networks stay inside our /16 too
      fs.mkdirSync(path.join(etc, 'docker'), { recursive: true, mode: 0o755 });
      fs.writeFileSync(
        path.join(etc, 'docker', 'daemon.json'),
        JSON.stringify({ bip: DOCKER_BIP, 'default-address-pools': [{ base: DOCKER_POOL_BASE, size: 24 }] }, null, 2) + '\n',
      );
    }
    if (s.kbdInteractive) {
      // sshd reads /etc/pam.d/sshd: a stack of our own (the machine's pulls in pam_systemd, pam_loginuid, motd…)
      fs.mkdirSync(path.join(etc, 'pam.d'), { recursive: true, mode: 0o755 });
      fs.writeFileSync(
        path.join(etc, 'pam.d', 'sshd'),
        ['auth required pam_unix.so', 'account required pam_unix.so', 'session required pam_permit.so', 'password required pam_deny.so'].join('\n') + '\n',
        { mode: 0o644 },
      );
    }
    if (mirror) {
      fs.mkdirSync(path.join(etc, 'apt'), { recursive: true, mode: 0o755 });
      fs.writeFileSync(path.join(etc, 'apt', 'sources.list'), `${mirror.sourcesLine}\n`);
    }
    // authorized keys, by user name (pwuser has none)
    const auth = path.join(s.sshBase, 'auth');
    fs.writeFileSync(path.join(auth, 'root'), `${keys.root.publicKey}\n`);
    fs.writeFileSync(path.join(auth, keys.enc.username), `${keys.enc.publicKey}\n`);
    fs.writeFileSync(path.join(auth, keys.docker.username), `${keys.docker.publicKey}\n`);
    fs.writeFileSync(path.join(auth, keys.sudo.username), `${keys.sudo.publicKey}\n`);
    const cfg = [
      'Port 22',
      'ListenAddress 0.0.0.0',
      ...HOST_KEY_TYPES.map((t) => `HostKey ${path.join(s.sshBaseInside, 'ssh', `ssh_host_${t}_key`)}`),
      'PidFile /run/sshd.pid',
      `AuthorizedKeysFile ${path.join(s.sshBaseInside, 'auth')}/%u`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      ...(s.kbdInteractive
        ? ['PasswordAuthentication no', 'KbdInteractiveAuthentication yes', 'UsePAM yes']
        : ['PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'UsePAM no']),
      'PermitEmptyPasswords no',
      'StrictModes no',
      'UseDNS no',
      'X11Forwarding no',
      'AllowTcpForwarding yes',
      'AllowAgentForwarding yes',
      'PrintMotd no',
      'PrintLastLog no',
      'AcceptEnv LANG LC_*',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      'LogLevel INFO',
      ...(s.hardened ? ['MaxSessions 2', 'AllowStreamLocalForwarding no'] : ['MaxSessions 10', 'AllowStreamLocalForwarding yes']),
    ];
    fs.writeFileSync(path.join(s.sshBase, 'sshd_config'), cfg.join('\n') + '\n');
    if (!s.rootfs) fs.writeFileSync(path.join(d, 'daemon.json'), '{}\n');
  }

  private async startAnchor(s: TestServer): Promise<void> {
    const st = s.state;
    const procsDir = path.join(trackingHierarchy(), st.cgroup);
    fs.mkdirSync(procsDir, { recursive: true });
    const procs = path.join(procsDir, 'cgroup.procs');
    const etcFiles = ['passwd', 'group', 'shadow', 'hosts', 'hostname'];
    const chrootScript = [
      'set -e',
      'umount -l /run/netns 2>/dev/null || true',
      'R="$D/merged"',
      'mount -t overlay optb-root -o "lowerdir=$LOWER,upperdir=$D/upper,workdir=$D/work" "$R"',
      'mount -t proc proc "$R/proc"',
      'mount --rbind /sys "$R/sys"',
      'mount --rbind /dev "$R/dev"',
      'mount -t tmpfs -o mode=0755,size=256m optb-run "$R/run"',
      'mkdir -p "$R/run/sshd" "$R/run/lock" "$R/run/user" "$R/.optb" "$R/.oldroot"',
      'chmod 1777 "$R/run/lock"',
      'mount --bind "$D/optb" "$R/.optb"',
      'hostname "$NAME"',
      'cd "$R"',
      'pivot_root . .oldroot',
      'cd /',
      'umount -l /.oldroot',
      'echo ready',
      'exec sleep infinity',
    ].join('\n');
    const script = [
      'set -e',
      // drop the copies of all beds' netns mounts: they would keep other namespaces alive
      'umount -l /run/netns 2>/dev/null || true',
      'mount -t tmpfs -o mode=0755,size=256m optb-run /run',
      'mkdir -p /run/sshd /run/lock /run/user /run/shm',
      'chmod 1777 /run/lock /run/shm',
      ...etcFiles.map((f) => `[ -e /etc/${f} ] || touch /etc/${f}; mount --bind "$D/etc/${f}" /etc/${f}`),
      '[ -d /etc/sudoers.d ] && mount --bind "$D/etc/sudoers.d" /etc/sudoers.d',
      '[ -f "$D/etc/pam.d/sshd" ] && mount --bind "$D/etc/pam.d/sshd" /etc/pam.d/sshd',
      'mount --bind "$D/home" /home',
      'mount --bind "$D/root" /root',
      'mount --bind "$D/tmp" /tmp',
      // What the app keeps on a server (e.g. the Watch config) is the server's own, not shared through the host's /var/lib.
      'mkdir -p "$D/var-lib-openpanel" /var/lib/openpanel',
      'mount --bind "$D/var-lib-openpanel" /var/lib/openpanel',
      'hostname "$NAME"',
      'echo ready',
      'exec sleep infinity',
    ].join('\n');
    const env: Record<string, string> = { PATH: SYS_PATH, LANG: 'C.UTF-8', D: s.dir, NAME: s.name };
    if (s.rootfs) env['LOWER'] = s.rootfs;
    const child = spawn(
      '/bin/sh',
      ['-c', 'echo $$ > "$0" && exec nsenter --net="$1" unshare --mount --uts --propagation private /bin/sh -c "$2"', procs, `/run/netns/${st.netns}`, s.rootfs ? chrootScript : script],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/', env },
    );
    if (!child.pid) throw new Error('could not spawn the namespace anchor');
    st.anchorPid = child.pid;
    s.anchorPid = child.pid;
    writeBedState(this.state);
    let out = '';
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`namespace anchor not ready after 15 s: ${err}`)), 15_000);
      const finish = (e?: Error): void => {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.removeAllListeners('exit');
        if (e) reject(e);
        else resolve();
      };
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('ready')) finish();
      });
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
      });
      child.on('exit', (code) => finish(new Error(`namespace anchor exited (${code}): ${err}`)));
      child.on('error', (e) => finish(e));
    });
    child.stdout.destroy();
    child.stderr.destroy();
    child.unref();
  }

  private nsenterArgv(s: TestServer): string[] {
    return ['nsenter', '-t', String(s.anchorPid), '-m', '-n', '-u', '--'];
  }

  private async startSshd(s: TestServer): Promise<void> {
    const procs = path.join(trackingHierarchy(), s.state.cgroup, 'cgroup.procs');
    const log = s.sshdLog;
    fs.writeFileSync(log, '');
    const inside = s.sshBaseInside;
    const pid = spawnDaemon(
      procs,
      [...this.nsenterArgv(s), SSHD, '-D', '-f', path.join(inside, 'sshd_config'), '-E', path.join(inside, 'sshd.log')],
      path.join(s.dir, 'sshd.out'),
    );
    s.sshdPid = pid;
    s.state.sshdPid = pid;
    writeBedState(this.state);
    await waitFor(
      `sshd of ${s.name} to listen`,
      () => {
        if (!pidAlive(pid)) throw new Error(`sshd exited:\n${tail(log)}\n${tail(path.join(s.dir, 'sshd.out'))}`);
        return countOccurrences(log, 'Server listening on') > 0;
      },
      15_000,
      10,
    );
  }

  private async startDockerd(s: TestServer): Promise<void> {
    const procs = path.join(trackingHierarchy(), s.state.cgroup, 'cgroup.procs');
    const argv = [
      ...this.nsenterArgv(s),
      'dockerd',
      '--config-file', path.join(s.dir, 'daemon.json'),
      '--data-root', path.join(s.dir, 'docker'),
      '--exec-root', '/run/docker',
      '--pidfile', '/run/docker.pid',
      '-H', 'unix:///var/run/docker.sock',
      '--group', 'docker',
      '--iptables=false',
      '--ip-masq=false',
      '--bip', DOCKER_BIP,
      '--default-address-pool', DOCKER_POOL,
      '--storage-driver', 'overlay2',
      '--exec-opt', 'native.cgroupdriver=cgroupfs',
      '--cgroup-parent', `/${s.state.cgroup}/docker`,
      '--shutdown-timeout', '3',
    ];
    const pid = spawnDaemon(procs, argv, s.dockerdLog);
    s.dockerdPid = pid;
    s.state.dockerdPid = pid;
    writeBedState(this.state);
    await waitFor(
      `dockerd of ${s.name} to answer`,
      async () => {
        if (!pidAlive(pid)) throw new Error(`dockerd exited:\n${tail(s.dockerdLog)}`);
        return httpPing(s.dockerSocketPath);
      },
      30_000,
      25,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n--- dockerd log tail ---\n${tail(s.dockerdLog)}`);
    });
  }

  /** Kill everything of this bed and remove its namespaces, links, bridge, cgroups, data. Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    await Promise.all(this.servers.map((s) => s.closeProxies()));
    const st = readBedState(this.prefix) ?? this.state;
    const problems = destroyBedSync(st);
    liveBeds.delete(this);
    if (problems.length) throw new Error(`teardown of bed ${this.prefix}: ${problems.join('; ')}`);
  }
}

/** Remove every test bed on this machine (also those of crashed runs) and all leftovers. */
export function cleanupAll(): string[] {
  return cleanupAllSync();
}
