import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { EmptyState } from '../../components/EmptyState.tsx';
import { queryUtils } from '../../lib/rpc.ts';
import { CreateDatabase } from './CreateDatabase.tsx';
import { DatabaseRow } from './DatabaseRow.tsx';

export function DatabasesPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const list = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const noServers = servers.data?.length === 0;
  return (
    <section>
      <div className="row">
        <h1 style={{ marginBottom: 0 }}>Databases</h1>
        <div className="spacer" />
        <button className="primary" onClick={() => setCreating((c) => !c)} disabled={noServers}>
          New database
        </button>
      </div>
      <p className="muted">PostgreSQL, MariaDB, MySQL, Redis and MongoDB on your servers: a persistent volume, a generated password in your keychain, a private network for apps, and local access over SSH.</p>
      {creating && (
        <CreateDatabase
          onDone={() => {
            setCreating(false);
            void qc.invalidateQueries({ queryKey: orpc.databases.key() });
          }}
        />
      )}
      {list.data && list.data.length > 0 ? (
        <table className="table" data-testid="databases-table">
          <thead>
            <tr>
              <th>Database</th>
              <th>Server</th>
              <th>State</th>
              <th>Version</th>
              <th>Connection</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((db) => (
              <DatabaseRow key={db.id} db={db} serverName={servers.data?.find((s) => s.id === db.serverId)?.name ?? db.serverId} />
            ))}
          </tbody>
        </table>
      ) : noServers ? (
        <EmptyState title="No databases yet." hint="Add a server first: databases run in Docker on one of your servers." action={<a className="button-link" href="#/servers">Go to Servers</a>} />
      ) : (
        <EmptyState title="No databases yet." hint="Create one with New database: pick the engine and the server, and OpenPanel runs it with a volume and a generated password." action={!creating && <button onClick={() => setCreating(true)}>New database</button>} />
      )}
    </section>
  );
}
