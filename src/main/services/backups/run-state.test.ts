import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHistory, parseStatuses, STATUS_SCRIPT } from './run-state.ts';

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

  it('the status script prints both layouts as the parser reads them (run on real sh over a copy of the layout)', () => {
    const root = join(tmp, 'openpanel');
    mkdirSync(join(root, 'runs', 'job_a'), { recursive: true });
    mkdirSync(join(root, 'status'), { recursive: true });
    writeFileSync(join(root, 'runs', 'job_a', 'state.json'), `${state('job_a', 'failed', 300)}\n`);
    writeFileSync(join(root, 'status', 'job_b.json'), `${legacy('job_b', 'running', 80)}\n`);
    const r = spawnSync('sh', ['-c', STATUS_SCRIPT.replaceAll('/openpanel/', `${root}/`)], { encoding: 'utf8' });
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
