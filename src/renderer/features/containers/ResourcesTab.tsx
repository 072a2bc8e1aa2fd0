import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { z } from 'zod';
import type { PrunePreview } from '../../../shared/contract/containers.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { bytes } from '../../lib/format.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { Dialog } from '../../components/Dialog.tsx';

type Kind = 'images' | 'volumes' | 'networks';

/** Images, volumes or networks of one server: remove one, or prune with the space freed shown before confirming. */
export function ResourcesTab({ kind }: { kind: Kind }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [picked, setPicked] = useState('');
  const serverId = picked || servers.data?.[0]?.id || '';
  const enabled = !!serverId;
  const images = useQuery({ ...orpc.containers.images.queryOptions({ input: { serverId } }), enabled: enabled && kind === 'images' });
  const volumes = useQuery({ ...orpc.containers.volumes.queryOptions({ input: { serverId } }), enabled: enabled && kind === 'volumes' });
  const networks = useQuery({ ...orpc.containers.networks.queryOptions({ input: { serverId } }), enabled: enabled && kind === 'networks' });
  const [preview, setPreview] = useState<z.infer<typeof PrunePreview> | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: orpc.containers.key() });
  const run = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      refresh();
    } catch (e) {
      toast({ kind: 'error', title: `${what} failed`, detail: describeError(e).message });
    }
  };
  const prune = async () => {
    setPreview(null);
    await run('Prune', async () => {
      const r = await api().containers.prune({ serverId, kind });
      toast({ kind: 'success', title: `Pruned ${r.removed.length} ${kind}`, detail: kind === 'networks' ? undefined : `${bytes(r.reclaimedBytes)} freed` });
    });
  };
  return (
    <>
      <div className="row" style={{ marginBottom: 10 }}>
        <select value={serverId} onChange={(e) => setPicked(e.target.value)} aria-label="Server">
          {servers.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <div className="spacer" />
        <button disabled={!enabled} onClick={() => void api().containers.prunePreview({ serverId, kind }).then(setPreview, (e: unknown) => toast({ kind: 'error', title: 'Preview failed', detail: describeError(e).message }))}>
          Prune unused {kind}…
        </button>
      </div>
      <table className="table" data-testid={`${kind}-table`}>
        <tbody>
          {kind === 'images' &&
            images.data?.map((i) => (
              <tr key={i.id}>
                <td className="mono small">{i.tags.join(', ') || '<none>'}</td>
                <td className="mono small">{i.id.replace('sha256:', '').slice(0, 12)}</td>
                <td>{bytes(i.size)}</td>
                <td>{i.containers} containers</td>
                <td>
                  <button onClick={() => void confirmDialog({ title: `Remove image ${i.tags[0] ?? i.id}?`, confirmLabel: 'Remove image', danger: true }).then((ok) => { if (ok) void run('Remove', () => api().containers.removeImage({ serverId, id: i.id })); })}>Remove</button>
                </td>
              </tr>
            ))}
          {kind === 'volumes' &&
            volumes.data?.map((v) => (
              <tr key={v.name}>
                <td className="mono small">{v.name}</td>
                <td>{v.driver}</td>
                <td>{bytes(v.size)}</td>
                <td>{v.refCount ?? '?'} containers</td>
                <td>
                  <button onClick={() => void confirmDialog({ title: `Remove volume ${v.name}?`, detail: 'Its data is deleted.', confirmLabel: 'Remove volume', danger: true }).then((ok) => { if (ok) void run('Remove', () => api().containers.removeVolume({ serverId, name: v.name })); })}>Remove</button>
                </td>
              </tr>
            ))}
          {kind === 'networks' &&
            networks.data?.map((n) => (
              <tr key={n.id}>
                <td>{n.name}</td>
                <td>{n.driver}</td>
                <td>{n.scope}</td>
                <td>{n.containers} containers</td>
                <td>{!n.builtin && <button onClick={() => void confirmDialog({ title: `Remove network ${n.name}?`, confirmLabel: 'Remove network', danger: true }).then((ok) => { if (ok) void run('Remove', () => api().containers.removeNetwork({ serverId, id: n.id })); })}>Remove</button>}</td>
              </tr>
            ))}
        </tbody>
      </table>
      {preview && (
        <Dialog label="Prune preview" title={`Prune ${preview.items.length} unused ${kind}?`} onClose={() => setPreview(null)}>
          {kind !== 'networks' && (
            <p>
              This frees <strong data-testid="reclaimable">{bytes(preview.reclaimableBytes)}</strong>.
            </p>
          )}
          <ul className="small mono" style={{ maxHeight: 200, overflow: 'auto' }}>
            {preview.items.map((i) => (
              <li key={i}>{i}</li>
            ))}
          </ul>
          <div className="actions">
            <button onClick={() => setPreview(null)}>Cancel</button>
            <button className="primary" disabled={preview.items.length === 0} onClick={() => void prune()}>
              Prune
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
