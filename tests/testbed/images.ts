// Docker images without a registry: rootfs tarballs built once on this machine, cached under
// /var/cache/openpanel-testbed (keyed by their inputs), `docker import`ed into each test server on demand.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CACHE_ROOT, run, withLock, writeFileAtomic } from './util.ts';

export type ImageName = 'busybox' | 'debian';

export const BUSYBOX_TAG = 'openpanel-test/busybox:latest';
export const DEBIAN_TAG = 'openpanel-test/debian:bookworm';
export const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

const RECIPE = 'v1';

export type CachedImage = {
  /** rootfs tarball to `docker import` */
  tarball: string;
  /** tag the image gets in each server */
  tag: string;
  /** Dockerfile-style --change lines for docker import */
  changes: string[];
  /** seconds spent building (0 when it came from the cache) */
  buildSeconds: number;
};

function sha(parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
}

function findBusybox(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (fs.existsSync(p)) return p;
  throw new Error('busybox not found: apt-get install -y busybox-static');
}

/** Build (or reuse) the busybox rootfs tarball. Safe to call from several processes at once. */
export async function busyboxImage(): Promise<CachedImage> {
  const bb = findBusybox();
  const bin = fs.readFileSync(bb);
  const key = sha([RECIPE, 'busybox', bin]);
  const tarball = path.join(CACHE_ROOT, `busybox-${key}.tar`);
  const changes = ['CMD ["sh"]', 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin'];
  if (fs.existsSync(tarball)) return { tarball, tag: BUSYBOX_TAG, changes, buildSeconds: 0 };
  const t0 = Date.now();
  await withLock(`${tarball}.lock`, 120_000, async () => {
    if (fs.existsSync(tarball)) return;
    const work = fs.mkdtempSync(path.join(CACHE_ROOT, 'build-busybox-'));
    try {
      const root = path.join(work, 'rootfs');
      for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'var/tmp', 'proc', 'sys', 'dev']) {
        fs.mkdirSync(path.join(root, d), { recursive: true });
      }
      fs.chmodSync(path.join(root, 'tmp'), 0o1777);
      fs.copyFileSync(bb, path.join(root, 'bin/busybox'));
      fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
      const list = (await run([bb, '--list-full'])).stdout.split('\n').filter(Boolean);
      for (const applet of list) {
        const dst = path.join(root, applet);
        if (applet === 'bin/busybox' || fs.existsSync(dst)) continue;
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        fs.symlinkSync('/bin/busybox', dst);
      }
      fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
      fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
      const tmp = path.join(work, 'out.tar');
      await run(['tar', '--numeric-owner', '--owner=0', '--group=0', '-C', root, '-cf', tmp, '.']);
      fs.renameSync(tmp, tarball);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return { tarball, tag: BUSYBOX_TAG, changes, buildSeconds: (Date.now() - t0) / 1000 };
}

export type DebianOptions = {
  /** extra packages (Debian bookworm names), e.g. ['postgresql-15'] */
  packages?: string[];
  /** tag to give the image; default openpanel-test/debian:bookworm (+ -<key> when packages are given) */
  tag?: string;
};

/**
 * Build (or reuse) a Debian bookworm minbase rootfs tarball with the given packages (debootstrap from the
 * Debian mirror; ~25–40 s the first time). Concurrency-safe via a lock next to the tarball.
 */
export async function debianImage(opts: DebianOptions = {}): Promise<CachedImage> {
  const packages = [...new Set(opts.packages ?? [])].sort();
  for (const p of packages) {
    if (!/^[a-z0-9][a-z0-9+.-]*$/.test(p)) throw new Error(`bad package name: ${p}`);
  }
  const key = sha([RECIPE, 'debian', 'bookworm', 'minbase', packages.join(',')]);
  const tarball = path.join(CACHE_ROOT, `debian-bookworm-${key}.tar`);
  const tag = opts.tag ?? (packages.length ? `${DEBIAN_TAG}-${key.slice(0, 8)}` : DEBIAN_TAG);
  const changes = ['CMD ["bash"]', 'ENV LANG=C.UTF-8'];
  if (fs.existsSync(tarball)) return { tarball, tag, changes, buildSeconds: 0 };
  const t0 = Date.now();
  await withLock(`${tarball}.lock`, 20 * 60_000, async () => {
    if (fs.existsSync(tarball)) return;
    fs.mkdirSync(CACHE_ROOT, { recursive: true });
    const work = fs.mkdtempSync(path.join(CACHE_ROOT, 'build-debian-'));
    try {
      const root = path.join(work, 'rootfs');
      const args = ['debootstrap', '--variant=minbase'];
      if (packages.length) args.push(`--include=${packages.join(',')}`);
      args.push('bookworm', root, DEBIAN_MIRROR);
      try {
        await run(args, { timeoutMs: 15 * 60_000 });
      } catch (e) {
        throw new Error(`debootstrap failed: ${String(e).slice(-3000)}\n${tailOf(path.join(root, 'debootstrap/debootstrap.log'))}`, {
          cause: e,
        });
      }
      // trim: package lists, caches, docs; leave locales alone (some packages need them)
      for (const d of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'var/log']) {
        const p = path.join(root, d);
        if (fs.existsSync(p)) {
          for (const e of fs.readdirSync(p)) fs.rmSync(path.join(p, e), { recursive: true, force: true });
        }
      }
      fs.mkdirSync(path.join(root, 'var/lib/apt/lists/partial'), { recursive: true });
      fs.mkdirSync(path.join(root, 'var/cache/apt/archives/partial'), { recursive: true });
      // no services may start during later `apt-get install` inside containers
      writeFileAtomic(path.join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', 0o755);
      const tmp = path.join(work, 'out.tar');
      await run(['tar', '--numeric-owner', '-C', root, '-cf', tmp, '.'], { timeoutMs: 10 * 60_000 });
      fs.renameSync(tmp, tarball);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return { tarball, tag, changes, buildSeconds: (Date.now() - t0) / 1000 };
}

function tailOf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

// ------------------------------------------------------------------- rootfs for servers without Docker

/** Packages of the rootfs that servers without Docker (`docker: false`) run in. */
export const NODOCKER_PACKAGES = ['openssh-server', 'sudo', 'iproute2', 'procps', 'ca-certificates'];

/**
 * The Debian rootfs (with NODOCKER_PACKAGES) extracted once under the cache; servers without Docker use it
 * read-only as the lower layer of an overlay. Returns the directory.
 */
export async function noDockerRootfs(): Promise<string> {
  const img = await debianImage({ packages: NODOCKER_PACKAGES, tag: 'unused' });
  const dir = img.tarball.replace(/\.tar$/, '.rootfs');
  if (fs.existsSync(dir)) return dir;
  await withLock(`${dir}.lock`, 10 * 60_000, async () => {
    if (fs.existsSync(dir)) return;
    const tmp = `${dir}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    try {
      await run(['tar', '--numeric-owner', '-xpf', img.tarball, '-C', tmp], { timeoutMs: 10 * 60_000 });
      // no host keys baked into the shared layer; each server gets its own
      for (const f of fs.readdirSync(path.join(tmp, 'etc/ssh'))) {
        if (f.startsWith('ssh_host_')) fs.rmSync(path.join(tmp, 'etc/ssh', f));
      }
      fs.renameSync(tmp, dir);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  return dir;
}

// ------------------------------------------------------------------------------ local apt mirror

/**
 * A flat apt repository (Packages + Release, `deb [trusted=yes] http://…/ ./`) holding the given packages
 * and every dependency (incl. Recommends) missing from the no-Docker rootfs, downloaded once from the Debian
 * mirror by apt itself in a throw-away overlay of that rootfs. Cached by package list; returns the directory.
 */
export async function aptMirrorRepo(packages: string[]): Promise<string> {
  const pkgs = [...new Set(packages)].sort();
  for (const p of pkgs) if (!/^[a-z0-9][a-z0-9+.-]*$/.test(p)) throw new Error(`bad package name: ${p}`);
  const lower = await noDockerRootfs();
  const key = sha([RECIPE, 'aptmirror', path.basename(lower), pkgs.join(',')]);
  const dir = path.join(CACHE_ROOT, `apt-${key}`);
  if (fs.existsSync(path.join(dir, 'Release'))) return dir;
  await withLock(`${dir}.lock`, 15 * 60_000, async () => {
    if (fs.existsSync(path.join(dir, 'Release'))) return;
    const work = fs.mkdtempSync(path.join(CACHE_ROOT, 'build-apt-'));
    try {
      for (const d of ['upper', 'work', 'merged']) fs.mkdirSync(path.join(work, d));
      const script = [
        'set -e',
        `mount -t overlay optb-aptbuild -o lowerdir=${lower},upperdir=${work}/upper,workdir=${work}/work ${work}/merged`,
        `cp /etc/resolv.conf ${work}/merged/etc/resolv.conf`,
        `mount -t proc proc ${work}/merged/proc`,
        `chroot ${work}/merged apt-get -q update`,
        `chroot ${work}/merged apt-get -q install -y --download-only ${pkgs.join(' ')}`,
        `mkdir -p ${work}/debs && cp ${work}/merged/var/cache/apt/archives/*.deb ${work}/debs/`,
      ].join('\n');
      // private mount namespace: the overlay and proc mounts vanish with the process, even after a crash
      await run(['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', script], { timeoutMs: 15 * 60_000 });
      const out = `${dir}.tmp-${process.pid}`;
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out);
      const stanzas: string[] = [];
      for (const f of fs.readdirSync(path.join(work, 'debs')).sort()) {
        const src = path.join(work, 'debs', f);
        fs.copyFileSync(src, path.join(out, f));
        const control = (await run(['dpkg-deb', '-f', src])).stdout.trimEnd();
        const data = fs.readFileSync(src);
        stanzas.push(
          `${control}\nFilename: ./${f}\nSize: ${data.length}\nSHA256: ${createHash('sha256').update(data).digest('hex')}\n`,
        );
      }
      const packagesFile = stanzas.join('\n');
      fs.writeFileSync(path.join(out, 'Packages'), packagesFile);
      const release = [
        'Origin: openpanel-testbed',
        'Label: openpanel-testbed',
        'Suite: testbed',
        'Codename: testbed',
        `Date: ${new Date().toUTCString()}`,
        'SHA256:',
        ` ${createHash('sha256').update(packagesFile).digest('hex')} ${Buffer.byteLength(packagesFile)} Packages`,
        '',
      ].join('\n');
      fs.writeFileSync(path.join(out, 'Release'), release);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(out, dir);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
  return dir;
}
