import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHistory, parseStatuses } from './run-state.ts';
import { SCHEDULER_OPS } from './scheduler.ts';

const state = (job: string, status: string, atMs: number) =>
  JSON.stringify({ status, step: 'done', progress: 100, error: status === 'failed' ? 'boom' : '', at: 1, startedAt: 1, finishedAt: 2, run: 'run-1', job, key: `k/${job}`, size: 12, startedMs: atMs - 5, atMs });
const legacy = (job: string, state: string, finishedAt: number) => JSON.stringify({ job, state, startedAt: finishedAt - 5, finishedAt, key: `old/${job}`, size: 7, error: state === 'failed' ? 'old boom' : '' });

const tmp = mkdtempSync(join(tmpdir(), 'op-runstate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('backup run states on the server', () => {
  it('a run dir state.json wins over the older status file of the same job; a job with only the older file is still read', () => {
    const text = [`S ${legacy('job_a', 'failed', 100)}`, `R ${state('job_a', 'succeeded', 200)}`, '', `S ${legacy('job_b', 'ok', 50)}`, 'R {"half": '].join('\n');
    const got = parseStatuses(text).sort((a, b) => a.jobId.localeCompare(b.jobId));
    expect(got).toEqual([
      { jobId: 'job_a', state: 'ok', startedAt: 195, finishedAt: 200, key: 'k/job_a', size: 12, error: null },
      { jobId: 'job_b', state: 'ok', startedAt: 45, finishedAt: 50, key: 'old/job_b', size: 7, error: null },
    ]);
  });

  it('scheduler-ops.sh status prints both layouts as the parser reads them (run on real sh over a copy of the layout)', () => {
    const root = join(tmp, 'openpanel');
    mkdirSync(join(root, 'runs', 'job_a'), { recursive: true });
    mkdirSync(join(root, 'status'), { recursive: true });
    writeFileSync(join(root, 'runs', 'job_a', 'state.json'), `${state('job_a', 'failed', 300)}\n`);
    writeFileSync(join(root, 'status', 'job_b.json'), `${legacy('job_b', 'running', 80)}\n`);
    const r = spawnSync('sh', ['-c', SCHEDULER_OPS.replaceAll('/openpanel/', `${root}/`), 'sh', 'status'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(parseStatuses(r.stdout).map((s) => [s.jobId, s.state, s.error])).toEqual([
      ['job_b', 'running', null],
      ['job_a', 'failed', 'boom'],
    ]);
  });

  it('the run history keeps finished runs only', () => {
    expect(parseHistory([legacy('job_a', 'ok', 10), legacy('job_a', 'running', 11), legacy('job_a', 'failed', 12), '{"job":'].join('\n'))).toEqual([
      { jobId: 'job_a', state: 'ok', startedAt: 5, finishedAt: 10, error: null },
      { jobId: 'job_a', state: 'failed', startedAt: 7, finishedAt: 12, error: 'old boom' },
    ]);
  });
});

describe('scheduler-ops.sh on real sh', () => {
  const op = (args: string[], input?: string) => spawnSync('sh', ['-c', SCHEDULER_OPS.replaceAll('/openpanel/', `${tmp}/ops/`), 'sh', ...args], { encoding: 'utf8', input });

  it('write puts the content in place with the mode; prune keeps only the named job files', () => {
    const file = join(tmp, 'ops', 'jobs', 'job_a.job');
    expect(op(['write', file, '600'], 'KIND=dm9sdW1l\n').status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('KIND=dm9sdW1l\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(join(tmp, 'ops', 'jobs', 'job_b.job'), 'x');
    expect(op(['prune', 'job_a.job']).status).toBe(0);
    expect(readdirSync(join(tmp, 'ops', 'jobs'))).toEqual(['job_a.job']);
  });

  it('lock-held is 75 only while a process holds the lock; no lock file is no run', () => {
    const lock = join(tmp, 'ops', 'job_a.lock');
    expect(op(['lock-held', lock]).status).toBe(0);
    writeFileSync(lock, '');
    expect(op(['lock-held', lock]).status).toBe(0);
    const holder = spawn('flock', [lock, 'sleep', '30'], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 5000;
      let code = op(['lock-held', lock]).status;
      while (code !== 75 && Date.now() < deadline) code = op(['lock-held', lock]).status;
      expect(code).toBe(75);
    } finally {
      holder.kill();
    }
    expect(op(['nonsense']).status).toBe(2);
  });
});
