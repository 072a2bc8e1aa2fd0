import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { NodeRole } from '../../../shared/contract/cluster.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

interface Pick {
  serverId: string;
  role: NodeRole;
  advertiseAddr: string;
}

/** Servers in the order picked: the first initialises the swarm (a manager), the others join. */
export function CreateClusterDialog({ onClose, onCreated }: { onClose(): void; onCreated(id: string): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [name, setName] = useState('');
  const [picks, setPicks] = useState<Pick[]>([]);
  const [pool, setPool] = useState('');
  const ids = picks.map((p) => p.serverId);
  const addresses = useQuery({ ...orpc.cluster.addresses.queryOptions({ input: { serverIds: ids } }), enabled: ids.length > 0 });
  const create = useMutation({
    mutationFn: () =>
      api().cluster.create({
        name,
        members: picks.map((p) => ({ serverId: p.serverId, role: p.role, ...(p.advertiseAddr ? { advertiseAddr: p.advertiseAddr } : {}) })),
        ...(pool.trim() ? { addrPool: pool.trim() } : {}),
      }),
    onSuccess: (view) => {
      void qc.invalidateQueries({ queryKey: orpc.cluster.key() });
      onCreated(view.id);
    },
  });
  const toggle = (serverId: string, on: boolean) =>
    setPicks((list) => (on ? [...list, { serverId, role: list.length === 0 ? 'manager' : 'worker', advertiseAddr: '' }] : list.filter((p) => p.serverId !== serverId)));
  const update = (serverId: string, patch: Partial<Pick>) => setPicks((list) => list.map((p) => (p.serverId === serverId ? { ...p, ...patch } : p)));
  const error = create.error ? describeError(create.error).message : null;

  return (
    <Dialog title="Create a cluster" onClose={onClose} width={720} testId="create-cluster">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="prod" aria-label="Cluster name" required />
        </label>
        <fieldset>
          <legend>Servers (the first one picked initialises the swarm)</legend>
          <table className="table">
            <thead>
              <tr>
                <th>Server</th>
                <th>Role</th>
                <th>Advertise address</th>
              </tr>
            </thead>
            <tbody>
              {(servers.data ?? []).map((s) => {
                const pick = picks.find((p) => p.serverId === s.id);
                const info = addresses.data?.servers.find((x) => x.serverId === s.id);
                const usable = info?.addresses.filter((a) => a.unusable === null) ?? [];
                return (
                  <tr key={s.id} data-server={s.name}>
                    <td>
                      <label>
                        <input type="checkbox" checked={!!pick} onChange={(e) => toggle(s.id, e.target.checked)} aria-label={`Include ${s.name}`} /> {s.name}
                        {pick && picks[0]?.serverId === s.id && <span className="badge">first</span>}
                      </label>
                    </td>
                    <td>
                      {pick && (
                        <select value={pick.role} onChange={(e) => update(s.id, { role: e.target.value as NodeRole })} aria-label={`Role of ${s.name}`}>
                          <option value="manager">manager</option>
                          <option value="worker">worker</option>
                        </select>
                      )}
                    </td>
                    <td>
                      {pick && (
                        <>
                          <input
                            list={`addr-${s.id}`}
                            value={pick.advertiseAddr}
                            placeholder={info?.suggested ?? (addresses.isFetching ? 'reading…' : '')}
                            onChange={(e) => update(s.id, { advertiseAddr: e.target.value })}
                            aria-label={`Advertise address of ${s.name}`}
                          />
                          <datalist id={`addr-${s.id}`}>
                            {usable.map((a) => (
                              <option key={a.address} value={a.address}>{`${a.address} (${a.iface})`}</option>
                            ))}
                          </datalist>
                          {info?.error && <div className="error-text small">{info.error}</div>}
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </fieldset>
        <label>
          Address pool for overlay networks
          <input value={pool} onChange={(e) => setPool(e.target.value)} placeholder={addresses.data?.addrPool ?? '10.10.0.0/16'} aria-label="Address pool" />
        </label>
        <p className="muted small">Empty: {addresses.data?.addrPool ?? 'a range'} — it overlaps none of the picked servers’ interfaces, routes or Docker networks.</p>
        {error && (
          <p className="error-text" role="alert" data-testid="create-cluster-error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button className="primary" type="submit" disabled={create.isPending || picks.length === 0 || !name}>
            {create.isPending ? 'Creating…' : 'Create cluster'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
