import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { EmptyState } from '../../components/EmptyState.tsx';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

/** Every port forward open on this computer (from the Databases page's Open locally, or the API), with Close. */
export function ForwardsPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const list = useQuery({ ...orpc.forwards.list.queryOptions(), refetchInterval: 5000 });
  const servers = useQuery(orpc.servers.list.queryOptions());
  const dbs = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const close = useMutation({
    mutationFn: (id: string) => api().forwards.stop({ id }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: orpc.forwards.key() }),
    onError: (e) => toast({ kind: 'error', title: 'Could not close the forward', detail: describeError(e).message }),
  });
  const target = (serverId: string, host: string, port: number) => {
    const db = dbs.data?.find((d) => d.serverId === serverId && d.hostPort === port && (host === '127.0.0.1' || host === 'localhost'));
    return db ? `${host}:${port} (database ${db.name})` : `${host}:${port}`;
  };
  return (
    <section>
      <h1>Port forwards</h1>
      <p className="muted">Ports on this computer tunnelled over a server’s SSH connection. They stay open until you close them or quit OpenPanel.</p>
      {list.data && list.data.length > 0 ? (
        <table className="table" data-testid="forwards-table">
          <thead>
            <tr>
              <th>Server</th>
              <th>Local port</th>
              <th>Target (as the server sees it)</th>
              <th>Connections</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((f) => (
              <tr key={f.id} data-forward={f.localPort}>
                <td>{servers.data?.find((s) => s.id === f.serverId)?.name ?? f.serverId}</td>
                <td className="mono">
                  {f.localHost}:{f.localPort}
                </td>
                <td className="mono">{target(f.serverId, f.remoteHost, f.remotePort)}</td>
                <td>{f.connections}</td>
                <td>
                  <button onClick={() => close.mutate(f.id)} disabled={close.isPending && close.variables === f.id} aria-label={`Close forward ${f.localHost}:${f.localPort}`}>
                    Close
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <EmptyState title="No port forwards open." hint="Open one from a database’s Open locally on the Databases page: its local address then shows here until you close it." action={<a className="button-link" href="#/databases">Go to Databases</a>} />
      )}
    </section>
  );
}
