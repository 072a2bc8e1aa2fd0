import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense, useState } from 'react';
import type { Server, TestStep } from '../../../shared/contract/servers.ts';
import { useUi, useUiRequest } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { bytes } from '../../lib/format.ts';
import { lazyChunk } from '../../lib/lazy.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { BootstrapPanel } from './BootstrapPanel.tsx';
import { ConnectionSteps } from './ConnectionSteps.tsx';
import { ServerDialog } from './ServerDialog.tsx';
import { LastSeen, StatusBadge, isStale, useStatus } from './status.tsx';
import { Uptime } from './FleetCard.tsx';
import { confirmDialog } from '../../app/confirm.tsx';
import { openTerminal } from '../terminals/open.ts';
import { WatchSummary } from '../watch/WatchSummary.tsx';

// Loaded when shown: the charts bring uPlot, the image mapping screen zod (through the contract's schemas).
const MetricsCharts = lazyChunk(() => import('./MetricsCharts.tsx').then((m) => ({ default: m.MetricsCharts })));
const ImageMappingDialog = lazyChunk(() => import('../images/ImageMappingDialog.tsx').then((m) => ({ default: m.ImageMappingDialog })));


export function ServerDetail({ server }: { server: Server }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const status = useStatus((s) => s.byId[server.id]);
  const seenAt = useStatus((s) => s.seenAt[server.id]);
  const stale = isStale(status, seenAt);
  const [steps, setSteps] = useState<TestStep[] | null>(null);
  const [editing, setEditing] = useState(false);
  const [images, setImages] = useState(false);
  useUiRequest('edit-server', (r) => r.serverId === server.id, () => setEditing(true));
  const facts = useQuery({ ...orpc.servers.facts.queryOptions({ input: { id: server.id } }), retry: false });
  const test = useMutation({
    mutationFn: () => api().servers.test({ id: server.id }),
    onSuccess: (r) => {
      setSteps(r.steps);
      if (r.ok) void facts.refetch();
      void qc.invalidateQueries({ queryKey: orpc.servers.list.key() });
    },
  });
  const remove = useMutation({
    mutationFn: () => api().servers.remove({ id: server.id }),
    onSuccess: () => {
      toast({ kind: 'success', title: `${server.name} removed`, detail: 'Its stored secrets were deleted too.' });
      void qc.invalidateQueries({ queryKey: orpc.servers.key() });
      window.location.hash = '#/servers';
    },
    onError: (e) => toast({ kind: 'error', title: 'Could not remove', detail: describeError(e).message }),
  });
  const f = facts.data;
  return (
    <section data-testid="server-detail">
      <div className="row">
        <h1 style={{ marginBottom: 0 }}>{server.name}</h1>
        <StatusBadge status={status} />
        {stale && <LastSeen at={Math.max(facts.dataUpdatedAt, seenAt ?? 0) || null} />}
        <div className="spacer" />
        <button
          onClick={() => void openTerminal({ serverId: server.id }, 'Terminal failed')}
        >
          Terminal
        </button>
        <button onClick={() => setEditing(true)} data-testid="server-edit">
          Edit
        </button>
        <button onClick={() => setImages(true)} data-testid="server-images">
          Images
        </button>
        <button onClick={() => test.mutate()} disabled={test.isPending}>
          {test.isPending ? 'Testing…' : 'Test connection'}
        </button>
        <button
          onClick={() => {
            void confirmDialog({ title: `Remove ${server.name}?`, detail: 'Its stored password, key and passphrase are deleted from the keychain. What runs on the server is not touched.', confirmLabel: 'Remove server', danger: true }).then((ok) => ok && remove.mutate());
          }}
        >
          Remove
        </button>
      </div>
      <p className="muted">
        {server.username}@{server.host}:{server.port} · {server.authMethod === 'key' ? (server.keyPath ? `key ${server.keyPath}` : 'stored key') : server.authMethod}
      </p>
      {editing && (
        <ServerDialog
          server={server}
          onClose={() => {
            setEditing(false);
            void facts.refetch();
          }}
        />
      )}
      {images && (
        <Suspense fallback={null}>
          <ImageMappingDialog serverId={server.id} onClose={() => setImages(false)} />
        </Suspense>
      )}
      {steps && (
        <div className="card">
          <h2>Connection test</h2>
          <ConnectionSteps serverId={server.id} steps={steps} onRetest={() => test.mutate()} />
        </div>
      )}
      <div className="card">
        <h2>Facts</h2>
        {facts.isLoading && <p>Connecting…</p>}
        {facts.error && (
          <p className="field-error" role="alert">
            {describeError(facts.error).message}
          </p>
        )}
        {f && (
          <dl className={`facts${stale ? ' stale' : ''}`} data-testid="facts">
            <dt>Hostname</dt>
            <dd>{f.hostname}</dd>
            <dt>OS</dt>
            <dd>{f.os}</dd>
            <dt>Kernel</dt>
            <dd>
              {f.kernel} ({f.arch})
            </dd>
            <dt>CPU</dt>
            <dd>{f.cpus} cores</dd>
            <dt>Memory</dt>
            <dd>{bytes(f.memoryBytes)}</dd>
            <dt>Disk /</dt>
            <dd>
              {bytes(f.diskFreeBytes)} free of {bytes(f.diskTotalBytes)}
            </dd>
            <dt>Uptime</dt>
            <dd>
              <Uptime seconds={f.uptimeSeconds} at={facts.dataUpdatedAt} frozen={stale} />
            </dd>
            <dt>Docker</dt>
            <dd data-testid="docker-version">{f.dockerVersion ? `${f.dockerVersion} · ${f.dockerTransport}` : 'not reachable'}</dd>
          </dl>
        )}
      </div>
      <Suspense fallback={null}>
        <MetricsCharts serverId={server.id} />
      </Suspense>
      <WatchSummary serverId={server.id} />
      {f && !f.dockerVersion && <BootstrapPanel serverId={server.id} onDone={() => void facts.refetch()} />}
      <div className="card">
        <h2>Host key</h2>
        {server.hostKeys.length ? (
          server.hostKeys.map((k) => (
            <div key={k.keyType} className="fingerprint">
              {k.keyType} {k.fingerprint} <span className="muted small">({k.source})</span>
            </div>
          ))
        ) : (
          <p className="muted">Not pinned yet: it is shown for confirmation on the first connection.</p>
        )}
      </div>
    </section>
  );
}
