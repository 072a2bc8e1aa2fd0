import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BACKUP_SCRIPT, renderCrontab, renderJobFile } from './script.ts';

const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

describe('backup script', () => {
  it('is valid bash and reads values without evaluating them', () => {
    expect(BACKUP_SCRIPT).toMatch(/^#!\/bin\/bash\n/);
    expect(spawnSync('bash', ['-n'], { input: BACKUP_SCRIPT }).status).toBe(0);
    expect(BACKUP_SCRIPT).not.toMatch(/\beval\b|\bsource\b|^\. /m);
  });
  it.skipIf(!hasShellcheck)('passes shellcheck (and the check would catch a finding)', () => {
    const check = (text: string) => spawnSync('shellcheck', ['-S', 'warning', '-s', 'bash', '-f', 'gcc', '-'], { input: text, encoding: 'utf8' }).stdout.trim();
    expect(check(BACKUP_SCRIPT)).toBe('');
    expect(check(`${BACKUP_SCRIPT}\nexport X=$(get KIND)\n`)).toMatch(/SC2155/);
    // Two shellcheck runs of a 200-line script: seconds on a loaded 2-core machine.
  }, 60_000);
  it('compresses with the codec in the pipeline: zstd on every core when present (else gzip), named in the key and the manifest', () => {
    const pipeline = BACKUP_SCRIPT.split('\n').find((l) => l.startsWith('dump 2>>'));
    expect(pipeline).toMatch(/\| tee "\$T\/plain" \| compress 2>>"\$T\/err" \| age -r /);
    expect(BACKUP_SCRIPT).not.toMatch(/\| gzip -c 2>>/);
    const choice = /if command -v zstd >\/dev\/null 2>&1; then\n\s*CODEC=zstd; CEXT=zst; compress\(\) \{ zstd ([^}]*); \}\nelse\n\s*CODEC=gzip; CEXT=gz; compress\(\) \{ gzip -c; \}\nfi/.exec(BACKUP_SCRIPT);
    expect(choice?.[1]?.split(' ')).toEqual(expect.arrayContaining(['-T0', '-c']));
    expect(BACKUP_SCRIPT).toContain('KEY="$DIR/$TS.$EXT.$CEXT.age"');
    expect(BACKUP_SCRIPT).toContain('\\"codec\\":\\"$CODEC\\"}');
  });
  it('renders job files as base64 lines and refuses odd keys', () => {
    const f = renderJobFile({ DB_PASSWORD: "x'; rm -rf / #", KIND: 'postgres' });
    expect(f).toBe(`DB_PASSWORD=${Buffer.from("x'; rm -rf / #").toString('base64')}\nKIND=cG9zdGdyZXM=\n`);
    expect(() => renderJobFile({ 'A;B': 'x' })).toThrow();
  });
  it('renders a crontab with enabled jobs only', () => {
    const c = renderCrontab([
      { id: 'job_a', schedule: '0 3 * * *', enabled: true },
      { id: 'job_b', schedule: '* * * * *', enabled: false },
    ]);
    expect(c).toContain('0 3 * * * /openpanel/bin/backup.sh job_a >> /openpanel/status/job_a.log 2>&1');
    expect(c).not.toContain('job_b');
    expect(() => renderCrontab([{ id: 'a b', schedule: '* * * * *', enabled: true }])).toThrow();
  });
});
