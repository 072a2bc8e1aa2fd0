import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Registry } from '../../../shared/contract/registry.ts';
import { ask } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { AddExternalDialog, CreatePrivateDialog, GcDialog } from './RegistryDialogs.tsx';

/** One registry: the container's state and login result (registry.status), the CA file per node, its actions. */
function RegistryRow({ registry, onGc }: { registry: Registry; onGc(r: Registry): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const servers = useQuery(orpc.servers.list.queryOptions());
  const status = useQuery({ ...orpc.registry.status.queryOptions({ input: { registryId: registry.id } }), retry: false });
  const [login, setLogin] = useState<{ ok: boolean; detail: string } | null>(null);
  const r = api().registry;
  const act = useMutation({
    mutationFn: async (a: { what: string; call: () => Promise<unknown> }) => a.call(),
    onSuccess: (_res, a) => toast({ kind: 'success', title: a.what }),
    onError: (e, a) => toast({ kind: 'error', title: `${a.what}: failed`, detail: describeError(e).message }),
    onSettled: () => void qc.invalidateQueries({ queryKey: orpc.registry.key() }),
  });
  const test = useMutation({ mutationFn: () => r.testLogin({ registryId: registry.id }), onSuccess: setLogin, onError: (e) => setLogin({ ok: false, detail: describeError(e).message }) });
  const remove = async () => {
    const answer = await ask({
      title: `Remove ${registry.name}?`,
      detail: registry.kind === 'private' ? 'The registry container, the CA files on the nodes and the keychain entries are removed.' : 'OpenPanel forgets it and its credentials; nothing changes at the registry.',
      confirmLabel: 'Remove registry',
      danger: true,
      ...(registry.kind === 'private' ? { option: { label: 'Also delete its data volume (every image in it)', initial: false } } : {}),
    });
    if (answer.ok) act.mutate({ what: `${registry.name} removed`, call: () => r.remove({ registryId: registry.id, purge: answer.option }) });
  };
  const s = status.data;
  const server = servers.data?.find((x) => x.id === registry.serverId)?.name;
  return (
    <tr data-registry={registry.name}>
      <td>
        <strong>{registry.name}</strong>
        <div className="muted small">
          {registry.kind}
          {server && ` on ${server}`} · user {registry.username}
        </div>
      </td>
      <td className="mono small">{registry.host}</td>
      <td data-field="status">
        {status.isPending ? (
          <span className="muted">checking…</span>
        ) : status.error ? (
          <span className="error-text">{describeError(status.error).message}</span>
        ) : (
          s && (
            <>
              {registry.kind === 'private' && <span className={`badge ${s.state === 'running' ? 'ok' : 'failed'}`}>{s.state}</span>}
              <span className={`badge ${s.error ? 'failed' : 'ok'}`} data-testid="registry-login">
                {s.error ? 'login failed' : 'login ok'}
              </span>
              {s.error && <div className="error-text small">{s.error}</div>}
            </>
          )
        )}
        {login && (
          <div className={login.ok ? 'small' : 'error-text small'} role="status" data-testid="registry-test-result">
            Test login: {login.detail}
          </div>
        )}
      </td>
      <td className="small" data-field="nodes">
        {s?.nodes.length
          ? s.nodes.map((n) => (
              <div key={n.serverId} title={n.path}>
                {n.serverName}: <span className={n.ok ? '' : 'error-text'}>{n.ok ? 'CA file ok' : (n.error ?? 'CA file missing')}</span>
              </div>
            ))
          : '—'}
      </td>
      <td style={{ whiteSpace: 'nowrap' }}>
        <button onClick={() => test.mutate()} disabled={test.isPending} aria-label={`Test login to ${registry.name}`}>
          {test.isPending ? 'Testing…' : 'Test login'}
        </button>
        {registry.kind === 'private' && (
          <>
            <button onClick={() => act.mutate({ what: `${registry.name}: CA files synced`, call: () => r.syncNodes({ registryId: registry.id }) })} disabled={act.isPending} aria-label={`Sync nodes of ${registry.name}`}>
              Sync nodes
            </button>
            <button onClick={() => onGc(registry)} aria-label={`Collect garbage in ${registry.name}`}>
              Collect garbage
            </button>
          </>
        )}
        <button onClick={() => void remove()} disabled={act.isPending} aria-label={`Remove ${registry.name}`}>
          Remove
        </button>
      </td>
    </tr>
  );
}

/** The Registries tab: private registries the app runs and external v2 registries, with their status. */
export function Registries({ clusterId }: { clusterId: string }) {
  const orpc = queryUtils();
  const toast = useUi((s) => s.toast);
  const list = useQuery(orpc.registry.list.queryOptions());
  const [dialog, setDialog] = useState<'private' | 'external' | null>(null);
  const [gc, setGc] = useState<Registry | null>(null);
  const registries = list.data ?? [];
  return (
    <div data-testid="registries">
      <div className="row">
        <h2 style={{ margin: 0 }}>Registries</h2>
        <div className="spacer" />
        <button className="primary" onClick={() => setDialog('private')}>
          Create private registry
        </button>
        <button onClick={() => setDialog('external')}>Add external registry</button>
      </div>
      <p className="muted">Images are built once and shipped through a registry. Passwords and tokens stay in the keychain and are never shown again.</p>
      {list.error && (
        <p className="error-text" role="alert">
          {describeError(list.error).message}
        </p>
      )}
      {list.data && registries.length === 0 ? (
        <EmptyState title="No registries yet." hint="Create a private registry on one of your servers (TLS from the app's own CA, its nodes trust it), or add an external one such as GHCR." />
      ) : (
        <table className="table" data-testid="registry-list">
          <thead>
            <tr>
              <th>Registry</th>
              <th>Address</th>
              <th>Status</th>
              <th>Nodes</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {registries.map((r) => (
              <RegistryRow key={r.id} registry={r} onGc={setGc} />
            ))}
          </tbody>
        </table>
      )}
      {dialog === 'private' && <CreatePrivateDialog clusterId={clusterId} onClose={() => setDialog(null)} />}
      {dialog === 'external' && <AddExternalDialog onClose={() => setDialog(null)} onAdded={() => setDialog(null)} />}
      {gc && (
        <GcDialog
          registryId={gc.id}
          name={gc.name}
          onClose={() => setGc(null)}
          onDone={(text) => {
            setGc(null);
            toast({ kind: 'success', title: 'Garbage collection done', detail: text });
          }}
        />
      )}
    </div>
  );
}
