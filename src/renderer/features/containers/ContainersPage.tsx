import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { queryUtils } from '../../lib/rpc.ts';
import { ContainersTable } from './ContainersTable.tsx';
import { ResourcesTab } from './ResourcesTab.tsx';

const TABS = ['containers', 'images', 'volumes', 'networks'] as const;

export function ContainersPage() {
  const [tab, setTab] = useState<(typeof TABS)[number]>('containers');
  const noServers = useQuery(queryUtils().servers.list.queryOptions()).data?.length === 0;
  return (
    <section>
      <h1>Containers</h1>
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'on' : ''} onClick={() => setTab(t)}>
            {t[0]!.toUpperCase() + t.slice(1)}
          </button>
        ))}
      </div>
      {noServers ? (
        <EmptyState title="No containers yet." hint="Add a server first: its containers, images, volumes and networks are listed here." action={<a className="button-link" href="#/servers">Go to Servers</a>} />
      ) : tab === 'containers' ? (
        <ContainersTable />
      ) : (
        <ResourcesTab kind={tab} />
      )}
    </section>
  );
}
