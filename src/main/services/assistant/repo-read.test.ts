import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import REPO_SCRIPT from './repo-read.sh?raw';

const file = join(import.meta.dirname, 'repo-read.sh');
const hasShellcheck = (() => {
  try {
    execFileSync('shellcheck', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

describe('repo-read.sh', () => {
  it('is what app-access imports (the file itself, as text)', () => {
    expect(REPO_SCRIPT).toContain("echo '@@FILES'");
    expect(REPO_SCRIPT.startsWith('#!/bin/sh\n')).toBe(true);
  });

  it('parses with sh -n and bash -n (and shellcheck when installed)', () => {
    execFileSync('sh', ['-n', file]);
    execFileSync('bash', ['-n', file]);
    if (hasShellcheck) execFileSync('shellcheck', ['-s', 'sh', file]);
  });

  it('a broken script is caught (positive control)', () => {
    expect(() => execFileSync('sh', ['-n', '-c', `${REPO_SCRIPT}\nif then fi`], { stdio: 'ignore' })).toThrow();
  });
});
