import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { TerminalInfo } from '../../../shared/contract/terminals.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

/** Picks a server and where to open the shell: on the server itself or in one of its running containers. */
export function NewTerminalForm({ onOpened }: { onOpened(t: TerminalInfo): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [serverId, setServerId] = useState('');
  const [where, setWhere] = useState('server');
  const chosen = serverId || servers.data?.[0]?.id || '';
  const containers = useQuery({ ...orpc.servers.containers.queryOptions({ input: { id: chosen, all: false } }), enabled: !!chosen, retry: false });
  const open = useMutation({
    mutationFn: () =>
      api().terminals.open({
        serverId: chosen,
        target: where === 'server' ? { kind: 'server' } : { kind: 'container', containerId: where },
      }),
    onSuccess: (t) => {
      void qc.invalidateQueries({ queryKey: orpc.terminals.list.key() });
      onOpened(t);
    },
  });

  if (servers.data && servers.data.length === 0) {
    return <p className="muted">Add a server first (Servers → Add server).</p>;
  }
  return (
    <form
      className="row terminal-new"
      aria-label="New terminal"
      onSubmit={(e) => {
        e.preventDefault();
        open.mutate();
      }}
    >
      <label>
        Server{' '}
        <select
          value={chosen}
          onChange={(e) => {
            setServerId(e.target.value);
            setWhere('server');
          }}
          aria-label="Server"
          data-testid="terminal-server"
        >
          {servers.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Shell in{' '}
        <select value={where} onChange={(e) => setWhere(e.target.value)} aria-label="Shell in" data-testid="terminal-target">
          <option value="server">the server</option>
          {containers.data?.map((c) => (
            <option key={c.id} value={c.name}>
              container {c.name} ({c.image})
            </option>
          ))}
        </select>
      </label>
      {containers.error && <span className="muted small">no containers: {describeError(containers.error).message.split('\n')[0]}</span>}
      <button type="submit" disabled={!chosen || open.isPending}>
        {open.isPending ? 'Opening…' : 'Open terminal'}
      </button>
      {open.error && (
        <span className="field-error" role="alert">
          {describeError(open.error).message}
        </span>
      )}
    </form>
  );
}
