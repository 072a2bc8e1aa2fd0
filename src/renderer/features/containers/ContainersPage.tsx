import { useState } from 'react';
import { ContainersTable } from './ContainersTable.tsx';
import { ResourcesTab } from './ResourcesTab.tsx';

const TABS = ['containers', 'images', 'volumes', 'networks'] as const;

export function ContainersPage() {
  const [tab, setTab] = useState<(typeof TABS)[number]>('containers');
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
      {tab === 'containers' ? <ContainersTable /> : <ResourcesTab kind={tab} />}
    </section>
  );
}
