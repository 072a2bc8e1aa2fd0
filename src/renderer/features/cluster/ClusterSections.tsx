import { Suspense } from 'react';
import { lazyChunk } from '../../lib/lazy.ts';
import { clusterHash, type ClusterRoute, type ClusterTab } from './clusterRoute.ts';

// Apps and registries load when their tab is first shown, like the app's pages.
const Apps = lazyChunk(() => import('./ClusterApps.tsx').then((m) => ({ default: m.ClusterApps })));
const Registries = lazyChunk(() => import('./Registries.tsx').then((m) => ({ default: m.Registries })));

const TABS: [ClusterTab, string][] = [
  ['nodes', 'Nodes'],
  ['apps', 'Apps'],
  ['registries', 'Registries'],
];

/** The cluster's sections as tabs; each is a hash route (#/cluster/<id>/apps …), so back and links work. */
export function ClusterTabs({ clusterId, tab }: { clusterId: string; tab: ClusterTab }) {
  return (
    <div className="tabs" role="tablist" aria-label="Cluster sections">
      {TABS.map(([id, label]) => (
        <button
          key={id}
          role="tab"
          aria-selected={tab === id}
          className={tab === id ? 'on' : ''}
          data-tab={id}
          onClick={() => {
            window.location.hash = clusterHash(clusterId, id);
          }}
        >
          {label}
        </button>
      ))}
    </div>
  );
}

/** The Apps or Registries tab's content. */
export function ClusterSection({ route }: { route: ClusterRoute & { clusterId: string } }) {
  return (
    <div role="tabpanel" aria-label={route.tab === 'apps' ? 'Apps' : 'Registries'}>
      <Suspense fallback={<div className="page-loading" aria-busy="true" />}>
        {route.tab === 'apps' ? <Apps clusterId={route.clusterId} app={route.app} edit={route.edit} /> : <Registries clusterId={route.clusterId} />}
      </Suspense>
    </div>
  );
}
