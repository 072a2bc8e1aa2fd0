import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogBatch, LogsFollowInput } from '../../src/shared/contract/index.ts';
import { BUSYBOX_TAG, Testbed, type TestServer } from '../testbed/index.ts';
import { rpcError, startTestApp, waitFor, type TestApp } from '../helpers/app.ts';
import { addServer } from '../helpers/servers.ts';

type Line = [number, 0 | 1, number | null, string];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('container logs (real sshd + dockerd)', () => {
  let bed: Testbed;
  let app: TestApp;
  let s: TestServer;
  let serverId: string;

  const run = async (name: string, script: string) => {
    await s.exec(['docker', 'run', '-d', '--name', name, BUSYBOX_TAG, 'sh', '-c', script], { check: true });
  };
  const waitExited = (name: string, timeoutMs = 60_000) =>
    waitFor(async () => (await s.exec(['docker', 'inspect', '-f', '{{.State.Status}}', name])).stdout.trim() === 'exited', `${name} to exit`, timeoutMs, 200);

  /** Reads a whole (non-following) stream, acknowledging each batch. */
  async function collect(input: Omit<LogsFollowInput, 'serverId' | 'flowId'>): Promise<{ lines: Line[]; batches: LogBatch[] }> {
    const flowId = randomUUID();
    const it = await app.client.logs.follow({ serverId, flowId, follow: false, ...input });
    const lines: Line[] = [];
    const batches: LogBatch[] = [];
    for await (const b of it) {
      batches.push(b);
      lines.push(...(b.lines as Line[]));
      await app.client.logs.ack({ flowId, seq: b.seq });
    }
    return { lines, batches };
  }

  beforeAll(async () => {
    bed = await Testbed.create({ prefix: 'logs' });
    s = await bed.addServer({ name: 'logs', images: ['busybox'] });
    app = await startTestApp();
    serverId = (await addServer(app.client, s, { name: 'logs' })).id;
    await run('both', 'for i in $(seq 1 300); do echo out $i; echo err $i >&2; done');
    await waitExited('both');
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await bed?.teardown();
  });

  it('tells stdout from stderr, in order, with parsed timestamps and the container named', async () => {
    const { lines, batches } = await collect({ containerIds: ['both'] });
    expect(batches[0]!.containers).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{64}$/), name: 'both', tty: false }]);
    expect(batches.at(-1)!.ended).toEqual([0]);
    const out = lines.filter((l) => l[1] === 0).map((l) => l[3]);
    const err = lines.filter((l) => l[1] === 1).map((l) => l[3]);
    expect(out).toEqual(Array.from({ length: 300 }, (_, i) => `out ${i + 1}`));
    expect(err).toEqual(Array.from({ length: 300 }, (_, i) => `err ${i + 1}`));
    const now = Date.now();
    expect(lines.every((l) => typeof l[2] === 'number' && l[2] > now - 120_000 && l[2] <= now)).toBe(true);
    // Docker's log file keeps each stream in order (the two streams are copied by separate readers).
    for (const tag of [0, 1]) {
      const times = lines.filter((l) => l[1] === tag).map((l) => l[2]!);
      expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    }
    // Without timestamps the lines carry none.
    const bare = await collect({ containerIds: ['both'], timestamps: false, tail: 3 });
    expect(bare.lines.every((l) => l[2] === null)).toBe(true);
  });

  it('tail N gives the last N lines; since gives the lines from a time on', async () => {
    const { lines } = await collect({ containerIds: ['both'], tail: 4 });
    // Docker counts the last N lines of its log file, whichever stream they came from.
    expect(lines).toHaveLength(4);
    for (const [tag, name] of [[0, 'out'], [1, 'err']] as const) {
      const nums = lines.filter((l) => l[1] === tag).map((l) => Number(l[3].replace(`${name} `, '')));
      expect(nums).toEqual(nums.map((_, i) => 300 - nums.length + 1 + i));
    }

    await run('since', 'echo early; sleep 1.5; echo late; echo later');
    await waitExited('since');
    const all = await collect({ containerIds: ['since'] });
    expect(all.lines.map((l) => l[3])).toEqual(['early', 'late', 'later']);
    const lateAt = all.lines[1]![2]!;
    const since = await collect({ containerIds: ['since'], since: Math.floor(lateAt) - 200 });
    expect(since.lines.map((l) => l[3])).toEqual(['late', 'later']);
  });

  it('interleaves several containers by time', async () => {
    await Promise.all([
      run('ia', 'for i in $(seq 1 20); do echo a $i; sleep 0.05; done'),
      run('ib', 'for i in $(seq 1 20); do echo b $i; sleep 0.05; done'),
    ]);
    await waitExited('ia');
    await waitExited('ib');
    const { lines, batches } = await collect({ containerIds: ['ia', 'ib'] });
    expect(batches[0]!.containers!.map((c) => c.name)).toEqual(['ia', 'ib']);
    expect(lines).toHaveLength(40);
    const times = lines.map((l) => l[2]!);
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    expect(lines.filter((l) => l[0] === 0).map((l) => l[3])).toEqual(Array.from({ length: 20 }, (_, i) => `a ${i + 1}`));
    expect(lines.filter((l) => l[0] === 1).map((l) => l[3])).toEqual(Array.from({ length: 20 }, (_, i) => `b ${i + 1}`));
    // Really interleaved, not one container after the other.
    const switches = lines.filter((l, i) => i > 0 && l[0] !== lines[i - 1]![0]).length;
    expect(switches).toBeGreaterThan(10);
  });

  it('follows new lines live, and cancelling ends the stream on the server', async () => {
    await run('tick', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done');
    const before = (await app.client.system.diagnostics()).activeStreams;
    const flowId = randomUUID();
    const ac = new AbortController();
    const it = await app.client.logs.follow({ serverId, flowId, containerIds: ['tick'], tail: 0 }, { signal: ac.signal });
    const seen: string[] = [];
    const started = Date.now();
    for await (const b of it) {
      seen.push(...b.lines.map((l) => l[3]));
      await app.client.logs.ack({ flowId, seq: b.seq });
      if (seen.length >= 5) break;
    }
    // tail 0: only lines printed after the stream opened, and they kept coming.
    const nums = seen.map((t) => Number(t.split(' ')[1]));
    expect(nums.every((n, i) => i === 0 || n === nums[i - 1]! + 1)).toBe(true);
    expect(Date.now() - started).toBeGreaterThan(600);
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams === before, 'the log stream to close');
    expect((await app.client.logs.ack({ flowId, seq: 0 })).ok).toBe(false);
    // Cancelling through the signal works too.
    const it2 = await app.client.logs.follow({ serverId, flowId: randomUUID(), containerIds: ['tick'], tail: 1 }, { signal: ac.signal });
    const first = await it2.next();
    expect(first.done).toBe(false);
    ac.abort();
    await waitFor(async () => (await app.client.system.diagnostics()).activeStreams === before, 'the aborted stream to close');
    await s.exec(['docker', 'rm', '-f', 'tick'], { check: true });
  });

  it('refuses unknown containers and bad input, naming the field', async () => {
    const missing = await rpcError(app.client.logs.follow({ serverId, flowId: randomUUID(), containerIds: ['nope'] }).then((it) => it.next()));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/containerIds.*nope/) });
    const bad = await rpcError(app.client.logs.follow({ serverId, flowId: randomUUID(), containerIds: ['../etc'] }));
    expect(bad.code).toBe('INPUT_INVALID');
    expect(JSON.stringify(bad.data)).toMatch(/containerIds/);
  });

  it('a consumer that does not acknowledge holds the server back: bounded memory, nothing lost', async () => {
    const N = 3_000_000; // ~23 MB of text; held in memory as JS lines it would take hundreds of MB
    await run('flood', `seq 1 ${N}`);
    await waitExited('flood', 120_000);
    gc();
    const { rss: rss0, heapUsed: heap0 } = process.memoryUsage();
    const flowId = randomUUID();
    const it = (await app.client.logs.follow({ serverId, flowId, containerIds: ['flood'], follow: false }))[Symbol.asyncIterator]();
    let bytes = 0;
    let lines = 0;
    let lastSeq = 0;
    let last = '';
    const pull = async () => {
      const r = await it.next();
      if (r.done) return false;
      bytes += r.value.bytes;
      lines += r.value.lines.length;
      lastSeq = r.value.seq;
      if (r.value.lines.length) last = r.value.lines.at(-1)![3];
      return true;
    };
    // One pull at a time; `step` gives up waiting after `ms` (the pull stays pending for the next step).
    let pending: Promise<boolean> | null = null;
    const step = async (ms: number): Promise<boolean | null> => {
      pending ??= pull();
      const r = await Promise.race([pending.then((v) => ({ v })), new Promise<null>((res) => setTimeout(() => res(null), ms))]);
      if (r) pending = null;
      return r ? r.v : null;
    };
    // No acks: the server stops once ~2 MiB are in flight. Take what it did send until nothing comes for 1 s.
    for (let i = 0; i < 10_000 && (await step(1_000)) !== null; i++);
    const held = bytes;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(2 * 1024 * 1024 + 64 * 1024);
    gc();
    const { rss: rssHeld, heapUsed: heapHeld } = process.memoryUsage();
    // This process is both the server and the client here; either buffering the log would show. As JS lines the
    // 3M-line log would take ~700 MB (measured: 300k lines held = 80 MB); what is live stays a few MB.
    expect(heapHeld - heap0).toBeLessThan(40 * 1024 * 1024);
    // And it stays there while the server holds back (the container's log is far from drained).
    await new Promise((r) => setTimeout(r, 2_000));
    gc();
    expect(process.memoryUsage().heapUsed - heapHeld).toBeLessThan(8 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssHeld).toBeLessThan(16 * 1024 * 1024);
    console.log(`held ${held} B; heap +${((heapHeld - heap0) / 1e6).toFixed(1)} MB, rss +${((rssHeld - rss0) / 1e6).toFixed(1)} MB`);
    // Acks resume: everything arrives, in order, and what stays live is bounded on the way (RSS also counts
    // garbage not yet collected, which depends on GC timing: the live heap after a full GC is the honest measure).
    let maxLive = heapHeld;
    for (let i = 0; i < 100_000; i++) {
      await app.client.logs.ack({ flowId, seq: lastSeq });
      const more = await step(30_000);
      if (more === false) break;
      if (i % 50 === 25) {
        gc();
        maxLive = Math.max(maxLive, process.memoryUsage().heapUsed);
      }
    }
    expect(lines).toBe(N);
    expect(last).toBe(String(N));
    console.log(`after all ${N} lines: live heap max +${((maxLive - heap0) / 1e6).toFixed(1)} MB`);
    expect(maxLive - heap0).toBeLessThan(40 * 1024 * 1024);
  }, 180_000);
});
