import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { queryUtils } from '../../lib/rpc.ts';
import { ServerDialog } from './ServerDialog.tsx';
import { ImportSshConfigDialog } from './ImportSshConfigDialog.tsx';
import { ServerDetail } from './ServerDetail.tsx';
import { FleetCard } from './FleetCard.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ClusterCards } from '../cluster/ClusterCards.tsx';

function selectedFromHash(): string | null {
  return /^#\/servers\/([A-Za-z0-9_-]+)/.exec(window.location.hash)?.[1] ?? null;
}

export function ServersPage() {
  const orpc = queryUtils();
  const list = useQuery(orpc.servers.list.queryOptions());
  const [dialog, setDialog] = useState<'add' | 'import' | null>(null);
  const [selected, setSelected] = useState<string | null>(selectedFromHash);
  useEffect(() => {
    const onHash = () => setSelected(selectedFromHash());
    window.addEventListener('hashchange', onHash);
    // A lazy page renders before this effect runs: a hash change in between would otherwise be missed.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const server = list.data?.find((s) => s.id === selected);

  return (
    <>
      {server ? (
        <ServerDetail server={server} />
      ) : (
        <section>
          <div className="row">
            <h1 style={{ marginBottom: 0 }}>Servers</h1>
            <div className="spacer" />
            <button onClick={() => setDialog('import')}>Import from SSH config</button>
            <button className="primary" onClick={() => setDialog('add')}>
              Add server
            </button>
          </div>
          <p className="muted">Each server is reached over one SSH connection from this computer; nothing of OpenPanel runs on it.</p>
          <ClusterCards />
          {list.data && list.data.length > 0 ? (
            <div className="fleet-grid" data-testid="fleet">
              {list.data.map((s) => (
                <FleetCard key={s.id} server={s} />
              ))}
            </div>
          ) : (
            <EmptyState
              title="No servers yet."
              hint="Start here: add a server with its SSH address and a key, password or agent, or import the hosts of your ~/.ssh/config."
              action={<button onClick={() => setDialog('add')}>Add server</button>}
            />
          )}
        </section>
      )}
      {dialog === 'add' && <ServerDialog onClose={() => setDialog(null)} />}
      {dialog === 'import' && <ImportSshConfigDialog onClose={() => setDialog(null)} />}
    </>
  );
}
