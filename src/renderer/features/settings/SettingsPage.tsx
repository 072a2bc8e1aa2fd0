import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTheme } from '../../app/theme.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { queryUtils } from '../../lib/rpc.ts';
import { AssistantSettingsCard } from '../assistant/SetupGuide.tsx';
import { AlertsPanel } from './AlertsPanel.tsx';
import { ProfilesPanel } from './ProfilesPanel.tsx';

function SecretsPanel() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const status = useQuery(orpc.secrets.status.queryOptions());
  const [passphrase, setPassphrase] = useState('');
  const onDone = {
    onSuccess: () => {
      setPassphrase('');
      void qc.invalidateQueries({ queryKey: orpc.secrets.key() });
    },
    onError: (e: unknown) => toast({ kind: 'error', title: 'Vault', detail: describeError(e).message }),
  };
  const create = useMutation({ ...orpc.secrets.createVault.mutationOptions(), ...onDone });
  const unlock = useMutation({ ...orpc.secrets.unlockVault.mutationOptions(), ...onDone });
  const s = status.data;
  if (!s) return <p>Loading…</p>;
  return (
    <div className="card">
      <h2>Secrets</h2>
      {s.backend === 'keychain' ? (
        <p>
          Passwords, keys and tokens are kept in your <strong>OS keychain</strong> (service “openpanel”). OpenPanel’s database only holds references.
        </p>
      ) : (
        <>
          <p>
            {s.keychainError ? <>The OS keychain is not available here ({s.keychainError}). </> : null}
            Secrets are kept in an <strong>encrypted vault</strong> (scrypt + AES-256-GCM) unlocked by a master passphrase.
          </p>
          <p>
            Vault: {s.vaultExists ? (s.unlocked ? 'unlocked' : 'locked') : 'not created'}
          </p>
          {!s.unlocked && (
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                (s.vaultExists ? unlock : create).mutate({ passphrase });
              }}
            >
              <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} placeholder="Master passphrase" aria-label="Master passphrase" autoComplete="new-password" />
              <button type="submit">{s.vaultExists ? 'Unlock vault' : 'Create vault'}</button>
            </form>
          )}
        </>
      )}
    </div>
  );
}

export function SettingsPage() {
  const orpc = queryUtils();
  const theme = useTheme();
  const info = useQuery(orpc.system.info.queryOptions());
  return (
    <section>
      <h1>Settings</h1>
      <div className="card">
        <h2>Appearance</h2>
        <div className="segmented" role="radiogroup" aria-label="Theme">
          {(['light', 'dark', 'system'] as const).map((t) => (
            <button key={t} role="radio" aria-checked={theme.theme === t} className={theme.theme === t ? 'on' : ''} onClick={() => theme.setTheme(t)}>
              {t}
            </button>
          ))}
        </div>
      </div>
      <AlertsPanel />
      <SecretsPanel />
      <ProfilesPanel />
      <AssistantSettingsCard />
      {info.data && (
        <div className="card">
          <h2>About</h2>
          <dl className="facts">
            <dt>Version</dt>
            <dd>{info.data.version}</dd>
            <dt>Mode</dt>
            <dd>{info.data.mode}</dd>
            <dt>Data</dt>
            <dd className="mono">{info.data.dataDir}</dd>
            <dt>Platform</dt>
            <dd>{info.data.platform}</dd>
          </dl>
        </div>
      )}
    </section>
  );
}
