import { describe, expect, it } from 'vitest';
import { GitUrl } from './apps.ts';

describe('GitUrl', () => {
  it('accepts the URL forms git accepts', () => {
    for (const u of ['https://github.com/acme/app.git', 'ssh://git@git.example.com:2222/acme/app.git', 'git@github.com:acme/app.git', 'git://10.0.0.1/app.git', 'file:///srv/app.git', 'https://deploy@example.com/app.git']) {
      expect(GitUrl.safeParse(u).success, u).toBe(true);
    }
  });

  it('refuses a password inside the URL, saying what to use instead', () => {
    const r = GitUrl.safeParse('https://alice:ghp_secret123@github.com/acme/app.git');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/without a password.*deploy key/);
  });

  it('refuses what is not a git URL, and option-like values', () => {
    for (const u of ['', 'github.com/acme/app', '--upload-pack=touch /tmp/x', 'https://github.com/a b']) expect(GitUrl.safeParse(u).success, u).toBe(false);
  });
});
