import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Server, ServerAuthInput, TestStep } from '../../../shared/contract/servers.ts';
import { useUi } from '../../app/store.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { ConnectionSteps } from './ConnectionSteps.tsx';
import { formErrors } from './fieldErrors.ts';

type Method = ServerAuthInput['method'];

function initialForm(server: Server | undefined) {
  return {
    name: server?.name ?? '',
    host: server?.host ?? '',
    port: String(server?.port ?? 22),
    username: server?.username ?? 'root',
    method: (server?.authMethod ?? 'key') as Method,
    keySource: (server?.keyPath ? 'path' : 'paste') as 'paste' | 'path',
    keyPath: server?.keyPath ?? '',
    privateKey: '',
    passphrase: '',
    clearPassphrase: false,
    password: '',
    jumpServerId: server?.jumpServerId ?? '',
    dockerSocket: server?.settings.dockerSocket ?? '/var/run/docker.sock',
  };
}
type Form = ReturnType<typeof initialForm>;

/** What an edit changes of the credentials: nothing typed keeps what is stored. */
function authChange(form: Form, server: Server): { auth?: ServerAuthInput; keyPassphrase?: string | null } {
  if (form.method === 'agent') return server.authMethod === 'agent' ? {} : { auth: { method: 'agent' } };
  if (form.method === 'password') return form.password ? { auth: { method: 'password', password: form.password } } : {};
  const newKey = form.keySource === 'path' ? (form.keyPath && form.keyPath !== server.keyPath ? { keyPath: form.keyPath } : null) : form.privateKey ? { privateKey: form.privateKey } : null;
  if (newKey || server.authMethod !== 'key') {
    const key = newKey ?? (form.keySource === 'path' ? { keyPath: form.keyPath } : { privateKey: form.privateKey });
    return { auth: { method: 'key', ...key, ...(form.passphrase ? { passphrase: form.passphrase } : {}) } };
  }
  if (form.passphrase) return { keyPassphrase: form.passphrase };
  if (form.clearPassphrase) return { keyPassphrase: null };
  return {};
}

/** Adds a server, or edits one in place (`server`): the host-key pin stays while the address and port do. */
export function ServerDialog({ server, onClose }: { server?: Server; onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [form, setForm] = useState(() => initialForm(server));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<Server | null>(null);
  const [steps, setSteps] = useState<TestStep[] | null>(null);
  const set = (k: keyof Form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const editing = !!server;
  const endpointChanged = editing && (form.host.trim() !== server.host || Number(form.port) !== server.port);

  const test = useMutation({
    mutationFn: (id: string) => api().servers.test({ id }),
    onSuccess: (r) => {
      setSteps(r.steps);
      void qc.invalidateQueries({ queryKey: orpc.servers.key() });
      if (r.ok) toast({ kind: 'success', title: 'Connected', detail: r.steps.at(-1)?.detail ?? undefined });
    },
    onError: (e) => toast({ kind: 'error', title: 'Test failed', detail: describeError(e).message }),
  });

  const save = useMutation({
    mutationFn: () => {
      const settings = form.dockerSocket && form.dockerSocket !== (server?.settings.dockerSocket ?? '/var/run/docker.sock') ? { dockerSocket: form.dockerSocket } : undefined;
      if (server) {
        return api().servers.update({
          id: server.id,
          ...(form.name !== server.name ? { name: form.name } : {}),
          ...(form.host !== server.host ? { host: form.host } : {}),
          ...(Number(form.port) !== server.port ? { port: Number(form.port) } : {}),
          ...(form.username !== server.username ? { username: form.username } : {}),
          ...((form.jumpServerId || null) !== server.jumpServerId ? { jumpServerId: form.jumpServerId || null } : {}),
          ...authChange(form, server),
          ...(settings ? { settings } : {}),
        });
      }
      const auth: ServerAuthInput =
        form.method === 'password'
          ? { method: 'password', password: form.password }
          : form.method === 'agent'
            ? { method: 'agent' }
            : { method: 'key', ...(form.keySource === 'path' ? { keyPath: form.keyPath } : { privateKey: form.privateKey }), ...(form.passphrase ? { passphrase: form.passphrase } : {}) };
      return api().servers.create({ name: form.name, host: form.host, port: Number(form.port), username: form.username, auth, jumpServerId: form.jumpServerId || null, ...(settings ? { settings } : {}) });
    },
    onSuccess: (saved) => {
      setErrors({});
      setCreated(saved);
      void qc.invalidateQueries({ queryKey: orpc.servers.key() });
      test.mutate(saved.id);
    },
    onError: (e) => setErrors(formErrors(e)),
  });

  const err = (k: string) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;

  return (
    <Dialog label={editing ? 'Edit server' : 'Add server'} title={created ? `Connecting to ${created.name}` : editing ? `Edit ${server.name}` : 'Add a server'} width={640} onClose={onClose}>
      {!created ? (
        <form
          className="form"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <label htmlFor="srv-name">Name</label>
          <input id="srv-name" value={form.name} onChange={set('name')} placeholder="web-1" autoFocus />
          {err('name')}
          <label htmlFor="srv-host">Host</label>
          <input id="srv-host" value={form.host} onChange={set('host')} placeholder="203.0.113.10 or web-1.example.com" />
          {err('host')}
          <label htmlFor="srv-port">Port</label>
          <input id="srv-port" value={form.port} onChange={set('port')} inputMode="numeric" />
          {err('port')}
          {endpointChanged && (
            <p className="muted small full" data-testid="endpoint-changed">
              A new address: its host key will be shown for confirmation on the next connection. The pin of {server.host}:{server.port} is kept for other servers using it.
            </p>
          )}
          <label htmlFor="srv-user">User</label>
          <input id="srv-user" value={form.username} onChange={set('username')} />
          {err('username')}
          <label htmlFor="srv-method">Authentication</label>
          <select id="srv-method" value={form.method} onChange={set('method')}>
            <option value="key">Private key</option>
            <option value="password">Password</option>
            <option value="agent">SSH agent</option>
          </select>
          {form.method === 'key' && (
            <>
              <label htmlFor="srv-keysrc">Key</label>
              <select id="srv-keysrc" value={form.keySource} onChange={set('keySource')}>
                <option value="paste">Paste the private key (kept in the keychain)</option>
                <option value="path">A key file on this computer</option>
              </select>
              {form.keySource === 'path' ? (
                <>
                  <label htmlFor="srv-keypath">Key file</label>
                  <input id="srv-keypath" value={form.keyPath} onChange={set('keyPath')} placeholder="/home/you/.ssh/id_ed25519" />
                  {err('auth.keyPath')}
                </>
              ) : (
                <>
                  <label htmlFor="srv-key">Private key</label>
                  <textarea id="srv-key" rows={4} value={form.privateKey} onChange={set('privateKey')} placeholder={editing && server.hasStoredKey ? 'Leave empty to keep the stored key' : '-----BEGIN OPENSSH PRIVATE KEY-----'} className="mono" />
                  {err('auth.privateKey')}
                  {err('auth.keyPath')}
                </>
              )}
              <label htmlFor="srv-pp">Passphrase</label>
              <input id="srv-pp" type="password" value={form.passphrase} onChange={set('passphrase')} placeholder={editing && server.hasPassphrase ? 'Leave empty to keep the stored passphrase' : 'only for an encrypted key'} autoComplete="off" />
              {err('auth.passphrase')}
              {err('keyPassphrase')}
              {editing && server.hasPassphrase && (
                <label className="full">
                  <input type="checkbox" checked={form.clearPassphrase} onChange={(e) => setForm((f) => ({ ...f, clearPassphrase: e.target.checked }))} /> The key has no passphrase any more
                </label>
              )}
            </>
          )}
          {form.method === 'password' && (
            <>
              <label htmlFor="srv-pw">Password</label>
              <input id="srv-pw" type="password" value={form.password} onChange={set('password')} autoComplete="off" placeholder={editing && server.authMethod === 'password' ? 'Leave empty to keep the stored password' : ''} />
              {err('auth.password')}
            </>
          )}
          <label htmlFor="srv-jump">Jump host</label>
          <select id="srv-jump" value={form.jumpServerId} onChange={set('jumpServerId')}>
            <option value="">None (direct)</option>
            {servers.data?.filter((s) => s.id !== server?.id).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <label htmlFor="srv-socket">Docker socket</label>
          <input id="srv-socket" value={form.dockerSocket} onChange={set('dockerSocket')} placeholder="/var/run/docker.sock" />
          {err('settings.dockerSocket')}
          {errors.form && <p className="field-error full" role="alert">{errors.form}</p>}
          <div className="actions full">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" disabled={save.isPending}>
              {save.isPending ? 'Saving…' : editing ? 'Save and test' : 'Add and connect'}
            </button>
          </div>
        </form>
      ) : (
        <>
          {test.isPending && <p>Testing the connection…</p>}
          {steps && <ConnectionSteps serverId={created.id} steps={steps} onRetest={() => test.mutate(created.id)} />}
          <div className="actions">
            <button onClick={() => test.mutate(created.id)} disabled={test.isPending}>
              Test again
            </button>
            <button className="primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
