import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AppConfig } from '../../../shared/contract/apps.ts';
import { ShipSettings } from '../../../shared/contract/proxy.ts';
import { checkTraefikLabels } from '../proxy/traefik.ts';
import { BUILT_SERVICES_AWK, COMPOSE_DOWN_SCRIPT, COMPOSE_JOB_SCRIPT, COMPOSE_VARS } from './compose-script.ts';
import type Docker from 'dockerode';
import { composeDown, composeJob, composeProject, composeRef, composeVars, isComposeRef, revisionOf, routeAlias, routeOverride } from './compose.ts';
import { startBuilder } from './job.ts';
import type { StoredConfig } from './store.ts';

const app = AppConfig.parse({
  name: 'shop',
  serverId: 's1',
  source: { kind: 'git', url: 'https://example.com/shop.git', branch: 'main' },
  compose: { file: 'deploy/compose.yml', service: 'Web.App' },
  port: 3000,
  domains: [{ host: 'shop.example.com' }, { host: 'plain.example.com', tls: false }],
}) as StoredConfig & { compose: NonNullable<AppConfig['compose']> };
const traefik = ShipSettings.parse({ driver: 'traefik', acme: { email: 'ops@example.com' } });
const caddy = ShipSettings.parse({ driver: 'caddy', dataDir: '/srv/op' });

function stdoutFrame(text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = 1;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('Compose apps', () => {
  it('derive the project from the app unless one is set, and record revisions as compose:<project>@<deploy>', () => {
    expect(composeProject(app)).toBe('op-shop');
    expect(composeProject({ ...app, compose: { ...app.compose, project: 'shop_prod' } })).toBe('shop_prod');
    const ref = composeRef('op-shop', 'dabc123');
    expect(isComposeRef(ref)).toBe(true);
    expect(isComposeRef('openpanel/shop:dabc123')).toBe(false);
    expect(revisionOf(ref)).toBe('dabc123');
    expect(() => revisionOf('compose:op-shop@../x')).toThrow(/toDeployId/);
  });

  it('route the service with Traefik labels that are documented, on the proxy network under a fixed alias', () => {
    const o = JSON.parse(routeOverride(app, traefik, ['B', 'A']));
    const svc = o.services['Web.App'];
    expect(checkTraefikLabels(svc.labels, ['web', 'websecure'])).toEqual([]);
    expect(svc.labels['traefik.http.services.op-shop.loadbalancer.server.port']).toBe('3000');
    expect(svc.networks).toEqual({ default: {}, openpanel: { aliases: ['op-shop-web-app'] } });
    expect(svc.environment).toEqual(['A', 'B']);
    expect(o.networks).toEqual({ openpanel: { external: true, name: 'openpanel' } });
    expect(routeAlias('op-shop', 'Web.App')).toBe('op-shop-web-app');
    // Caddy: no labels, and no environment key when the app has no env
    const c = JSON.parse(routeOverride(app, caddy, []));
    expect(c.services['Web.App'].labels).toEqual({});
    expect(c.services['Web.App'].environment).toBeUndefined();
  });

  it('set every variable the scripts read, with values only in variables (never in the script text)', () => {
    const v = composeVars({ deployId: 'dnew1', appId: 'a-1', kind: 'rollback', app, settings: caddy, revision: 'dold1', deployKey: null, env: { TOKEN: 'x$y "z"' }, upload: false });
    expect(Object.keys(v).sort()).toEqual([...COMPOSE_VARS].sort());
    expect(v.OP_IMAGE).toBe('compose:op-shop@dold1');
    expect(v.OP_STACK_DIR).toBe('/srv/op/stacks/a-1');
    expect(v.OP_COMPOSE_FILE).toBe('deploy/compose.yml');
    expect(v.OP_SITE_FILE).toBe('/openpanel/proxy/caddy/sites/shop.caddy');
    expect(v.OP_APP_ENV).toBe('TOKEN=x$y "z"');
    expect(v.OP_ROUTE).not.toContain('x$y');
    expect(v).toMatchObject({ OP_DATA_DIR: '/srv/op', OP_CHECK_HOST: 'plain.example.com', OP_PROXY_PORT: '80' });
  });

  it('are started (job and compose down) with the script and every variable it reads in the env actually sent', async () => {
    const specs: Docker.ContainerCreateOptions[] = [];
    const api = {
      createContainer: async (spec: Docker.ContainerCreateOptions) => {
        specs.push(spec);
        return { id: 'c1', start: async () => undefined, putArchive: async () => undefined, remove: async () => undefined, wait: async () => ({ StatusCode: 0 }) };
      },
      // The engine's log answer for a container without a TTY: one multiplexed stdout frame.
      getContainer: () => ({ logs: async () => stdoutFrame('stack removed\n') }),
    } as unknown as Docker;
    const input = { deployId: 'dnew1', appId: 'a-1', kind: 'deploy' as const, app, settings: caddy, revision: 'dnew1', deployKey: 'KEY-VALUE', env: { TOKEN: 'x$y "z"' }, upload: false };
    const job = composeJob(input);
    await startBuilder(api, { deployId: 'dnew1', image: 'docker:27-cli', dockerSocket: '/run/docker.sock', settings: caddy, vars: job.vars, script: job.script, binds: job.binds, upload: null });
    expect(await composeDown(api, { image: 'docker:27-cli', dockerSocket: '/run/docker.sock', input: { ...input, removeVolumes: true } })).toBe('stack removed\n');
    expect(specs.map((s) => (s.Entrypoint as string[])[2])).toEqual([COMPOSE_JOB_SCRIPT, COMPOSE_DOWN_SCRIPT]);
    for (const spec of specs) {
      const script = (spec.Entrypoint as string[])[2]!;
      execFileSync('sh', ['-n', '-c', script]);
      const env = new Map(spec.Env!.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      const read = new Set([...script.matchAll(/\$\{?(OP_[A-Z_]+)/g)].map((m) => m[1]!));
      expect([...read].filter((name) => !env.has(name))).toEqual([]);
      expect(env.get('OP_APP_ENV')).toBe('TOKEN=x$y "z"');
      expect(env.get('OP_PROJECT')).toBe('op-shop');
      // values only in the env: the app's name, env value and deploy key are nowhere else in what was sent
      const elsewhere = JSON.stringify({ ...spec, Env: spec.Env!.filter((e) => !/^OP_(APP_ENV|DEPLOY_KEY)=/.test(e)) });
      expect(elsewhere).not.toContain('x$y');
      expect(elsewhere).not.toContain('KEY-VALUE');
      expect(script).not.toContain('shop');
    }
    expect(new Map(specs[1]!.Env!.map((e) => e.split('=', 2) as [string, string])).get('OP_VOLUMES')).toBe('1');
  });

  it('find the built services in the normalised config of docker-compose 1.29 and of the v2 plugin', () => {
    const v1 = `networks:
  openpanel:
    external: true
    name: openpanel
services:
  api:
    command:
    - sh
    image: busybox:latest
  web:
    build:
      context: /srv/op/stacks/a/d1/src/web
    labels:
      build: not-a-key
version: '3.8'
volumes:
  build: {}
`;
    const v2 = `name: op-shop
services:
  db:
    image: postgres:16
    networks:
      default: null
  "worker":
    build:
      context: /srv/op/stacks/a/d1/src
      dockerfile: worker.Dockerfile
  web:
    build:
      context: /srv/op/stacks/a/d1/src/web
      dockerfile: Dockerfile
    depends_on:
      db:
        condition: service_started
networks:
  default:
    name: op-shop_default
`;
    const built = (yaml: string) => execFileSync('awk', [BUILT_SERVICES_AWK], { input: yaml, encoding: 'utf8' }).trim().split('\n');
    expect(built(v1)).toEqual(['web']);
    expect(built(v2)).toEqual(['worker', 'web']);
  });
});
