import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ImportPlanItem, ProfileBackupKey } from '../../../shared/contract/profiles.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { ProfileBackupKeys, type KeyChoice } from './ProfileBackupKeys.tsx';
import { pinKey, ProfileHostKeys, ProfileTrustNote, type PinConfirmation } from './ProfileHostKeys.tsx';

type Action = 'create' | 'skip' | 'overwrite';

function download(name: string, content: string) {
  const url = URL.createObjectURL(new Blob([content], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Export selected servers to a file (credentials only with a passphrase), import with a preview of every change. */
export function ProfilesPanel() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const servers = useQuery(orpc.servers.list.queryOptions());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [exportPass, setExportPass] = useState('');
  const [file, setFile] = useState<string | null>(null);
  const [importPass, setImportPass] = useState('');
  const [plan, setPlan] = useState<ImportPlanItem[] | null>(null);
  // Maps, not objects: refs come from the file and may be named __proto__ or constructor.
  const [actions, setActions] = useState<ReadonlyMap<string, Action>>(new Map());
  const [pins, setPins] = useState<ReadonlyMap<string, PinConfirmation>>(new Map());
  const [backupKeys, setBackupKeys] = useState<ProfileBackupKey[]>([]);
  const [keyChoices, setKeyChoices] = useState<ReadonlyMap<number, KeyChoice>>(new Map());

  const doExport = async () => {
    try {
      const out = await api().profiles.export({ serverIds: [...selected], ...(exportPass ? { passphrase: exportPass } : {}) });
      download(out.fileName, out.content);
      const keys = out.backupKeys ? ` and ${out.backupKeys} backup key${out.backupKeys === 1 ? '' : 's'}` : '';
      toast({ kind: 'success', title: `Exported ${out.servers} server${out.servers === 1 ? '' : 's'}`, detail: out.includesSecrets ? `Credentials${keys} included, encrypted with your passphrase.` : 'No credentials included.' });
    } catch (e) {
      toast({ kind: 'error', title: 'Export failed', detail: describeError(e).message });
    }
  };
  const preview = async (content: string) => {
    try {
      const p = await api().profiles.preview({ content, ...(importPass ? { passphrase: importPass } : {}) });
      setPlan(p);
      setActions(new Map(p.map((i) => [i.ref, i.defaultAction])));
      setPins(new Map());
      setBackupKeys(importPass ? await api().profiles.previewBackupKeys({ content, passphrase: importPass }) : []);
      setKeyChoices(new Map());
    } catch (e) {
      toast({ kind: 'error', title: 'Cannot import this file', detail: describeError(e).message });
    }
  };
  const apply = async () => {
    if (!file) return;
    try {
      const r = await api().profiles.import({ content: file, ...(importPass ? { passphrase: importPass } : {}), actions: Object.fromEntries(actions), confirmHostKeys: [...pins.values()], installBackupKeys: [...keyChoices.values()] });
      const unconfirmed = r.unconfirmedHostKeys.length ? `; ${r.unconfirmedHostKeys.length} host key${r.unconfirmedHostKeys.length === 1 ? '' : 's'} not trusted (asked on first connect)` : '';
      toast({ kind: 'success', title: 'Imported', detail: `created ${r.created.length}, updated ${r.updated.length}, skipped ${r.skipped.length}${r.hostKeyConflicts.length ? `; kept local host keys for ${r.hostKeyConflicts.join(', ')}` : ''}${unconfirmed}${r.backupKeysInstalled.length ? `; backup keys installed for ${r.backupKeysInstalled.join(', ')}` : ''}` });
      setPlan(null);
      setFile(null);
      void qc.invalidateQueries({ queryKey: orpc.servers.key() });
    } catch (e) {
      toast({ kind: 'error', title: 'Import failed', detail: describeError(e).message });
    }
  };

  return (
    <div className="card">
      <h2>Server profiles</h2>
      <p className="muted">Move servers between computers: addresses, users, jump hosts, pinned host keys and settings. Credentials, and the backup targets' keys, are included only when you set a passphrase.</p>
      <div className="row">
        {servers.data?.map((s) => (
          <label key={s.id} className="row" style={{ gap: 4 }}>
            <input type="checkbox" checked={selected.has(s.id)} onChange={(e) => setSelected((x) => (e.target.checked ? new Set([...x, s.id]) : new Set([...x].filter((i) => i !== s.id))))} />
            {s.name}
          </label>
        ))}
        {servers.data?.length === 0 && <span className="muted">No servers to export.</span>}
      </div>
      <div className="row" style={{ marginTop: 8 }}>
        <input type="password" placeholder="Passphrase (optional, to include credentials)" value={exportPass} onChange={(e) => setExportPass(e.target.value)} aria-label="Export passphrase" style={{ width: 340 }} />
        <button onClick={() => void doExport()} disabled={selected.size === 0}>
          Export
        </button>
      </div>
      <hr style={{ border: 0, borderTop: '1px solid var(--border)', margin: '14px 0' }} />
      <div className="row">
        <input
          type="file"
          accept="application/json,.json"
          aria-label="Profile file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void f.text().then((t) => setFile(t));
          }}
        />
        <input type="password" placeholder="Passphrase (if it has credentials)" value={importPass} onChange={(e) => setImportPass(e.target.value)} aria-label="Import passphrase" />
        <button onClick={() => file && void preview(file)} disabled={!file}>
          Preview import
        </button>
      </div>
      {plan && (
        <>
          <ProfileTrustNote authenticated={plan.every((p) => p.authenticated)} />
          <table className="table" style={{ marginTop: 10 }} data-testid="profile-plan">
            <thead>
              <tr>
                <th>Server</th>
                <th>Address</th>
                <th>Changes</th>
                <th>Action</th>
              </tr>
            </thead>
            <tbody>
              {plan.map((p) => (
                <tr key={p.ref} data-ref={p.ref}>
                  <td>{p.name}</td>
                  <td>
                    {p.address}
                    <ProfileHostKeys item={p} confirmed={pins} onToggle={(c, on) => setPins((m) => toggled(m, c, on))} />
                  </td>
                  <td className="small">
                    {p.existingId ? p.changes.join(', ') || 'same as existing' : 'new'}
                    {p.hostKeyConflict && <div className="field-error">{p.hostKeyConflict} (local pin kept)</div>}
                  </td>
                  <td>
                    <select value={actions.get(p.ref)} onChange={(e) => setActions((a) => new Map(a).set(p.ref, e.target.value as Action))} aria-label={`Action for ${p.name}`}>
                      {!p.existingId && <option value="create">create</option>}
                      <option value="skip">skip</option>
                      {p.existingId && <option value="overwrite">overwrite</option>}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <ProfileBackupKeys
            keys={backupKeys}
            chosen={keyChoices}
            onToggle={(c, on) =>
              setKeyChoices((m) => {
                const next = new Map(m);
                if (on) next.set(c.index, c);
                else next.delete(c.index);
                return next;
              })
            }
          />
          <div className="actions">
            <button onClick={() => setPlan(null)}>Cancel</button>
            <button className="primary" onClick={() => void apply()}>
              Import
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function toggled(m: ReadonlyMap<string, PinConfirmation>, c: PinConfirmation, on: boolean): ReadonlyMap<string, PinConfirmation> {
  const next = new Map(m);
  if (on) next.set(pinKey(c), c);
  else next.delete(pinKey(c));
  return next;
}
