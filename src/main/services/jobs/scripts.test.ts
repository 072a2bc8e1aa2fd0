import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const hasShellcheck = (() => {
  try {
    execFileSync('shellcheck', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

describe('the job scripts', () => {
  const dirs = [import.meta.dirname, join(import.meta.dirname, '../hosts')];
  const scripts = dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.sh')).map((f) => join(d, f)));

  it('are all found', () => {
    expect(scripts.map((s) => s.split('/').pop()).sort()).toEqual(['bootstrap-install.sh', 'host-launch.sh', 'host-run.sh', 'read.sh']);
  });

  it.each(scripts)('%s parses with sh -n and bash -n (and shellcheck when installed)', (file) => {
    execFileSync('sh', ['-n', file]);
    execFileSync('bash', ['-n', file]);
    if (hasShellcheck) execFileSync('shellcheck', ['-s', 'sh', '-e', 'SC1091', file]);
  });

  it('catches a broken script (positive control)', () => {
    expect(() => execFileSync('sh', ['-n', '-c', 'if then fi'], { stdio: 'ignore' })).toThrow();
  });
});
