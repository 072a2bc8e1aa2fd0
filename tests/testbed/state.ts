// Persistent state of test beds under /run/openpanel-testbed, and the synchronous tear-down that works
// from it — used by Testbed.teardown(), the process 'exit' handler and `cli.ts cleanup` after a crash.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CGROUP_NAME,
  DATA_ROOT,
  NAME_PREFIX,
  NET16,
  STATE_ROOT,
  acquireLockSync,
  ownerAlive,
  releaseLock,
  runSync,
  sleepSync,
} from './util.ts';

export type ServerState = {
  name: string;
  index: number;
  netns: string;
  /** veth end in the root namespace (bridge port); absent for servers behind a bastion */
  hostVeth?: string;
  /** for servers behind a bastion: the bastion's netns and the veth end in it */
  bastionNetns?: string;
  bastionVeth?: string;
  dir: string;
  /** cgroup path relative to each hierarchy root, e.g. openpanel-testbed/p1/a */
  cgroup: string;
  anchorPid?: number;
  dockerdPid?: number;
  sshdPid?: number;
};

export type BedState = {
  prefix: string;
  slot: number;
  bridge: string;
  ownerPid: number;
  ownerStart: number;
  /** CLI beds outlive their creating process; they are only removed by `down`/`cleanup`. */
  persistent: boolean;
  createdAt: string;
  servers: ServerState[];
};

export const BEDS_DIR = path.join(STATE_ROOT, 'beds');
export const GLOBAL_LOCK = path.join(STATE_ROOT, 'global.lock');
export const UNREACHABLE_ROUTE = `${NET16}.0.0/16`;

export function bedStateFile(prefix: string): string {
  return path.join(BEDS_DIR, `${prefix}.json`);
}

export function readBedState(prefix: string): BedState | undefined {
  try {
    return JSON.parse(fs.readFileSync(bedStateFile(prefix), 'utf8')) as BedState;
  } catch {
    return undefined;
  }
}

export function writeBedState(state: BedState): void {
  fs.mkdirSync(BEDS_DIR, { recursive: true });
  const file = bedStateFile(state.prefix);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, file);
}

export function listBedStates(): BedState[] {
  let names: string[];
  try {
    names = fs.readdirSync(BEDS_DIR).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: BedState[] = [];
  for (const n of names) {
    const s = readBedState(n.slice(0, -'.json'.length));
    if (s) out.push(s);
  }
  return out;
}

export function bedIsStale(s: BedState): boolean {
  return !s.persistent && !ownerAlive(s.ownerPid, s.ownerStart);
}

/** cgroup v1 (or v2) hierarchies mounted under /sys/fs/cgroup. */
export function cgroupHierarchies(): string[] {
  const root = '/sys/fs/cgroup';
  if (fs.existsSync(path.join(root, 'cgroup.procs'))) return [root]; // pure v2
  const out: string[] = [];
  for (const e of safeReaddir(root)) {
    const p = path.join(root, e);
    try {
      if (fs.lstatSync(p).isDirectory() && fs.existsSync(path.join(p, 'cgroup.procs'))) out.push(p);
    } catch {
      /* ignore */
    }
  }
  return out;
}

/** The hierarchy we put our own daemons in (children inherit it). */
export function trackingHierarchy(): string {
  const hs = cgroupHierarchies();
  const pick = hs.find((h) => h.endsWith('/pids')) ?? hs.find((h) => h.endsWith('/memory')) ?? hs[0];
  if (!pick) throw new Error('no cgroup hierarchy found under /sys/fs/cgroup');
  return pick;
}

function safeReaddir(p: string): string[] {
  try {
    return fs.readdirSync(p);
  } catch {
    return [];
  }
}

function subdirs(p: string): string[] {
  const out: string[] = [];
  try {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) out.push(path.join(p, e.name));
  } catch {
    /* gone */
  }
  return out;
}

function collectPids(dir: string, into: Set<number>): void {
  try {
    for (const line of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
      const pid = Number(line);
      if (pid > 0) into.add(pid);
    }
  } catch {
    /* gone */
  }
  for (const d of subdirs(dir)) collectPids(d, into);
}

/** All pids inside cgroup subtree `rel` (relative to each hierarchy root), in every hierarchy. */
export function cgroupPids(rel: string): number[] {
  const pids = new Set<number>();
  for (const h of cgroupHierarchies()) collectPids(path.join(h, rel), pids);
  return [...pids];
}

/** SIGKILL every process in cgroup subtree `rel` (and `extra` pids) until none is left; bounded (~5 s). */
export function killCgroupTreeSync(rel: string, extra: number[] = []): number[] {
  let left: number[] = [];
  for (const pid of extra) safeKill(pid);
  for (let i = 0; i < 250; i++) {
    left = cgroupPids(rel).filter((p) => p !== process.pid);
    if (left.length === 0) return [];
    for (const pid of left) safeKill(pid);
    sleepSync(i < 10 ? 5 : 20);
  }
  return left;
}

function safeKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function rmdirTree(dir: string): void {
  for (const d of subdirs(dir)) rmdirTree(d);
  for (let i = 0; i < 50; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') return; // leave it; reported by status
      sleepSync(20);
    }
  }
}

/** Remove cgroup subtree `rel` from every hierarchy (depth first; processes must be gone). */
export function removeCgroupTreeSync(rel: string): void {
  for (const h of cgroupHierarchies()) {
    const d = path.join(h, rel);
    if (fs.existsSync(d)) rmdirTree(d);
  }
}

/** Pids of processes whose network namespace is `netns` (catches anything outside our cgroups). */
export function netnsPids(netns: string): number[] {
  const r = runSync(['ip', 'netns', 'pids', netns]);
  return r.stdout
    .split('\n')
    .map(Number)
    .filter((n) => n > 0);
}

/** A state for a prefix that has no state file any more (crash between creating and recording). */
export function orphanState(prefix: string): BedState {
  return {
    prefix,
    slot: 0,
    bridge: `${NAME_PREFIX}${prefix}-br`,
    ownerPid: 0,
    ownerStart: 0,
    persistent: false,
    createdAt: '',
    servers: [],
  };
}

/**
 * Tear a bed down from its state: kill every process (cgroup subtree + netns members), delete veths,
 * netns, bridge, cgroups, data dir, state file. Besides what the state records, everything named
 * optb-<prefix>-… is removed too. Synchronous and idempotent; never throws.
 */
export function destroyBedSync(state: BedState, opts: { underGlobalLock?: boolean } = {}): string[] {
  const problems: string[] = [];
  const rel = `${CGROUP_NAME}/${state.prefix}`;
  const namePrefix = `${NAME_PREFIX}${state.prefix}-`;
  const lo = scanLeftovers();
  const nsNames = new Set<string>(state.servers.map((s) => s.netns));
  for (const n of lo.netns) if (n.startsWith(namePrefix)) nsNames.add(n);
  const links = new Set<string>();
  for (const s of state.servers) if (s.hostVeth) links.add(s.hostVeth);
  for (const l of lo.links) if (l.startsWith(namePrefix) && l !== state.bridge) links.add(l);

  // Kill by membership (our cgroup subtree, our namespaces), never by recorded pid alone: a recorded pid
  // may belong to someone else by now.
  const ours = new Set<number>(cgroupPids(rel));
  for (const n of nsNames) for (const p of netnsPids(n)) ours.add(p);
  let left = killCgroupTreeSync(rel, [...ours]);
  for (const n of nsNames) {
    const stray = netnsPids(n);
    if (stray.length) left = left.concat(killCgroupTreeSync(rel, stray));
  }
  if (left.length) problems.push(`processes still alive: ${left.join(' ')}`);

  const batch: string[] = [];
  for (const l of links) batch.push(`link del ${l}`);
  for (const n of nsNames) batch.push(`netns del ${n}`);
  batch.push(`link del ${state.bridge}`);
  // -force: keep going after errors (most "errors" are "already gone")
  runSync(['ip', '-force', '-batch', '-'], batch.join('\n') + '\n');

  removeCgroupTreeSync(rel);
  try {
    fs.rmSync(path.join(DATA_ROOT, state.prefix), { recursive: true, force: true, maxRetries: 3 });
  } catch (e) {
    problems.push(`rm data dir: ${String(e)}`);
  }
  try {
    fs.rmSync(bedStateFile(state.prefix), { force: true });
  } catch {
    /* ignore */
  }
  if (!opts.underGlobalLock) lastBedOutSync();
  return problems;
}

/**
 * When no bed is left: drop the empty cgroup roots. The `unreachable 10.231.0.0/16` route stays on purpose:
 * a test that talks to a server after tear-down must fail at once, not send packets out of the machine
 * through the default route. Only `cli.ts cleanup` removes it.
 */
export function lastBedOutSync(): void {
  try {
    acquireLockSync(GLOBAL_LOCK, 5000);
  } catch {
    return;
  }
  try {
    if (listBedStates().length === 0) {
      for (const h of cgroupHierarchies()) {
        const d = path.join(h, CGROUP_NAME);
        if (fs.existsSync(d) && subdirs(d).length === 0) {
          try {
            fs.rmdirSync(d);
          } catch {
            /* busy: another bed just started */
          }
        }
      }
    }
  } finally {
    releaseLock(GLOBAL_LOCK);
  }
}

export type Leftovers = { netns: string[]; links: string[]; cgroups: string[]; dataDirs: string[] };

/** Find test-bed objects by name, whether or not a state file mentions them. */
export function scanLeftovers(): Leftovers {
  const netns = runSync(['ip', 'netns', 'list'])
    .stdout.split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NAME_PREFIX));
  const links = runSync(['ip', '-o', 'link', 'show'])
    .stdout.split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter((n) => n.startsWith(NAME_PREFIX));
  const cgroups: string[] = [];
  for (const h of cgroupHierarchies()) {
    const d = path.join(h, CGROUP_NAME);
    if (fs.existsSync(d)) for (const sd of subdirs(d)) cgroups.push(sd);
  }
  const dataDirs = safeReaddir(DATA_ROOT).map((n) => path.join(DATA_ROOT, n));
  return { netns, links, cgroups, dataDirs };
}

/** Remove everything of every bed (state files first, then whatever is left by name). */
export function cleanupAllSync(opts: { onlyStale?: boolean; removeRoute?: boolean } = {}): string[] {
  const problems: string[] = [];
  const beds = listBedStates();
  const keep = new Set<string>();
  for (const b of beds) {
    if (opts.onlyStale && !bedIsStale(b)) {
      keep.add(b.prefix);
      continue;
    }
    problems.push(...destroyBedSync(b));
  }
  if (opts.onlyStale) return problems;
  // Leftovers not covered by any state file (e.g. crash between creating and recording).
  const lo = scanLeftovers();
  const pids = new Set<number>();
  for (const ns of lo.netns) for (const p of netnsPids(ns)) pids.add(p);
  const left = killCgroupTreeSync(CGROUP_NAME, [...pids]);
  if (left.length) problems.push(`processes still alive: ${left.join(' ')}`);
  const batch = [...lo.links.map((l) => `link del ${l}`), ...lo.netns.map((n) => `netns del ${n}`)];
  if (batch.length) runSync(['ip', '-force', '-batch', '-'], batch.join('\n') + '\n');
  removeCgroupTreeSync(CGROUP_NAME);
  for (const d of lo.dataDirs) fs.rmSync(d, { recursive: true, force: true, maxRetries: 3 });
  if (opts.removeRoute) runSync(['ip', 'route', 'del', 'unreachable', UNREACHABLE_ROUTE]);
  fs.rmSync(STATE_ROOT, { recursive: true, force: true });
  const after = scanLeftovers();
  if (after.netns.length || after.links.length || after.cgroups.length) {
    problems.push(`left over: ${JSON.stringify(after)}`);
  }
  return problems;
}
