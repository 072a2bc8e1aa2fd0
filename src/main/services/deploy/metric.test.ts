import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHELL_LIB } from './shell-lib.ts';

const tmp = mkdtempSync(join(tmpdir(), 'op-metric-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** deploy_metric of the shared library, run by a real shell with the job's variables. */
function run(shell: string[], env: Record<string, string>, call: string) {
  const r = spawnSync(shell[0]!, [...shell.slice(1), '-c', `${SHELL_LIB}\nJ=${tmp}/job; JOB_T0=$(ms); ${call}`], { env: { PATH: process.env.PATH!, OP_DATA_DIR: '/x', ...env }, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe.each([['dash', ['sh']], ['busybox ash', ['busybox', 'sh']]])('deploy_metric in %s', (_name, shell) => {
  it('escapes label values for the text format and cuts the reason to 200 bytes on a character boundary', () => {
    const dir = mkdtempSync(join(tmp, 'm-'));
    const reason = `${'a'.repeat(199)}éxyz`;
    const r = run(shell, { OP_METRICS_DIR: dir, OP_APP_ID: 'a1', OP_APP: 'we"b\\x\ny', REASON: reason }, 'deploy_metric 0 "$REASON"');
    expect(r).toMatchObject({ status: 0 });
    expect(r.out).toContain('result exported for Watch');
    expect(readdirSync(dir)).toEqual(['deploy-a1.prom']);
    expect(statSync(join(dir, 'deploy-a1.prom')).mode & 0o777).toBe(0o644);
    const text = readFileSync(join(dir, 'deploy-a1.prom'), 'utf8');
    const labels = 'app_id="a1",app_name="we\\"b\\\\x\\ny"';
    expect(text).toContain(`openpanel_deploy_last_success{${labels}} 0\n`);
    // the é would be split at byte 200: it goes whole, and what is left is valid UTF-8
    expect(text).toContain(`openpanel_deploy_last_failure_info{${labels},reason="${'a'.repeat(199)}"} 1\n`);
    expect(text).not.toContain('\ufffd');
  });

  it('drops quotes and backslashes from the reason and puts its lines on one, as state.json has it', () => {
    const dir = mkdtempSync(join(tmp, 'm-'));
    const r = run(shell, { OP_METRICS_DIR: dir, OP_APP_ID: 'a2', OP_APP: 'web', REASON: 'compose.file: "x.yml"\nis not \\valid' }, 'deploy_metric 0 "$REASON"');
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'deploy-a2.prom'), 'utf8')).toContain('reason="compose.file: x.yml is not valid"} 1\n');
  });

  it('writes a success without failure info, and never fails the job when there is no metrics volume', () => {
    const dir = mkdtempSync(join(tmp, 'm-'));
    expect(run(shell, { OP_METRICS_DIR: dir, OP_APP_ID: 'a3', OP_APP: 'web' }, 'deploy_metric 1').status).toBe(0);
    const text = readFileSync(join(dir, 'deploy-a3.prom'), 'utf8');
    expect(text).toContain('openpanel_deploy_last_success{app_id="a3",app_name="web"} 1\n');
    expect(text).not.toContain('failure_info');
    const missing = run(shell, { OP_METRICS_DIR: join(dir, 'absent'), OP_APP_ID: 'a4', OP_APP: 'web' }, 'deploy_metric 1; echo "still here $?"');
    expect(missing).toMatchObject({ status: 0 });
    expect(missing.out).toContain('no Watch metrics volume');
    expect(missing.out).toContain('still here 0');
  });
});
