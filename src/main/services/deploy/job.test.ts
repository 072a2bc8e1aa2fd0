import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AppConfig } from '../../../shared/contract/apps.ts';
import { ShipSettings } from '../../../shared/contract/proxy.ts';
import type Docker from 'dockerode';
import { caddySiteFile, isSshGitUrl, jobVars, startBuilder } from './job.ts';
import { REMOVE_SCRIPT } from './remove.ts';
import { JOB_SCRIPT, JOB_VARS } from './script.ts';
import type { StoredConfig } from './store.ts';

const base = { name: 'web', serverId: 's1', source: { kind: 'git', url: 'ssh://git@forge.example.com/me/web.git', branch: 'main' }, port: 8080 };
const input = (app: object, settings: ShipSettings) => ({
  deployId: 'd1', appId: 'a1', kind: 'deploy' as const, app: AppConfig.parse(app) as StoredConfig, settings, image: 'openpanel/web:d1', container: 'op-web-d1',
  deployKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', env: { TOKEN: 'secret-value' }, upload: false,
});
const caddy = ShipSettings.parse({ driver: 'caddy' });
const traefik = ShipSettings.parse({ driver: 'traefik', acme: { email: 'ops@example.com' } });

/** What startBuilder hands to Docker: the create options, and the calls made on the container. */
function recordingDocker() {
  const sent: { spec: Docker.ContainerCreateOptions | null; calls: string[] } = { spec: null, calls: [] };
  const api = {
    createContainer: async (spec: Docker.ContainerCreateOptions) => {
      sent.spec = spec;
      return { id: 'c1', start: async () => void sent.calls.push('start'), putArchive: async () => void sent.calls.push('putArchive'), remove: async () => void sent.calls.push('remove') };
    },
  };
  return { api: api as unknown as Docker, sent };
}

describe('the Dockerfile deploy job', () => {
  it('is started with the script and every variable it reads in its env; secrets are only in the env', async () => {
    const { api, sent } = recordingDocker();
    const j = input(base, caddy);
    await startBuilder(api, { deployId: 'd1', image: 'docker:27-cli', dockerSocket: '/var/run/docker.sock', settings: caddy, vars: jobVars(j), upload: null });
    expect(sent.calls).toEqual(['start']);
    const spec = sent.spec!;
    const [shell, flag, script] = spec.Entrypoint as string[];
    expect([shell, flag, script]).toEqual(['sh', '-c', JOB_SCRIPT]);
    execFileSync('sh', ['-n', '-c', script!]);
    const env = new Map(spec.Env!.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const read = new Set([...script!.matchAll(/\$\{?(OP_[A-Z_]+)/g)].map((m) => m[1]!));
    expect([...read].filter((v) => !env.has(v))).toEqual([]);
    expect([...env.keys()].sort()).toEqual([...JOB_VARS].sort());
    expect(env.get('OP_APP_ENV')).toBe('TOKEN=secret-value');
    expect(env.get('OP_DEPLOY_KEY')).toBe(j.deployKey);
    expect(env.get('OP_DATA_DIR')).toBe(caddy.dataDir);
    // the result for Watch: the textfile volume mounted where the script writes, the app's name on its container
    expect(spec.HostConfig!.Binds).toContain(`openpanel-watch-textfile:${env.get('OP_METRICS_DIR')}`);
    expect(env.get('OP_METRICS_DIR')).toBe('/openpanel-metrics');
    expect(env.get('OP_LABELS')!.split('\n')).toContain('openpanel.app.name=web');
    // secret values travel in those two variables only: not in the script, the name, labels, binds or other vars
    const elsewhere = JSON.stringify({ ...spec, Env: spec.Env!.filter((e) => !e.startsWith('OP_APP_ENV=') && !e.startsWith('OP_DEPLOY_KEY=')) });
    expect(elsewhere).not.toContain('secret-value');
    expect(elsewhere).not.toContain('BEGIN OPENSSH PRIVATE KEY');
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
    // the switch is confirmed on port 80 by a host it answers there: plain HTTP first, TLS only where port 80 redirects
    const twoHosts = { ...base, domains: [{ host: 'web.example.com' }, { host: 'plain.example.com', tls: false }] };
    expect(jobVars(input(twoHosts, caddy))).toMatchObject({ OP_CHECK_HOST: 'plain.example.com', OP_PROXY_PORT: '80' });
    expect(jobVars(input({ ...base, domains: [{ host: 'web.example.com' }] }, caddy)).OP_CHECK_HOST).toBe('web.example.com');
    expect(jobVars(input({ ...base, domains: [{ host: 'web.example.com' }] }, ShipSettings.parse({ driver: 'traefik', httpsRedirect: false }))).OP_CHECK_HOST).toBe('');
  });
});
