import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AppConfig } from '../../../shared/contract/apps.ts';
import { ShipSettings } from '../../../shared/contract/proxy.ts';
import { checkTraefikLabels } from '../proxy/traefik.ts';
import { BUILT_SERVICES_AWK, COMPOSE_DOWN_SCRIPT, COMPOSE_JOB_SCRIPT, COMPOSE_VARS } from './compose-script.ts';
import { composeProject, composeRef, composeVars, isComposeRef, revisionOf, routeAlias, routeOverride } from './compose.ts';
import type { StoredConfig } from './store.ts';

const app = AppConfig.parse({
  name: 'shop',
  serverId: 's1',
  source: { kind: 'git', url: 'https://example.com/shop.git', branch: 'main' },
  compose: { file: 'deploy/compose.yml', service: 'Web.App' },
  port: 3000,
  domains: [{ host: 'shop.example.com' }, { host: 'plain.example.com', tls: false }],
}) as StoredConfig & { compose: NonNullable<AppConfig['compose']> };
const traefik = ShipSettings.parse({ acme: { email: 'ops@example.com' } });
const caddy = ShipSettings.parse({ driver: 'caddy', dataDir: '/srv/op' });

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
    for (const script of [COMPOSE_JOB_SCRIPT, COMPOSE_DOWN_SCRIPT]) {
      expect(script).not.toContain('shop');
      const used = new Set([...script.matchAll(/\$\{?(OP_[A-Z_]+)/g)].map((m) => m[1]));
      for (const name of used) expect(COMPOSE_VARS).toContain(name);
    }
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
