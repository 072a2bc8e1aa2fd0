import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Container } from '../../../shared/contract/containers.ts';
import { useUi } from '../../app/store.ts';
import { Drawer } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

export function InspectDrawer({ container, onClose }: { container: Container; onClose(): void }) {
  const orpc = queryUtils();
  const toast = useUi((s) => s.toast);
  const [reveal, setReveal] = useState(false);
  const [name, setName] = useState(container.name);
  const info = useQuery(orpc.containers.inspect.queryOptions({ input: { serverId: container.serverId, id: container.id, reveal } }));
  const rename = async () => {
    try {
      await api().containers.rename({ serverId: container.serverId, id: container.id, name });
      toast({ kind: 'success', title: `Renamed to ${name}` });
    } catch (e) {
      toast({ kind: 'error', title: 'Rename failed', detail: describeError(e).message });
    }
  };
  const i = info.data;
  return (
    <Drawer title={container.name} label={`Container ${container.name}`} testId="inspect" onClose={onClose}>
      {info.error && <p className="field-error">{describeError(info.error).message}</p>}
      {i && (
        <>
          <dl className="facts">
            <dt>Image</dt>
            <dd>{i.image}</dd>
            <dt>Command</dt>
            <dd className="mono small">{i.command.join(' ')}</dd>
            <dt>State</dt>
            <dd>
              {i.state}
              {i.health ? ` · ${i.health.status}` : ''} · restarts {i.restartCount} · policy {i.restartPolicy}
            </dd>
            <dt>Started</dt>
            <dd>{i.startedAt ?? '—'}</dd>
            <dt>Ports</dt>
            <dd>{i.ports.map((p) => `${p.publicPort ? `${p.ip ?? ''}:${p.publicPort} → ` : ''}${p.privatePort}/${p.type}`).join(', ') || '—'}</dd>
            <dt>Networks</dt>
            <dd>{i.networks.map((n) => `${n.name} ${n.ip}`).join(', ') || '—'}</dd>
            <dt>Mounts</dt>
            <dd className="small">{i.mounts.map((m) => `${m.source} → ${m.destination}${m.rw ? '' : ' (ro)'}`).join(', ') || '—'}</dd>
          </dl>
          <h2 style={{ marginTop: 16 }}>
            Environment{' '}
            <button onClick={() => setReveal((r) => !r)} data-testid="reveal-env">
              {reveal ? 'Hide values' : 'Reveal values'}
            </button>
          </h2>
          <table className="table small">
            <tbody>
              {i.env.map((e) => (
                <tr key={e.name}>
                  <td className="mono">{e.name}</td>
                  <td className="mono" data-env={e.name}>
                    {e.masked ? '••••••••' : e.value}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {i.health && i.health.log.length > 0 && (
            <>
              <h2 style={{ marginTop: 16 }}>Health checks</h2>
              <pre className="mono small">{i.health.log.map((l) => `${l.end} exit ${l.exitCode} ${l.output}`).join('\n')}</pre>
            </>
          )}
          <h2 style={{ marginTop: 16 }}>Rename</h2>
          <div className="row">
            <input value={name} onChange={(e) => setName(e.target.value)} aria-label="New name" />
            <button onClick={() => void rename()} disabled={name === container.name}>
              Rename
            </button>
          </div>
        </>
      )}
    </Drawer>
  );
}
