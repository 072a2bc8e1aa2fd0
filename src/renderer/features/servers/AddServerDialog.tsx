import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Server, ServerAuthInput, TestStep } from '../../../shared/contract/servers.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { ConnectionSteps } from './ConnectionSteps.tsx';
import { formErrors } from './fieldErrors.ts';

type Method = ServerAuthInput['method'];

export function AddServerDialog({ onClose }: { onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [form, setForm] = useState({ name: '', host: '', port: '22', username: 'root', method: 'key' as Method, keySource: 'paste' as 'paste' | 'path', keyPath: '', privateKey: '', passphrase: '', password: '', jumpServerId: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<Server | null>(null);
  const [steps, setSteps] = useState<TestStep[] | null>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const test = useMutation({
    mutationFn: (id: string) => api().servers.test({ id }),
    onSuccess: (r) => {
      setSteps(r.steps);
      void qc.invalidateQueries({ queryKey: orpc.servers.key() });
      if (r.ok) toast({ kind: 'success', title: 'Connected', detail: r.steps.at(-1)?.detail ?? undefined });
    },
    onError: (e) => toast({ kind: 'error', title: 'Test failed', detail: describeError(e).message }),
  });

  const create = useMutation({
    mutationFn: () => {
      const auth: ServerAuthInput =
        form.method === 'password'
          ? { method: 'password', password: form.password }
          : form.method === 'agent'
            ? { method: 'agent' }
            : { method: 'key', ...(form.keySource === 'path' ? { keyPath: form.keyPath } : { privateKey: form.privateKey }), ...(form.passphrase ? { passphrase: form.passphrase } : {}) };
      return api().servers.create({ name: form.name, host: form.host, port: Number(form.port), username: form.username, auth, jumpServerId: form.jumpServerId || null });
    },
    onSuccess: (server) => {
      setErrors({});
      setCreated(server);
      void qc.invalidateQueries({ queryKey: orpc.servers.key() });
      test.mutate(server.id);
    },
    onError: (e) => setErrors(formErrors(e)),
  });

  const err = (k: string) => errors[k] && <span className="field-error" role="alert">{errors[k]}</span>;

  return (
    <div className="overlay">
      <div className="dialog" role="dialog" aria-modal="true" aria-label="Add server" style={{ width: 640 }}>
        <h2>{created ? `Connecting to ${created.name}` : 'Add a server'}</h2>
        {!created ? (
          <form
            className="form"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate();
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
                    <textarea id="srv-key" rows={4} value={form.privateKey} onChange={set('privateKey')} placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" className="mono" />
                    {err('auth.privateKey')}
                    {err('auth.keyPath')}
                  </>
                )}
                <label htmlFor="srv-pp">Passphrase</label>
                <input id="srv-pp" type="password" value={form.passphrase} onChange={set('passphrase')} placeholder="only for an encrypted key" autoComplete="off" />
                {err('auth.passphrase')}
              </>
            )}
            {form.method === 'password' && (
              <>
                <label htmlFor="srv-pw">Password</label>
                <input id="srv-pw" type="password" value={form.password} onChange={set('password')} autoComplete="off" />
                {err('auth.password')}
              </>
            )}
            <label htmlFor="srv-jump">Jump host</label>
            <select id="srv-jump" value={form.jumpServerId} onChange={set('jumpServerId')}>
              <option value="">None (direct)</option>
              {servers.data?.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
            {errors.form && <p className="field-error full" role="alert">{errors.form}</p>}
            <div className="actions full">
              <button type="button" onClick={onClose}>
                Cancel
              </button>
              <button type="submit" disabled={create.isPending}>
                {create.isPending ? 'Saving…' : 'Add and connect'}
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
      </div>
    </div>
  );
}
