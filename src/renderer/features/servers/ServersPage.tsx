import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { queryUtils } from '../../lib/rpc.ts';
import { AddServerDialog } from './AddServerDialog.tsx';
import { ImportSshConfigDialog } from './ImportSshConfigDialog.tsx';
import { ServerDetail } from './ServerDetail.tsx';
import { StatusBadge, useStatus } from './status.tsx';

function selectedFromHash(): string | null {
  return /^#\/servers\/([A-Za-z0-9_-]+)/.exec(window.location.hash)?.[1] ?? null;
}

export function ServersPage() {
  const orpc = queryUtils();
  const list = useQuery(orpc.servers.list.queryOptions());
  const statuses = useStatus((s) => s.byId);
  const [dialog, setDialog] = useState<'add' | 'import' | null>(null);
  const [selected, setSelected] = useState<string | null>(selectedFromHash);
  useEffect(() => {
    const onHash = () => setSelected(selectedFromHash());
    window.addEventListener('hashchange', onHash);
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
          {list.data && list.data.length > 0 ? (
            <table className="table" data-testid="servers-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Address</th>
                  <th>User</th>
                  <th>Via</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((s) => (
                  <tr key={s.id} data-server={s.name}>
                    <td>
                      <a href={`#/servers/${s.id}`}>{s.name}</a>
                    </td>
                    <td>
                      {s.host}:{s.port}
                    </td>
                    <td>{s.username}</td>
                    <td>{s.jumpServerId ? (list.data.find((j) => j.id === s.jumpServerId)?.name ?? '?') : 'direct'}</td>
                    <td>
                      <StatusBadge status={statuses[s.id]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <div className="empty-state">
              <p>No servers yet.</p>
              <p>Add one with its SSH address and a key, password or agent, or import your ~/.ssh/config.</p>
            </div>
          )}
        </section>
      )}
      {dialog === 'add' && <AddServerDialog onClose={() => setDialog(null)} />}
      {dialog === 'import' && <ImportSshConfigDialog onClose={() => setDialog(null)} />}
    </>
  );
}
