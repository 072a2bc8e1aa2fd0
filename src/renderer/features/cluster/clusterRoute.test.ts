import { describe, expect, it } from 'vitest';
import { clusterHash, clusterRoute } from './clusterRoute.ts';

describe('cluster page routes', () => {
  it('reads the list, a cluster, its tabs, an app, the deploy form and edit mode from the hash', () => {
    expect(clusterRoute('#/cluster')).toEqual({ clusterId: null, tab: 'nodes', app: null, edit: false });
    expect(clusterRoute('#/cluster/abc_1')).toEqual({ clusterId: 'abc_1', tab: 'nodes', app: null, edit: false });
    expect(clusterRoute('#/cluster/abc/apps')).toEqual({ clusterId: 'abc', tab: 'apps', app: null, edit: false });
    expect(clusterRoute('#/cluster/abc/apps/new')).toEqual({ clusterId: 'abc', tab: 'apps', app: 'new', edit: false });
    expect(clusterRoute('#/cluster/abc/apps/web-1/edit')).toEqual({ clusterId: 'abc', tab: 'apps', app: 'web-1', edit: true });
    expect(clusterRoute('#/cluster/abc/registries')).toEqual({ clusterId: 'abc', tab: 'registries', app: null, edit: false });
    // Anything else under a cluster shows that cluster's nodes rather than a blank page.
    expect(clusterRoute('#/cluster/abc/whatever')).toEqual({ clusterId: 'abc', tab: 'nodes', app: null, edit: false });
  });

  it('writes the hashes it reads', () => {
    for (const hash of ['#/cluster/abc', '#/cluster/abc/apps', '#/cluster/abc/apps/web', '#/cluster/abc/apps/web/edit', '#/cluster/abc/registries']) {
      const r = clusterRoute(hash);
      expect(clusterHash(r.clusterId as string, r.tab, r.app ?? undefined, r.edit)).toBe(hash);
    }
  });
});
