import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AppConfig } from '../../../shared/contract/apps.ts';
import { ShipSettings } from '../../../shared/contract/proxy.ts';
import { caddySiteFile, isSshGitUrl, jobVars } from './job.ts';
import { REMOVE_SCRIPT } from './remove.ts';
import { JOB_SCRIPT, JOB_VARS } from './script.ts';
import type { StoredConfig } from './store.ts';

const base = { name: 'web', serverId: 's1', source: { kind: 'git', url: 'ssh://git@forge.example.com/me/web.git', branch: 'main' }, port: 8080 };
const input = (app: object, settings: ShipSettings) => ({
  deployId: 'd1', appId: 'a1', kind: 'deploy' as const, app: AppConfig.parse(app) as StoredConfig, settings, image: 'openpanel/web:d1', container: 'op-web-d1',
  deployKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', env: { TOKEN: 'secret-value' }, upload: false,
});
const caddy = ShipSettings.parse({ driver: 'caddy' });
const traefik = ShipSettings.parse({ acme: { email: 'ops@example.com' } });

describe('the Dockerfile deploy job', () => {
  it('reads only variables the app sets, and none of their values is in the script text', () => {
    const read = new Set([...JOB_SCRIPT.matchAll(/\$\{?(OP_[A-Z_]+)/g)].map((m) => m[1]!));
    expect([...read].filter((v) => !(JOB_VARS as readonly string[]).includes(v))).toEqual([]);
    const vars = jobVars(input(base, caddy));
    for (const k of JOB_VARS) expect(typeof vars[k]).toBe('string');
    expect(JOB_SCRIPT).not.toContain('secret-value');
    execFileSync('sh', ['-n', '-c', JOB_SCRIPT]);
    execFileSync('sh', ['-n', '-c', REMOVE_SCRIPT]);
  });

  it('knows ssh git URLs (ssh:// and user@host:path) from the others', () => {
    expect(['ssh://git@h/x.git', 'git@github.com:me/x.git', 'SSH://h/x'].map(isSshGitUrl)).toEqual([true, true, true]);
    expect(['https://h/x.git', 'git://h/x.git', 'file:///x.git', 'https://user@h/x.git'].map(isSshGitUrl)).toEqual([false, false, false, false]);
    expect(jobVars(input(base, caddy)).OP_GIT_SSH).toBe('1');
    expect(jobVars(input({ ...base, source: { kind: 'git', url: 'https://h/x.git', branch: 'main' } }, caddy)).OP_GIT_SSH).toBe('');
  });

  it('passes the edited settings to docker run (limits, restart, health) and, with Caddy, the site file even without domains', () => {
    const v = jobVars(input({ ...base, limits: { memoryMb: 64, cpus: 0.5 }, restart: 'on-failure', health: { path: '/health', timeoutSeconds: 30 } }, caddy));
    expect(v).toMatchObject({ OP_MEMORY: '64m', OP_CPUS: '0.5', OP_RESTART: 'on-failure', OP_HEALTH_PATH: '/health', OP_HEALTH_TIMEOUT: '30', OP_SITE: '', OP_SITE_FILE: caddySiteFile('web') });
    expect(jobVars(input({ ...base, domains: [{ host: 'web.example.com' }] }, caddy)).OP_SITE_FILE).toBe(caddySiteFile('web'));
    expect(jobVars(input(base, traefik)).OP_SITE_FILE).toBe('');
  });
});
