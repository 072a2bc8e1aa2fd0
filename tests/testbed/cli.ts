// Test bed command line:
//   node tests/testbed/cli.ts up N [--prefix p] [--hardened] [--kbd-interactive] [--images busybox,debian] [--no-docker]
//   node tests/testbed/cli.ts down [prefix]
//   node tests/testbed/cli.ts status
//   node tests/testbed/cli.ts cleanup [--remove-route]
//   node tests/testbed/cli.ts image busybox|debian [pkg,pkg] | image mirror [pkg,pkg]
import { type ImageName, Testbed } from './index.ts';
import { aptMirrorRepo, busyboxImage, debianImage } from './images.ts';
import {
  bedIsStale,
  cgroupPids,
  cleanupAllSync,
  destroyBedSync,
  listBedStates,
  orphanState,
  readBedState,
  scanLeftovers,
} from './state.ts';
import { CGROUP_NAME, pidAlive } from './util.ts';

const USAGE = `usage:
  cli.ts up N [--prefix p] [--hardened] [--kbd-interactive] [--images busybox,debian] [--no-docker]
                         bring up N servers (the bed stays until 'down'); prints JSON
  cli.ts down [prefix]   tear a bed down (prefix optional when only one bed exists)
  cli.ts status          beds, their servers and processes; leftovers not owned by any bed
  cli.ts cleanup [--remove-route]
                         remove everything of ALL test beds, also after a crashed run
  cli.ts image busybox|debian [pkg,pkg…]
                         build an image tarball into the cache (no server needed)
  cli.ts image mirror [pkg,pkg…]
                         build the docker: false rootfs and the local apt mirror (default docker.io)`;

function flag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new Error(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

async function main(argv: string[]): Promise<number> {
  const args = [...argv];
  const cmd = args.shift();
  switch (cmd) {
    case 'up': {
      const prefix = option(args, '--prefix');
      const images = (option(args, '--images') ?? 'busybox').split(',').filter(Boolean) as ImageName[];
      const hardened = flag(args, '--hardened');
      const kbdInteractive = flag(args, '--kbd-interactive');
      const noDocker = flag(args, '--no-docker');
      const n = Number(args.shift() ?? '1');
      if (!Number.isInteger(n) || n < 1 || n > 60) throw new Error('N must be 1..60');
      const t0 = performance.now();
      const bed = await Testbed.create({ prefix, persistent: true });
      try {
        const names = Array.from({ length: n }, (_, i) => `s${i + 1}`);
        const servers = await bed.addServers(
          names.map((name) => ({ name, hardened, kbdInteractive, docker: !noDocker, images: noDocker ? [] : images })),
        );
        const out = {
          prefix: bed.prefix,
          bridge: bed.bridge,
          gateway: bed.gateway,
          seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
          servers: servers.map((s) => ({
            name: s.name,
            host: s.host,
            port: s.port,
            netns: s.netns,
            hostKeyFingerprint: s.hostKeyFingerprint,
            hostKeyFingerprints: s.hostKeyFingerprints,
            sshdPid: s.sshdPid,
            dockerdPid: s.dockerdPid,
            users: {
              root: { username: s.users.root.username, privateKeyPath: s.users.root.privateKeyPath },
              enc: { username: s.users.enc.username, privateKeyPath: s.users.enc.privateKeyPath, passphrase: s.users.enc.passphrase },
              pw: s.users.pw,
              docker: { username: s.users.docker.username, privateKeyPath: s.users.docker.privateKeyPath },
              sudo: { username: s.users.sudo.username, privateKeyPath: s.users.sudo.privateKeyPath },
            },
            ssh: `ssh -i ${s.users.root.privateKeyPath} -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no root@${s.host}`,
          })),
        };
        console.log(JSON.stringify(out, null, 2));
      } catch (e) {
        await bed.teardown().catch(() => {});
        throw e;
      }
      return 0;
    }
    case 'down': {
      let prefix = args.shift();
      if (!prefix) {
        const beds = listBedStates();
        if (beds.length !== 1) {
          console.error(`${beds.length} beds exist (${beds.map((b) => b.prefix).join(', ') || 'none'}): name one`);
          return beds.length === 0 ? 0 : 2;
        }
        prefix = beds[0]!.prefix;
      }
      if (!/^[a-z0-9]{1,7}$/.test(prefix)) throw new Error(`bad prefix ${prefix}`);
      const st = readBedState(prefix);
      if (!st) console.error(`no state for bed ${prefix}: removing what is left of it by name`);
      const problems = destroyBedSync(st ?? orphanState(prefix));
      for (const p of problems) console.error(p);
      console.log(`bed ${prefix} torn down`);
      return problems.length ? 1 : 0;
    }
    case 'status': {
      const beds = listBedStates();
      const owned = new Set<string>();
      for (const b of beds) {
        const owner = b.persistent ? 'persistent' : `owner pid ${b.ownerPid}${bedIsStale(b) ? ' (DEAD: stale)' : ''}`;
        console.log(`bed ${b.prefix}  slot ${b.slot}  bridge ${b.bridge}  ${owner}  created ${b.createdAt}`);
        owned.add(b.bridge);
        for (const s of b.servers) {
          owned.add(s.netns);
          if (s.hostVeth) owned.add(s.hostVeth);
          const procs = cgroupPids(s.cgroup).length;
          const up = (p?: number): string => (p ? `${p}${pidAlive(p) ? '' : '(dead)'}` : '-');
          console.log(
            `  ${s.name.padEnd(12)} netns ${s.netns}  ${s.hostVeth ? `veth ${s.hostVeth}` : `behind ${s.bastionNetns}`}  sshd ${up(s.sshdPid)}  dockerd ${up(s.dockerdPid)}  processes ${procs}`,
          );
        }
      }
      if (!beds.length) console.log('no beds');
      const lo = scanLeftovers();
      const strayNs = lo.netns.filter((n) => !owned.has(n));
      const strayLinks = lo.links.filter((n) => !owned.has(n));
      const prefixes = new Set(beds.map((b) => b.prefix));
      const strayCg = lo.cgroups.filter((c) => !prefixes.has(c.split('/').pop() ?? ''));
      const strayData = lo.dataDirs.filter((d) => !prefixes.has(d.split('/').pop() ?? ''));
      const strayProcs = cgroupPids(CGROUP_NAME).length - beds.reduce((n, b) => n + cgroupPids(`${CGROUP_NAME}/${b.prefix}`).length, 0);
      if (strayNs.length || strayLinks.length || strayCg.length || strayData.length || strayProcs > 0) {
        console.log('leftovers (run cleanup):');
        if (strayNs.length) console.log(`  netns: ${strayNs.join(' ')}`);
        if (strayLinks.length) console.log(`  links: ${strayLinks.join(' ')}`);
        if (strayCg.length) console.log(`  cgroups: ${strayCg.join(' ')}`);
        if (strayData.length) console.log(`  data: ${strayData.join(' ')}`);
        if (strayProcs > 0) console.log(`  processes outside beds: ${strayProcs}`);
      }
      return 0;
    }
    case 'cleanup': {
      const removeRoute = flag(args, '--remove-route');
      const problems = cleanupAllSync({ removeRoute });
      for (const p of problems) console.error(p);
      console.log(problems.length ? 'cleanup finished with problems' : 'clean');
      return problems.length ? 1 : 0;
    }
    case 'image': {
      const which = args.shift();
      const t0 = performance.now();
      if (which === 'mirror') {
        const dir = await aptMirrorRepo((args.shift() ?? 'docker.io').split(',').filter(Boolean));
        console.log(JSON.stringify({ dir, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) }, null, 2));
        return 0;
      }
      const img =
        which === 'busybox'
          ? await busyboxImage()
          : which === 'debian'
            ? await debianImage({ packages: (args.shift() ?? '').split(',').filter(Boolean) })
            : undefined;
      if (!img) throw new Error('image busybox|debian');
      console.log(JSON.stringify({ ...img, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) }, null, 2));
      return 0;
    }
    default:
      console.error(USAGE);
      return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
