import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { KeyPreview } from '../../../shared/contract/backup-keys.ts';
import type { BackupTarget } from '../../../shared/contract/backups.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { formErrors } from '../servers/fieldErrors.ts';
import { ForeignJobs } from './ForeignJobs.tsx';

function download(name: string, content: string) {
  const url = URL.createObjectURL(new Blob([content], { type: 'text/plain' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function KeyRow({ target, onExport }: { target: BackupTarget; onExport(): void }) {
  const orpc = queryUtils();
  const info = useQuery(orpc.backups.keyInfo.queryOptions({ input: { id: target.id } }));
  return (
    <li data-key-target={target.name}>
      <div className="row">
        <span>
          <strong>{target.name}</strong>: encrypted to <code data-testid="key-recipient">{target.recipient}</code>
        </span>
        <div className="spacer" />
        <button onClick={onExport}>Export key…</button>
      </div>
      <p className="muted small" data-testid="key-where">
        The private key is {info.data?.where ?? 'on this computer'}. Nothing else holds it: without an exported copy, losing this computer loses every backup of this target.
      </p>
      <ForeignJobs target={target} />
    </li>
  );
}

function ExportDialog({ target, onClose }: { target: BackupTarget; onClose(): void }) {
  const toast = useUi((s) => s.toast);
  const [pass, setPass] = useState({ a: '', b: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [file, setFile] = useState<{ fileName: string; content: string } | null>(null);
  const [text, setText] = useState<string | null>(null);
  const exportFile = useMutation({
    mutationFn: () => {
      if (pass.a !== pass.b) return Promise.reject(new Error('passphrase: the two passphrases differ'));
      return api().backups.exportKey({ id: target.id, passphrase: pass.a });
    },
    onSuccess: (out) => {
      setErrors({});
      setFile(out);
      download(out.fileName, out.content);
    },
    onError: (e) => setErrors(e instanceof Error && e.message.startsWith('passphrase: ') ? { passphrase: e.message.slice(12) } : formErrors(e)),
  });
  const reveal = useMutation({
    mutationFn: () => api().backups.recoveryText({ id: target.id }),
    onSuccess: (out) => setText(out.text),
    onError: (e) => toast({ kind: 'error', title: 'Cannot show the key', detail: describeError(e).message }),
  });
  return (
    <Dialog label="Export backup key" title={`Export the backup key of ${target.name}`} width={720} onClose={onClose}>
      <p className="muted small">
        Keep a copy away from this computer. The file is encrypted with age under your passphrase: OpenPanel imports it (Backups → Import key), and the plain <code>age</code> tool opens it too (
        <code data-testid="age-command">age -d -i {file?.fileName ?? 'key.age'} backup.sql.zst.age | zstd -d</code>; older backups end in <code>.gz.age</code>: <code>| gunzip</code>, see docs/data.md).
      </p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          exportFile.mutate();
        }}
      >
        <label htmlFor="kx-pass">Passphrase</label>
        <input id="kx-pass" type="password" autoComplete="new-password" value={pass.a} onChange={(e) => setPass({ ...pass, a: e.target.value })} />
        <label htmlFor="kx-pass2">Passphrase again</label>
        <input id="kx-pass2" type="password" autoComplete="new-password" value={pass.b} onChange={(e) => setPass({ ...pass, b: e.target.value })} />
        {errors.passphrase && <span className="field-error full">{errors.passphrase}</span>}
        {errors.form && <span className="field-error full">{errors.form}</span>}
        <div className="actions full">
          <button type="submit" disabled={exportFile.isPending}>
            {exportFile.isPending ? 'Encrypting…' : 'Save key file'}
          </button>
          <button type="button" onClick={() => reveal.mutate()} disabled={reveal.isPending}>
            Show recovery text
          </button>
        </div>
      </form>
      {file && (
        <p role="status" data-testid="key-file">
          Saved <strong>{file.fileName}</strong> to your downloads.{' '}
          <button type="button" className="link" onClick={() => download(file.fileName, file.content)}>
            Save again
          </button>
        </p>
      )}
      {text && (
        <>
          <p className="muted small">Print this or write it down and store it safely: anyone with this text can open every backup of this target.</p>
          <pre className="recovery-text" data-testid="recovery-text" tabIndex={0}>
            {text}
          </pre>
          <div className="actions">
            <button type="button" onClick={() => void navigator.clipboard?.writeText(text).then(() => toast({ kind: 'success', title: 'Copied the recovery text' }))}>
              Copy
            </button>
            <button type="button" onClick={() => window.print()}>
              Print
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function ImportDialog({ targets, onClose }: { targets: BackupTarget[]; onClose(): void }) {
  const qc = useQueryClient();
  const orpc = queryUtils();
  const toast = useUi((s) => s.toast);
  const [form, setForm] = useState({ targetId: targets[0]?.id ?? '', content: '', passphrase: '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<KeyPreview | null>(null);
  const input = () => ({ id: form.targetId, content: form.content, ...(form.passphrase ? { passphrase: form.passphrase } : {}) });
  const check = useMutation({
    mutationFn: () => api().backups.previewKey(input()),
    onSuccess: (p) => {
      setErrors({});
      setPreview(p);
    },
    onError: (e) => setErrors(formErrors(e)),
  });
  const install = async (p: KeyPreview) => {
    const name = targets.find((t) => t.id === p.targetId)?.name ?? p.targetId;
    if (!p.same) {
      const ok = await confirmDialog({
        title: `Replace the key of ${name}?`,
        detail: `New backups of ${name} will be encrypted to ${p.recipient} (from the file) instead of ${p.current} (this computer's key now). The current key is kept beside it, so backups made with it still open.`,
        confirmLabel: 'Replace key',
        danger: true,
      });
      if (!ok) return;
    }
    try {
      const r = await api().backups.importKey({ ...input(), ...(p.same ? {} : { replace: p.current }) });
      toast({ kind: 'success', title: r.changed ? `Installed the key of ${name}` : `${name} already has this key`, detail: `encrypted to ${r.recipient}` });
      void qc.invalidateQueries({ queryKey: orpc.backups.key() });
      onClose();
    } catch (e) {
      setErrors(formErrors(e));
    }
  };
  return (
    <Dialog label="Import backup key" title="Import a backup key" width={720} onClose={onClose}>
      <p className="muted small">From a key file exported by OpenPanel (with its passphrase), or the recovery text pasted below. A different key is only installed after you compare both public keys.</p>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          check.mutate();
        }}
      >
        <label htmlFor="ki-target">Target</label>
        <select id="ki-target" value={form.targetId} onChange={(e) => setForm({ ...form, targetId: e.target.value })}>
          {targets.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
            </option>
          ))}
        </select>
        <label htmlFor="ki-file">Key file</label>
        <input id="ki-file" type="file" accept=".age,.txt,text/plain" onChange={(e) => void e.target.files?.[0]?.text().then((t) => setForm((f) => ({ ...f, content: t })))} />
        <label htmlFor="ki-text">or the recovery text</label>
        <textarea id="ki-text" rows={5} value={form.content} onChange={(e) => setForm({ ...form, content: e.target.value })} spellCheck={false} />
        {errors.content && <span className="field-error full">{errors.content}</span>}
        <label htmlFor="ki-pass">Passphrase (for a key file)</label>
        <input id="ki-pass" type="password" autoComplete="off" value={form.passphrase} onChange={(e) => setForm({ ...form, passphrase: e.target.value })} />
        {errors.passphrase && <span className="field-error full">{errors.passphrase}</span>}
        {(errors.form ?? errors.id ?? errors.replace) && <span className="field-error full">{errors.form ?? errors.id ?? errors.replace}</span>}
        <div className="actions full">
          <button type="submit" disabled={check.isPending}>
            {check.isPending ? 'Reading…' : 'Check key'}
          </button>
        </div>
      </form>
      {preview && (
        <div data-testid="key-preview" role="status">
          <p>
            This computer encrypts to <code>{preview.current}</code>
            <br />
            The file holds <code>{preview.recipient}</code>
          </p>
          <p>{preview.same ? (preview.alreadyKnown ? 'It is the same key: nothing to install.' : 'The same key, with older keys this computer does not have yet.') : 'These are different keys.'}</p>
          <div className="actions">
            <button type="button" disabled={preview.same && preview.alreadyKnown} onClick={() => void install(preview)}>
              {preview.same ? 'Install' : 'Replace key…'}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

/** Where each target's age key is, and its way off this computer (export) and onto another one (import). */
export function KeyCard() {
  const orpc = queryUtils();
  const targets = useQuery(orpc.backups.targets.queryOptions());
  const [exporting, setExporting] = useState<BackupTarget | null>(null);
  const [importing, setImporting] = useState(false);
  if (!targets.data?.length) return null;
  return (
    <div className="card" aria-label="Backup keys">
      <div className="row">
        <h2>Backup keys</h2>
        <div className="spacer" />
        <button onClick={() => setImporting(true)}>Import key…</button>
      </div>
      <ul data-testid="backup-keys">
        {targets.data.map((t) => (
          <KeyRow key={t.id} target={t} onExport={() => setExporting(t)} />
        ))}
      </ul>
      {exporting && <ExportDialog target={exporting} onClose={() => setExporting(null)} />}
      {importing && <ImportDialog targets={targets.data} onClose={() => setImporting(false)} />}
    </div>
  );
}
