import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { Dialog } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { fieldErrors } from '../servers/fieldErrors.ts';

function useFieldError(error: unknown) {
  const errors = fieldErrors(error);
  const shown = (path: string) =>
    errors[path] && (
      <span className="field-error" data-testid={`error-${path}`} role="alert">
        {errors[path]}
      </span>
    );
  const general = error && !Object.keys(errors).length ? describeError(error).message : null;
  return { shown, general };
}

/** A label and its control in the form's two columns; the field's error under the control. */
function Row({ label, children, error }: { label: string; children(id: string): ReactNode; error?: ReactNode }) {
  const id = useId();
  return (
    <>
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {error}
    </>
  );
}

function Actions({ onClose, pending, label, busy, error }: { onClose(): void; pending: boolean; label: string; busy: string; error: string | null }) {
  return (
    <>
      {error && (
        <p className="error-text full" role="alert" data-testid="registry-dialog-error">
          {error}
        </p>
      )}
      <div className="actions full">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button className="primary" type="submit" disabled={pending}>
          {pending ? busy : label}
        </button>
      </div>
    </>
  );
}

/** A registry the app runs on one server, trusted by the cluster's nodes (CA file on each). */
export function CreatePrivateDialog({ clusterId, onClose }: { clusterId: string; onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const servers = useQuery(orpc.servers.list.queryOptions());
  const clusters = useQuery(orpc.cluster.list.queryOptions());
  const [name, setName] = useState('');
  const [serverId, setServerId] = useState('');
  const [trustCluster, setTrustCluster] = useState(clusterId);
  const [address, setAddress] = useState('');
  const [port, setPort] = useState('5000');
  const [username, setUsername] = useState('openpanel');
  const create = useMutation({
    mutationFn: () =>
      api().registry.createPrivate({
        name: name.trim(),
        serverId,
        ...(trustCluster ? { clusterId: trustCluster } : {}),
        ...(address.trim() ? { address: address.trim() } : {}),
        port: port.trim() === '' ? 5000 : Number(port),
        username,
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: orpc.registry.key() });
      onClose();
    },
  });
  const { shown, general } = useFieldError(create.error);
  return (
    <Dialog title="Create a private registry" onClose={onClose} testId="create-registry" width={620}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Row label="Name" error={shown('name')}>
          {(id) => (
            <input id={id} value={name} onChange={(e) => setName(e.target.value)} placeholder="main" required />
          )}
        </Row>
        <Row label="Runs on" error={shown('serverId')}>
          {(id) => (
            <select id={id} value={serverId} onChange={(e) => setServerId(e.target.value)} required>
              <option value="">Choose a server…</option>
              {(servers.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          )}
        </Row>
        <Row label="Trusted by the nodes of" error={shown('clusterId')}>
          {(id) => (
            <select id={id} value={trustCluster} onChange={(e) => setTrustCluster(e.target.value)}>
              <option value="">no cluster</option>
              {(clusters.data ?? []).map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Row>
        <Row label="Address" error={shown('address')}>
          {(id) => (
            <input id={id} value={address} onChange={(e) => setAddress(e.target.value)} placeholder="empty: the address OpenPanel connects to" spellCheck={false} />
          )}
        </Row>
        <Row label="Port" error={shown('port')}>
          {(id) => (
            <input id={id} type="number" value={port} onChange={(e) => setPort(e.target.value)} />
          )}
        </Row>
        <Row label="User name" error={shown('username')}>
          {(id) => (
            <input id={id} value={username} onChange={(e) => setUsername(e.target.value)} spellCheck={false} />
          )}
        </Row>
        <p className="muted small full">The app makes a CA and a password (both kept in the keychain), runs registry:2 with TLS and basic auth, and writes the CA root to /etc/docker/certs.d/&lt;address:port&gt;/ on every node that pulls.</p>
        <Actions onClose={onClose} pending={create.isPending} label="Create registry" busy="Creating…" error={general} />
      </form>
    </Dialog>
  );
}

/** Any v2 registry (GHCR, Docker Hub, GitLab, a self-hosted one); the password goes to the keychain and is never shown again. */
export function AddExternalDialog({ onClose, onAdded }: { onClose(): void; onAdded(id: string): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [ca, setCa] = useState('');
  const add = useMutation({
    mutationFn: () => api().registry.addExternal({ name: name.trim(), url: url.trim(), username: username.trim(), password, ...(ca.trim() ? { ca } : {}) }),
    onSuccess: (r) => {
      setPassword('');
      void qc.invalidateQueries({ queryKey: orpc.registry.key() });
      onAdded(r.id);
    },
  });
  const { shown, general } = useFieldError(add.error);
  return (
    <Dialog title="Add an external registry" onClose={onClose} testId="add-registry" width={620}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <Row label="Name" error={shown('name')}>
          {(id) => (
            <input id={id} value={name} onChange={(e) => setName(e.target.value)} placeholder="ghcr" required />
          )}
        </Row>
        <Row label="Registry URL" error={shown('url')}>
          {(id) => (
            <input id={id} value={url} onChange={(e) => setUrl(e.target.value)} placeholder="ghcr.io or https://registry.example.com:5000" required spellCheck={false} />
          )}
        </Row>
        <Row label="User name" error={shown('username')}>
          {(id) => (
            <input id={id} value={username} onChange={(e) => setUsername(e.target.value)} required spellCheck={false} autoComplete="off" />
          )}
        </Row>
        <Row label="Password or token" error={shown('password')}>
          {(id) => (
            <input id={id} type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
          )}
        </Row>
        <Row label="CA certificate (optional)" error={shown('ca')}>
          {(id) => (
            <textarea id={id} value={ca} onChange={(e) => setCa(e.target.value)} rows={3} placeholder="-----BEGIN CERTIFICATE----- (for a self-hosted registry with its own CA)" spellCheck={false} />
          )}
        </Row>
        <Actions onClose={onClose} pending={add.isPending} label="Add registry" busy="Adding…" error={general} />
      </form>
    </Dialog>
  );
}

/** Garbage collection of one app's tags: the `keep` newest stay, the rest and their unreferenced blobs go. */
export function GcDialog({ registryId, name, onClose, onDone }: { registryId: string; name: string; onClose(): void; onDone(text: string): void }) {
  const [app, setApp] = useState('');
  const [keep, setKeep] = useState('5');
  const gc = useMutation({
    mutationFn: () => api().registry.gc({ registryId, app: app.trim(), keep: Number(keep) }),
    onSuccess: (r) => onDone(`${name}: kept ${r.kept.length}, deleted ${r.deleted.length}${r.deleted.length ? ` (${r.deleted.join(', ')})` : ''}`),
  });
  const { shown, general } = useFieldError(gc.error);
  return (
    <Dialog title={`Garbage collection in ${name}`} onClose={onClose} testId="registry-gc">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          gc.mutate();
        }}
      >
        <Row label="App (repository)" error={shown('app')}>
          {(id) => (
            <input id={id} value={app} onChange={(e) => setApp(e.target.value)} placeholder="shop-api" required spellCheck={false} />
          )}
        </Row>
        <Row label="Keep the newest" error={shown('keep')}>
          {(id) => (
            <input id={id} type="number" min={1} value={keep} onChange={(e) => setKeep(e.target.value)} />
          )}
        </Row>
        <Actions onClose={onClose} pending={gc.isPending} label="Collect" busy="Collecting…" error={general} />
      </form>
    </Dialog>
  );
}
