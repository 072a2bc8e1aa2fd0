import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BackupJob, BackupObject } from '../../../shared/contract/backups.ts';
import { ENGINE_CATALOGUE } from '../../../shared/contract/engines.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { LongOperation } from '../../components/LongOperation.tsx';
import { describeError } from '../../lib/errors.ts';
import { bytes } from '../../lib/format.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { backupEngine, REPLACEABLE, restorePlan, type RestoreChoice } from './restorePlan.ts';

type Outcome = { status: 'running' } | { status: 'succeeded'; text: string } | { status: 'failed'; error: string };

/**
 * Restore one backup: into the same database (replace, where the engine supports it) or side by side into a new one,
 * on this or another server; what will happen is shown before it runs, and the result stays until closed.
 */
export function RestoreDialog({ job, object, onClose }: { job: BackupJob; object: BackupObject; onClose(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const dbs = useQuery(orpc.databases.list.queryOptions({ input: {} }));
  const serverList = useQuery(orpc.servers.list.queryOptions());
  const servers = new Map((serverList.data ?? []).map((s) => [s.id, s.name]));
  const sourceId = job.source.kind === 'database' ? job.source.databaseId : '';
  const source = dbs.data?.find((d) => d.id === sourceId);
  const engine = backupEngine(source, object.manifest?.kind) ?? 'postgres';
  const whole = ENGINE_CATALOGUE[engine].wholeInstance;
  const candidates = (dbs.data ?? []).filter((d) => d.engine === engine && !(whole && d.id === sourceId));
  const [choice, setChoice] = useState<RestoreChoice>({ mode: 'new', intoId: '', dbName: `${job.label.replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '')}_restored`.slice(0, 63) });
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const intoId = choice.intoId || (whole ? '' : sourceId) || candidates[0]?.id || '';
  const plan = restorePlan(job, source, backupEngine(source, object.manifest?.kind), candidates, { ...choice, intoId }, servers);
  const canReplace = source !== undefined && REPLACEABLE.has(source.engine);
  const name = object.key.split('/').pop();

  const run = async () => {
    if (!plan.target) return;
    setOutcome({ status: 'running' });
    try {
      const r = await api().backups.restore({ jobId: job.id, key: object.key, target: plan.target });
      const tables = r.tables.length ? `, ${r.tables.length} table${r.tables.length === 1 ? '' : 's'} (${r.tables.map((t) => `${t.table}: ${t.rows}`).join(', ')})` : '';
      setOutcome({ status: 'succeeded', text: `Restored into ${r.restoredInto}: ${bytes(r.bytes)}${tables}. Digests matched the manifest.` });
      void qc.invalidateQueries({ queryKey: orpc.databases.key() });
    } catch (e) {
      setOutcome({ status: 'failed', error: describeError(e).message });
    }
  };

  const running = outcome?.status === 'running';
  return (
    <Dialog label="Restore a backup" title={`Restore ${name}`} width={680} onClose={() => !running && onClose()} testId="restore-dialog">
      <p className="muted small">
        Backup of {job.label}
        {object.manifest ? ` (${ENGINE_CATALOGUE[engine].label} ${object.manifest.dbVersion}, ${bytes(object.manifest.size)})` : ''}.
      </p>
      <fieldset disabled={running || outcome?.status === 'succeeded'} className="form">
        <legend className="full">Restore into</legend>
        <label className="full">
          <input type="radio" name="restore-mode" checked={choice.mode === 'new'} onChange={() => setChoice({ ...choice, mode: 'new' })} /> {whole ? 'Another, empty database' : 'A new database, side by side'}
        </label>
        <label className="full">
          <input type="radio" name="restore-mode" checked={choice.mode === 'replace'} disabled={!canReplace} onChange={() => setChoice({ ...choice, mode: 'replace' })} /> The same database ({job.label}), replacing its data
          {!canReplace && <span className="muted small"> — not supported for {ENGINE_CATALOGUE[engine].label}: restore side by side</span>}
        </label>
        {choice.mode === 'new' && (
          <>
            <label htmlFor="restore-into">{whole ? 'Database' : 'Database server'}</label>
            <select id="restore-into" value={intoId} onChange={(e) => setChoice({ ...choice, intoId: e.target.value })}>
              {candidates.length === 0 && <option value="">no other {ENGINE_CATALOGUE[engine].label} database: create one under Databases</option>}
              {candidates.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name} on {servers.get(d.serverId) ?? d.serverId}
                </option>
              ))}
            </select>
            {!whole && (
              <>
                <label htmlFor="restore-name">New database name</label>
                <input id="restore-name" value={choice.dbName} onChange={(e) => setChoice({ ...choice, dbName: e.target.value })} autoComplete="off" />
              </>
            )}
          </>
        )}
      </fieldset>
      <div className="card" data-testid="restore-plan" aria-live="polite">
        <strong>What will happen</strong>
        {plan.problem ? (
          <p className="field-error">{plan.problem}</p>
        ) : (
          <ul>
            {plan.lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        )}
      </div>
      {outcome && (
        <LongOperation
          status={outcome.status}
          step={outcome.status === 'running' ? 'Downloading, decrypting and loading the backup…' : outcome.status === 'succeeded' ? outcome.text : null}
          progress={outcome.status === 'running' ? null : 100}
          log=""
          error={outcome.status === 'failed' ? outcome.error : null}
          ids={{ root: 'restore-progress', status: 'restore-status', step: 'restore-step' }}
        />
      )}
      <div className="actions">
        <button onClick={onClose} disabled={running}>
          {outcome?.status === 'succeeded' ? 'Close' : 'Cancel'}
        </button>
        {outcome?.status !== 'succeeded' && (
          <button className={choice.mode === 'replace' ? 'danger' : 'primary'} disabled={!plan.target || running} onClick={() => void run()} data-testid="restore-run">
            {running ? 'Restoring…' : choice.mode === 'replace' ? 'Replace with this backup' : 'Restore'}
          </button>
        )}
      </div>
    </Dialog>
  );
}
