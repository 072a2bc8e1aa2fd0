import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ZodType } from 'zod';
import { DeployJobState } from '../deploy/job.ts';
import { LAUNCH_SCRIPT, RUN_SCRIPT } from './host.ts';
import { parseRead, READ_SCRIPT } from './read.ts';
import { JobState } from './state.ts';
import { JobTracker, type JobReader } from './tracker.ts';

// The scripts run here with this machine's sh, as they run on a server over SSH (tests/integration/jobs-*.test.ts).
const root = mkdtempSync(join(tmpdir(), 'op-jobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const jobDir = (files: Record<string, string | Buffer>) => {
  const dir = join(root, `j${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
const sh = async (script: string, args: string[]) => (await promisify(execFile)('sh', ['-c', script, 'sh', ...args], { encoding: 'buffer', maxBuffer: 8 << 20 })).stdout;
const read = async <S extends JobState>(dir: string, offset: number, schema: ZodType<S> = JobState as never) => parseRead(await sh(READ_SCRIPT, [dir, String(offset)]), schema);
const localReader = (dir: string): JobReader => ({
  read: (offset) => read(dir, offset),
  alive: async () => (await read(dir, 1 << 30)).pid === 'alive',
});

/** state.json exactly as today's deploy job (shell-lib.ts `record`) writes it. */
const deployState = '{"status":"running","step":"build","progress":40,"image":"openpanel/web:d1","commit":"abc123","container":"op-web-d1","buildMs":null,"error":"","at":1764770000}';

describe('the job read script and parser', () => {
  it('read a deploy job dir as the deploy job writes it, with the log from an offset', async () => {
    const dir = jobDir({ 'state.json': deployState, log: '==> Fetching the source\n==> Building\n' });
    const all = await read(dir, 0, DeployJobState);
    expect(all.state).toEqual({ status: 'running', step: 'build', progress: 40, image: 'openpanel/web:d1', commit: 'abc123', container: 'op-web-d1', buildMs: null, error: '', at: 1764770000 });
    expect(all.log.toString()).toBe('==> Fetching the source\n==> Building\n');
    expect(all.pid).toBe('none');
    expect((await read(dir, 24, DeployJobState)).log.toString()).toBe('==> Building\n');
    // the base schema reads it too (the deploy fields are the domain's)
    expect((await read(dir, 0)).state).toMatchObject({ status: 'running', step: 'build', progress: 40 });
  });

  it('read a dir without files, or with a half-written state, as no state', async () => {
    const missing = await read(join(root, 'nothing-here'), 0);
    expect(missing).toEqual({ state: null, log: Buffer.alloc(0), pid: 'none' });
    expect((await read(jobDir({ 'state.json': '{"status":"runn' }), 0)).state).toBeNull();
    expect(parseRead(Buffer.from('garbage without separators'), JobState)).toEqual({ state: null, log: Buffer.alloc(0), pid: 'none' });
  });

  it('read the older host layout (pid, exit and log files, no state.json): running, ended, lost', async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const running = await read(jobDir({ pid: `${sleeper.pid}\n`, log: 'openpanel: step apt-update\nHit:1 …\n' }), 0);
      expect(running.pid).toBe('alive');
      expect(running.state).toMatchObject({ status: 'running', step: '' });
      expect(running.log.toString()).toContain('openpanel: step apt-update');
    } finally {
      sleeper.kill('SIGKILL');
    }
    await new Promise((r) => sleeper.once('exit', r));
    const ok = await read(jobDir({ pid: `${sleeper.pid}\n`, exit: '0\n', log: 'done\n' }), 0);
    expect(ok.pid).toBe('dead');
    expect(ok.state).toMatchObject({ status: 'succeeded', exitCode: 0, progress: 100 });
    expect((await read(jobDir({ pid: `${sleeper.pid}\n`, exit: '3\n', log: '' }), 0)).state).toMatchObject({ status: 'failed', exitCode: 3, error: 'exit 3' });
    const lost = await read(jobDir({ pid: `${sleeper.pid}\n`, log: 'half\n' }), 0);
    expect(lost).toMatchObject({ state: null, pid: 'dead' });
    // a domain whose state has more fields does not get a made-up state
    expect((await read(jobDir({ exit: '0\n' }), 0, DeployJobState)).state).toBeNull();
  });
});

describe('a host job (launcher, runner, tracker) on this machine', () => {
  const launch = (dir: string, script: string) => sh(LAUNCH_SCRIPT, [dir, RUN_SCRIPT, script]).then((b) => b.toString());

  it('records its steps and exit code in state.json, and the tracker gets the whole log', async () => {
    const dir = join(root, 'host1');
    const out = await launch(dir, 'set -eu\nstep "one" 30\necho hello\nsleep 1\nstep "two words" 60\necho "bye"\nexit 3\n');
    expect(out).toMatch(/^state=started\npid=\d+\n$/);
    // a second launch while it runs re-attaches instead of starting another
    expect(await launch(dir, 'echo never')).toMatch(/^state=running\n/);
    const t = new JobTracker(localReader(dir), { intervalMs: 100, maxMs: 20_000 }).start();
    await t.finished;
    expect(t.outcome).toBe('failed');
    expect(t.state).toMatchObject({ status: 'failed', step: 'two words', progress: 60, error: 'exit 3', exitCode: 3 });
    expect(t.state!.finishedAt! >= t.state!.startedAt!).toBe(true);
    expect(t.log).toBe('openpanel: step one\nhello\nopenpanel: step two words\nbye\n');
    expect(readFileSync(join(dir, 'exit'), 'utf8')).toBe('3\n');
  });

  it('reports a job whose process was killed as lost, and a job that outlives maxMs as timeout', async () => {
    const dir = join(root, 'host2');
    const pid = Number(/pid=(\d+)/.exec(await launch(dir, 'step wait\nsleep 30\n'))![1]);
    const slow = new JobTracker(localReader(dir), { intervalMs: 50, maxMs: 300 }).start();
    await slow.finished;
    expect(slow.outcome).toBe('timeout');
    expect(slow.state).toMatchObject({ status: 'running', step: 'wait' });
    process.kill(-pid, 'SIGKILL');
    const t = new JobTracker(localReader(dir), { intervalMs: 50, maxMs: 20_000 }).start();
    await t.finished;
    expect(t.outcome).toBe('lost');
    expect(t.log).toBe('openpanel: step wait\n');
  });

  it('reads nothing before start(); start() begins one polling loop, and stop() ends it', async () => {
    const dir = jobDir({ 'state.json': '{"status":"running","step":"wait","progress":10,"error":"","at":1}', log: 'waiting\n' });
    let reads = 0;
    const counted: JobReader = { read: (offset) => (reads++, read(dir, offset)), alive: async () => true };
    const t = new JobTracker(counted, { intervalMs: 20, maxMs: 20_000 });
    await new Promise((r) => setTimeout(r, 150));
    expect(reads).toBe(0);
    expect(t.attached).toBe(false);
    expect(t.start().start()).toBe(t);
    await vi.waitFor(() => expect(reads).toBeGreaterThanOrEqual(3), { timeout: 5_000 });
    // one loop: at 20 ms a poll, ~10 reads in 250 ms (two loops would be ~25; the alive check reads once more every 10)
    const before = reads;
    await new Promise((r) => setTimeout(r, 250));
    expect(reads - before).toBeLessThan(18);
    expect(t.log).toBe('waiting\n');
    // the job is still running: only stop() ends the loop before maxMs (20 s, beyond this test's time limit)
    t.stop();
    await t.finished;
    expect(t.outcome).toBeNull();
  });

  it('reads a log of several MiB in 1 MiB chunks before it reports the end', async () => {
    const big = Buffer.alloc(2.5 * 1048576, 'é');
    const dir = jobDir({ 'state.json': '{"status":"succeeded","step":"done","progress":100,"error":"","at":1}', log: big });
    const t = new JobTracker(localReader(dir), { intervalMs: 10, maxMs: 20_000 }).start();
    await t.finished;
    expect(t.outcome).toBe('succeeded');
    expect(Buffer.from(t.log).equals(big)).toBe(true);
  });
});
