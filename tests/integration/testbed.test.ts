// Acceptance test of the test bed itself (tests/testbed): real servers in network namespaces, checked
// from the outside with ssh2 exactly the way the app reaches them.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_TAG, DEBIAN_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { run } from '../testbed/util.ts';
import { bedStateFile, cgroupHierarchies, readBedState } from '../testbed/state.ts';

const PREFIX = 'tbself';

type ExecOut = { code: number | null; stdout: string; stderr: string };

function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** Connect with ssh2; records the host key fingerprint the server presented. */
function connect(cfg: ConnectConfig): Promise<{ conn: Client; hostFp: string }> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let hostFp = '';
    conn.on('ready', () => resolve({ conn, hostFp }));
    conn.on('error', (e) => reject(e));
    conn.connect({
      port: 22,
      readyTimeout: 20_000,
      hostVerifier: (key: Buffer) => {
        hostFp = fingerprint(key);
        return true;
      },
      ...cfg,
    });
  });
}

function exec(conn: Client, cmd: string): Promise<ExecOut> {
  return new Promise((resolve, reject) => {
    conn.exec(cmd, (err, ch) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      ch.on('data', (b: Buffer) => (stdout += b.toString()));
      ch.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      ch.on('exit', (c: number | null) => (code = c));
      ch.on('close', () => resolve({ code, stdout, stderr }));
    });
  });
}

function openExec(conn: Client, cmd: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => conn.exec(cmd, (err, ch) => (err ? reject(err) : resolve(ch))));
}

/** Write one byte into a `cat` channel and time its echo (one round trip). */
function echoRtt(ch: ClientChannel, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const timer = setTimeout(() => {
      ch.removeListener('data', onData);
      reject(new Error('no echo'));
    }, timeoutMs);
    const onData = (): void => {
      clearTimeout(timer);
      ch.removeListener('data', onData);
      resolve(performance.now() - t0);
    };
    ch.on('data', onData);
    ch.write('x');
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, timeoutMs);
    s.on('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? 'error');
    });
  });
}

describe('test bed', () => {
  let bed: Testbed;
  let a: TestServer; // plain server, also the bastion of c
  let h: TestServer; // hardened
  let c: TestServer; // behind a
  const conns: Client[] = [];
  const open = async (cfg: ConnectConfig): Promise<{ conn: Client; hostFp: string }> => {
    const r = await connect(cfg);
    conns.push(r.conn);
    return r;
  };

  beforeAll(async () => {
    const t0 = performance.now();
    bed = await Testbed.create({ prefix: PREFIX });
    const pa = bed.addServer({ name: 'a', images: ['busybox'] });
    const ph = bed.addServer({ name: 'h', hardened: true });
    const pc = pa.then((bastion) => bed.addServer({ name: 'c', behind: bastion }));
    [a, h, c] = await Promise.all([pa, ph, pc]);
    console.log(`test bed: 3 servers up in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });

  afterAll(async () => {
    for (const conn of conns) conn.end();
    await bed?.teardown();
  });

  it('gives each server its own hostname, users, /run and docker', async () => {
    expect((await a.exec(['hostname'])).stdout.trim()).toBe('a');
    expect((await h.exec(['hostname'])).stdout.trim()).toBe('h');
    expect(await a.fileExists('/run/docker.sock')).toBe(true);
    expect(await a.fileExists('/nonexistent/canary')).toBe(false);
    expect(fs.existsSync('/run/docker.sock')).toBe(false); // the machine's own /run is untouched
    const id = await a.exec(['id', 'dockeruser']);
    expect(id.stdout).toContain('(docker)');
    expect((await a.exec(['id', 'sudouser'])).stdout).not.toContain('docker');
    const noUser = await (async () => {
      try {
        execFileSync('id', ['dockeruser'], { stdio: 'pipe' });
        return false;
      } catch {
        return true;
      }
    })();
    expect(noUser).toBe(true); // the machine's own accounts are untouched
    const ping = await a.exec(['docker', 'version', '--format', '{{.Server.Version}}'], { check: true });
    expect(ping.stdout.trim()).toMatch(/^\d+\.\d+/);
    expect(a.host).toMatch(/^10\.231\.\d+\.\d+$/);
    expect(a.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    // the fingerprint is the one ssh-keygen prints
    const kg = execFileSync('ssh-keygen', ['-lf', '-'], { input: a.hostPublicKeys.ed25519 + '\n' }).toString();
    expect(kg).toContain(a.hostKeyFingerprint);
  });

  it('lets every user kind log in; docker answers for root, docker, enc and pw users, sudo user via sudo -n', async () => {
    const hostVerifierCfg = { host: a.host, algorithms: { serverHostKey: ['ssh-ed25519' as const] } };
    const root = await open({ ...hostVerifierCfg, username: 'root', privateKey: a.users.root.privateKey });
    expect(root.hostFp).toBe(a.hostKeyFingerprint);
    const r1 = await exec(root.conn, 'id -u && docker version --format "{{.Server.Version}}"');
    expect(r1.code).toBe(0);
    expect(r1.stdout.split('\n')[0]).toBe('0');

    const dock = await open({ host: a.host, username: a.users.docker.username, privateKey: a.users.docker.privateKey });
    const r2 = await exec(dock.conn, 'id -un && docker version --format "{{.Server.Version}}"');
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain('dockeruser');

    const enc = await open({
      host: a.host,
      username: a.users.enc.username,
      privateKey: a.users.enc.privateKey,
      passphrase: a.users.enc.passphrase,
    });
    expect(a.users.enc.privateKey).toContain('OPENSSH PRIVATE KEY');
    expect((await exec(enc.conn, 'docker version --format "{{.Server.Version}}"')).code).toBe(0);

    const pw = await open({ host: a.host, username: a.users.pw.username, password: a.users.pw.password });
    const r4 = await exec(pw.conn, 'id -un && docker version --format "{{.Server.Version}}"');
    expect(r4.code).toBe(0);
    expect(r4.stdout).toContain('pwuser');

    const sudo = await open({ host: a.host, username: a.users.sudo.username, privateKey: a.users.sudo.privateKey });
    const plain = await exec(sudo.conn, 'docker version --format "{{.Server.Version}}"');
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/permission denied/i);
    const viaSudo = await exec(sudo.conn, 'sudo -n docker version --format "{{.Server.Version}}"');
    expect(viaSudo.code).toBe(0);
    expect(viaSudo.stdout.trim()).toMatch(/^\d+\.\d+/);
  });

  it('refuses a wrong password, and keys for the password-only user', async () => {
    await expect(connect({ host: a.host, username: a.users.pw.username, password: 'wrong-password' })).rejects.toThrow(
      /authentication/i,
    );
    await expect(connect({ host: a.host, username: a.users.pw.username, privateKey: a.users.root.privateKey })).rejects.toThrow(
      /authentication/i,
    );
    await expect(connect({ host: a.host, username: 'root', password: a.users.pw.password })).rejects.toThrow(/authentication/i);
  });

  it('keeps the server behind the bastion unreachable directly, reachable through the bastion', async () => {
    expect(c.behind).toBe(a);
    const direct = await tcpProbe(c.host, 22, 3000);
    expect(direct).not.toBe('connected');
    const bastion = await open({ host: a.host, username: 'root', privateKey: a.users.root.privateKey });
    const sock = await new Promise<ClientChannel>((resolve, reject) =>
      bastion.conn.forwardOut('127.0.0.1', 0, c.host, c.port, (err, ch) => (err ? reject(err) : resolve(ch))),
    );
    const inner = await open({ sock, username: 'root', privateKey: c.users.root.privateKey, host: c.host });
    expect(Object.values(c.hostKeyFingerprints)).toContain(inner.hostFp);
    const r = await exec(inner.conn, 'hostname && docker version --format "{{.Server.Version}}"');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('c');
    // and the server behind has no way out but the bastion link
    const routes = await c.exec(['ip', 'route']);
    expect(routes.stdout).not.toContain('default');
  });

  it('hardened server refuses the 3rd session and stream-local forwarding; a plain one allows both', async () => {
    const hs = await open({ host: h.host, username: 'root', privateKey: h.users.root.privateKey });
    const s1 = await openExec(hs.conn, 'sleep 30');
    const s2 = await openExec(hs.conn, 'sleep 30');
    await expect(openExec(hs.conn, 'true')).rejects.toThrow();
    const hSock = await new Promise<string>((resolve) =>
      hs.conn.openssh_forwardOutStreamLocal('/var/run/docker.sock', (err) => resolve(err ? 'refused' : 'ok')),
    );
    expect(hSock).toBe('refused');
    s1.close();
    s2.close();

    const as = await open({ host: a.host, username: 'root', privateKey: a.users.root.privateKey });
    const chans = await Promise.all([openExec(as.conn, 'sleep 30'), openExec(as.conn, 'sleep 30'), openExec(as.conn, 'sleep 30')]);
    expect(chans).toHaveLength(3);
    for (const ch of chans) ch.close();
    const ping = await new Promise<string>((resolve, reject) =>
      as.conn.openssh_forwardOutStreamLocal('/var/run/docker.sock', (err, ch) => {
        if (err) return reject(err);
        let data = '';
        ch.on('data', (b: Buffer) => (data += b.toString()));
        ch.on('end', () => {
          ch.close();
          resolve(data);
        });
        ch.write('GET /_ping HTTP/1.0\r\n\r\n');
      }),
    );
    expect(ping).toMatch(/^HTTP\/1\.[01] 200/);
    expect(ping.endsWith('OK')).toBe(true);
  });

  it('runs a container from the busybox image without a registry', async () => {
    const r = await a.exec(['docker', 'run', '--rm', '--pull=never', BUSYBOX_TAG, 'echo', 'hi'], { check: true });
    expect(r.stdout.trim()).toBe('hi');
    // no way to a registry: a pull fails at once (no default route)
    const t0 = performance.now();
    const pull = await a.exec(['docker', 'pull', 'alpine:3'], { timeoutMs: 60_000 });
    expect(pull.code).not.toBe(0);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('latency proxy adds ~2 × delay per round trip', async () => {
    const delayMs = 25;
    const p = await a.latencyProxy({ delayMs });
    try {
      // own sockets with Nagle off (ssh2 never disables it; with it, delayed ACKs dominate small round trips)
      const tcp = (host: string, port: number): net.Socket => net.connect({ host, port, noDelay: true });
      const direct = await open({ sock: tcp(a.host, 22), username: 'root', privateKey: a.users.root.privateKey });
      const viaProxy = await open({ sock: tcp(p.host, p.port), username: 'root', privateKey: a.users.root.privateKey });
      expect(viaProxy.hostFp).toBe(direct.hostFp);
      const ch1 = await openExec(direct.conn, 'cat');
      const ch2 = await openExec(viaProxy.conn, 'cat');
      const rtts = async (ch: ClientChannel): Promise<number> => {
        const xs: number[] = [];
        for (let i = 0; i < 7; i++) xs.push(await echoRtt(ch));
        xs.sort((x, y) => x - y);
        return xs[Math.floor(xs.length / 2)]!;
      };
      const d = await rtts(ch1);
      const l = await rtts(ch2);
      console.log(`echo RTT direct ${d.toFixed(1)} ms, through ${delayMs} ms proxy ${l.toFixed(1)} ms`);
      expect(l - d).toBeGreaterThanOrEqual(1.5 * delayMs);
      expect(l).toBeGreaterThanOrEqual(2 * delayMs * 0.9);
      expect(l).toBeLessThan(2 * delayMs + 150);
      expect(p.connections).toBe(1);
      ch1.close();
      ch2.close();
    } finally {
      await p.close();
    }
  });

  it('cutLink stalls an exec (no reset), restoreLink lets it continue — direct and behind a bastion', async () => {
    for (const target of [h, c]) {
      let conn: Client;
      if (target.behind) {
        const b = await open({ host: a.host, username: 'root', privateKey: a.users.root.privateKey });
        const sock = await new Promise<ClientChannel>((resolve, reject) =>
          b.conn.forwardOut('127.0.0.1', 0, target.host, 22, (err, ch) => (err ? reject(err) : resolve(ch))),
        );
        conn = (await open({ sock, username: 'root', privateKey: target.users.root.privateKey })).conn;
      } else {
        conn = (await open({ host: target.host, username: 'root', privateKey: target.users.root.privateKey })).conn;
      }
      let closed = false;
      conn.on('close', () => (closed = true));
      conn.on('error', () => (closed = true));
      const ch = await openExec(conn, 'cat');
      expect(await echoRtt(ch)).toBeLessThan(1000);
      await target.cutLink();
      let stalled: number | string;
      // Listen before restoring: the echo of the byte written during the cut may arrive as soon as the link is up.
      let echoed = false;
      let stalledDone = false;
      ch.on('data', () => {
        if (stalledDone) echoed = true;
      });
      try {
        stalled = await echoRtt(ch, 1500).catch((e: Error) => e.message);
        stalledDone = true;
        expect(stalled).toBe('no echo');
        expect(closed).toBe(false);
      } finally {
        await target.restoreLink();
      }
      // the echo of the byte written during the cut arrives after the restore (TCP retransmits)
      const deadline = Date.now() + 20_000;
      while (!echoed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const got = echoed;
      expect(got).toBe(true);
      expect(closed).toBe(false);
      expect(await echoRtt(ch)).toBeLessThan(1000);
      ch.close();
    }
  });

  it('changeHostKey changes the fingerprint the server presents', async () => {
    const before = h.hostKeyFingerprint;
    const beforeAll = { ...h.hostKeyFingerprints };
    await h.changeHostKey();
    expect(h.hostKeyFingerprint).not.toBe(before);
    for (const t of ['ed25519', 'ecdsa', 'rsa'] as const) expect(h.hostKeyFingerprints[t]).not.toBe(beforeAll[t]);
    const r = await open({ host: h.host, username: 'root', privateKey: h.users.root.privateKey, algorithms: { serverHostKey: ['ssh-ed25519'] } });
    expect(r.hostFp).toBe(h.hostKeyFingerprint);
    const r2 = await open({ host: h.host, username: 'root', privateKey: h.users.root.privateKey, algorithms: { serverHostKey: ['rsa-sha2-256'] } });
    expect(r2.hostFp).toBe(h.hostKeyFingerprints.rsa);
  });

  it(
    'builds (once, cached) and loads a Debian image',
    async () => {
      const tag = await a.loadImage('debian');
      expect(tag).toBe(DEBIAN_TAG);
      const r = await a.exec(['docker', 'run', '--rm', '--pull=never', tag, 'sh', '-c', '. /etc/os-release && echo $VERSION_CODENAME'], {
        check: true,
      });
      expect(r.stdout.trim()).toBe('bookworm');
    },
    15 * 60_000,
  );

  it('teardown leaves no namespace, interface, process, cgroup or data behind', async () => {
    const pids = [a, h, c].flatMap((s) => [s.anchorPid, s.sshdPid, s.dockerdPid]).filter((p) => p > 0);
    expect(pids.length).toBe(9);
    const containerd = execFileSync('ps', ['-eo', 'pid,args']).toString();
    for (const conn of conns) conn.end();
    await bed.teardown();
    for (const p of pids) {
      expect(fs.existsSync(`/proc/${p}`) && !fs.readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z')).toBe(false);
    }
    const netns = execFileSync('ip', ['netns', 'list']).toString();
    expect(netns).not.toContain(`optb-${PREFIX}-`);
    const links = execFileSync('ip', ['-o', 'link', 'show']).toString();
    expect(links).not.toContain(`optb-${PREFIX}-`);
    for (const hier of cgroupHierarchies()) expect(fs.existsSync(`${hier}/openpanel-testbed/${PREFIX}`)).toBe(false);
    expect(fs.existsSync(`/var/lib/openpanel-testbed/${PREFIX}`)).toBe(false);
    expect(fs.existsSync(bedStateFile(PREFIX))).toBe(false);
    // no dockerd/containerd/sshd of ours is left running
    const after = execFileSync('ps', ['-eo', 'pid,args']).toString();
    expect(after).not.toContain(`/var/lib/openpanel-testbed/${PREFIX}/`);
    expect(containerd).toContain(`/var/lib/openpanel-testbed/${PREFIX}/`); // the check above can see them
    // a server address of a torn-down bed is unreachable at once (never routed out of the machine)
    expect(await tcpProbe(a.host, 22, 3000)).not.toBe('connected');
  });
});


describe('test bed after a crashed run', () => {
  const CRASH = 'tbcrash';
  const alive = (pid: number): boolean => {
    try {
      return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
    } catch {
      return false;
    }
  };

  it('reaps the servers of a SIGKILLed owner (processes, containers, netns, links, cgroups, data)', async () => {
    const index = new URL('../testbed/index.ts', import.meta.url).pathname;
    const script = `
      import { Testbed } from ${JSON.stringify(index)};
      const bed = await Testbed.create({ prefix: ${JSON.stringify(CRASH)} });
      const s = await bed.addServer({ name: 'x', images: ['busybox'] });
      const run = await s.exec(['docker', 'run', '-d', 'openpanel-test/busybox:latest', 'sleep', '1000'], { check: true });
      const pid = await s.exec(['docker', 'inspect', '-f', '{{.State.Pid}}', run.stdout.trim()], { check: true });
      console.log(JSON.stringify({ pids: [s.anchorPid, s.sshdPid, s.dockerdPid, Number(pid.stdout)], netns: s.netns }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`child not up in 60 s: ${err}`)), 60_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.split('\n')[0]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`child exited ${code}: ${err}`)));
    });
    const info = JSON.parse(line) as { pids: number[]; netns: string };
    child.removeAllListeners('exit');
    const dead = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL'); // no exit handler, no teardown
    await dead;
    expect(info.pids.every(alive)).toBe(true); // the crash left everything running
    expect(execFileSync('ip', ['netns', 'list']).toString()).toContain(info.netns);
    expect(readBedState(CRASH)?.ownerPid).toBe(child.pid);

    // the next bed created (any prefix; here the same one) reaps beds whose owner is gone
    const bed = await Testbed.create({ prefix: CRASH });
    try {
      expect(info.pids.some(alive)).toBe(false);
      expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain(info.netns);
      expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(`optb-${CRASH}-1`);
      expect(readBedState(CRASH)?.ownerPid).toBe(process.pid);
      expect(readBedState(CRASH)?.servers).toEqual([]);
    } finally {
      await bed.teardown();
    }
    expect(fs.existsSync(bedStateFile(CRASH))).toBe(false);
    for (const hier of cgroupHierarchies()) expect(fs.existsSync(`${hier}/openpanel-testbed/${CRASH}`)).toBe(false);
    expect(execFileSync('ip', ['-o', 'link', 'show']).toString()).not.toContain(`optb-${CRASH}-`);
  });
});

describe('test bed server without Docker', () => {
  let bed: Testbed;
  afterAll(async () => {
    await bed?.teardown();
  });

  it(
    'has no docker at all, and can install docker.io over ssh from the local apt mirror',
    async () => {
      bed = await Testbed.create({ prefix: 'tbnodoc' });
      const mirror = await bed.aptMirror(['docker.io']); // built once, cached under /var/cache/openpanel-testbed
      expect(mirror.url).toBe(`http://${bed.gateway}:${new URL(mirror.url).port}/`);
      const s = await bed.addServer({ name: 'bare', docker: false, aptMirror: mirror });
      expect(await s.fileExists('/var/run/docker.sock')).toBe(false);
      expect(await s.fileExists('/usr/bin/docker')).toBe(false);
      expect(await s.fileExists('/usr/local/bin/docker')).toBe(false);
      const ssh = (user: { username: string; privateKeyPath: string }, cmd: string) =>
        run(
          ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR',
            '-i', user.privateKeyPath, `${user.username}@${s.host}`, cmd],
          { check: false, timeoutMs: 600_000 },
        );
      const before = await ssh(s.users.sudo, 'hostname; command -v docker || echo no-docker; getent group docker || echo no-group; sudo -n true && echo sudo-ok');
      expect(before.stdout.split('\n')).toEqual(['bare', 'no-docker', 'no-group', 'sudo-ok', '']);
      // the way an app would bootstrap Docker, through the sudo user
      const install = await ssh(
        s.users.sudo,
        'sudo -n apt-get -q update >/tmp/apt.log 2>&1 && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get -q install -y docker.io >>/tmp/apt.log 2>&1; echo rc=$?; tail -3 /tmp/apt.log',
      );
      expect(install.stdout).toContain('rc=0');
      const started = await ssh(
        s.users.root,
        '(dockerd >/var/log/dockerd.log 2>&1 &); for i in $(seq 1 150); do docker version >/dev/null 2>&1 && break; sleep 0.2; done; docker version --format "{{.Server.Version}}"',
      );
      expect(started.stdout.trim()).toMatch(/^\d+\.\d+/);
      const bridge = await s.exec(['ip', '-4', 'addr', 'show', 'docker0']);
      expect(bridge.stdout).toContain('10.231.224.1/24'); // its networks stay inside 10.231.0.0/16
      const pids = [s.anchorPid, s.sshdPid];
      await bed.teardown();
      for (const p of pids) {
        expect(fs.existsSync(`/proc/${p}`) && !fs.readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z')).toBe(false);
      }
      expect(execFileSync('ip', ['netns', 'list']).toString()).not.toContain('optb-tbnodoc-');
    },
    20 * 60_000,
  );
});
