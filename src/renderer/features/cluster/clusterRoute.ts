export type ClusterTab = 'nodes' | 'apps' | 'registries';

/** Where the Clusters page is: the list, or one cluster's tab, app (`new` = the deploy form) and edit mode. */
export interface ClusterRoute {
  clusterId: string | null;
  tab: ClusterTab;
  app: string | null;
  edit: boolean;
}

/** #/cluster, #/cluster/<id>, #/cluster/<id>/apps[/new | /<name>[/edit]], #/cluster/<id>/registries */
export function clusterRoute(hash: string): ClusterRoute {
  const m = /^#\/cluster\/([A-Za-z0-9_-]+)(?:\/(apps|registries)(?:\/([a-z0-9-]+)(\/edit)?)?)?\/?$/.exec(hash);
  if (!m) return { clusterId: /^#\/cluster\/([A-Za-z0-9_-]+)/.exec(hash)?.[1] ?? null, tab: 'nodes', app: null, edit: false };
  const tab = (m[2] as ClusterTab | undefined) ?? 'nodes';
  return { clusterId: m[1] ?? null, tab, app: tab === 'apps' ? (m[3] ?? null) : null, edit: tab === 'apps' && !!m[4] };
}

export function clusterHash(clusterId: string, tab: ClusterTab = 'nodes', app?: string, edit = false): string {
  if (tab === 'nodes') return `#/cluster/${clusterId}`;
  return `#/cluster/${clusterId}/${tab}${app ? `/${app}${edit ? '/edit' : ''}` : ''}`;
}
