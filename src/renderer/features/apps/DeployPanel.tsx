import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { App, Deploy } from '../../../shared/contract/apps.ts';
import { useUi, useUiRequest } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { assistantHash } from '../assistant/intent.ts';
import { ExplainLink } from '../assistant/ExplainLink.tsx';
import { AppForm } from './AppForm.tsx';
import { RuntimePanel } from './RuntimePanel.tsx';
import { useDeployWatch } from './useDeployWatch.ts';
import { WebhookPanel } from './WebhookPanel.tsx';
import { ask } from '../../app/confirm.tsx';
import { LongOperation } from '../../components/LongOperation.tsx';

const STEP_LABEL: Record<string, string> = {
  queued: 'Queued', prepare: 'Preparing', fetch: 'Fetching source', build: 'Building image', start: 'Starting container',
  health: 'Waiting for health check', switch: 'Switching traffic', cleanup: 'Stopping old version', done: 'Done',
};

/** One app: deploy button, live progress bar and build log, URLs, history with rollback. */
export function DeployPanel({ app, deployId, onDeploy }: { app: App; deployId: string | null; onDeploy(id: string): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const shown = deployId ?? app.lastDeploy?.id ?? null;
  const { deploy, log } = useDeployWatch(shown);
  const history = useQuery(orpc.apps.deploys.queryOptions({ input: { id: app.id, limit: 20 } }));
  // The release that serves now (from the live container), not the last deploy: a failed one does not replace it.
  const liveId = useQuery(orpc.apps.runtime.queryOptions({ input: { id: app.id } })).data?.live?.id ?? null;
  useEffect(() => {
    if (deploy && deploy.status !== 'running' && deploy.status !== 'queued') {
      void qc.invalidateQueries({ queryKey: orpc.apps.key() });
    }
  }, [deploy?.status]); // eslint-disable-line react-hooks/exhaustive-deps
  const onError = (title: string) => (e: unknown) => toast({ kind: 'error', title, detail: describeError(e).message });
  const started = (d: Deploy) => {
    onDeploy(d.id);
    void qc.invalidateQueries({ queryKey: orpc.apps.key() });
  };
  const run = useMutation({ mutationFn: () => api().apps.deploy({ id: app.id }), onSuccess: started, onError: onError('Could not start the deploy') });
  const rollback = useMutation({ mutationFn: (to: string) => api().apps.rollback({ id: app.id, toDeployId: to }), onSuccess: started, onError: onError('Could not roll back') });
  const cancel = useMutation({ mutationFn: (id: string) => api().apps.cancel({ deployId: id }), onSuccess: () => void qc.invalidateQueries({ queryKey: orpc.apps.key() }), onError: onError('Could not cancel') });
  const running = deploy && (deploy.status === 'running' || deploy.status === 'queued');
  useUiRequest('deploy-app', (r) => r.appId === app.id, () => run.mutate());
  const [editing, setEditing] = useState(false);
  const remove = useMutation({
    mutationFn: (removeImages: boolean) => api().apps.remove({ id: app.id, removeImages }),
    onSuccess: () => {
      toast({ kind: 'success', title: `Removed ${app.name}`, detail: 'Its containers, route, job files and keychain secrets are gone.' });
      void qc.invalidateQueries({ queryKey: orpc.apps.key() });
    },
    onError: onError('Could not remove the app'),
  });

  return (
    <div className="deploy-panel" data-testid="deploy-panel">
      <div className="row">
        <h2 style={{ margin: 0 }}>{app.name}</h2>
        <span className="muted">{app.source.kind === 'git' ? `${app.source.url} @ ${app.source.branch}` : app.source.path}</span>
        {app.compose && (
          <span className="muted" data-testid="app-compose">
            Compose {app.compose.file} (project {app.compose.project}, routed service {app.compose.service})
          </span>
        )}
        <div className="spacer" />
        {app.urls.map((u) => (
          <a key={u} href={u} target="_blank" rel="noreferrer" data-testid="app-url">
            {u}
          </a>
        ))}
        {!app.compose && (
          <a className="button-link" href={assistantHash({ app: app.id, task: 'dockerfile' })} data-testid="generate-dockerfile-link">
            Generate Dockerfile…
          </a>
        )}
        <button onClick={() => setEditing((e) => !e)} data-testid="app-edit">
          {editing ? 'Close settings' : 'Edit settings'}
        </button>
        <button className="primary" disabled={!!running || run.isPending} onClick={() => run.mutate()} data-testid="deploy-button">
          Deploy
        </button>
      </div>
      <AppSummary app={app} />
      <RuntimePanel app={app} />
      {editing && (
        <div className="card">
          <AppForm serverId={app.serverId} app={app} onSaved={() => setEditing(false)} onCancel={() => setEditing(false)} />
          <div className="row" style={{ marginTop: 12 }}>
            <button
              style={{ color: 'var(--err)' }}
              disabled={remove.isPending || !!running}
              data-testid="app-remove"
              onClick={() =>
                void ask({ title: `Remove ${app.name}?`, detail: 'Its containers, proxy route, job files on the server, deploy history and keychain secrets are removed.', option: { label: 'Also remove its built images (no rollback afterwards)', initial: false }, confirmLabel: 'Remove app', danger: true }).then((a) => a.ok && remove.mutate(a.option))
              }
            >
              Remove app…
            </button>
          </div>
        </div>
      )}
      {app.dockerfileOverride && <DockerfileOverrideNote app={app} />}
      {deploy && (
        <LongOperation
          status={deploy.status}
          step={STEP_LABEL[deploy.step] ?? deploy.step}
          progress={deploy.progress}
          log={log}
          error={deploy.error}
          onCancel={running ? () => cancel.mutate(deploy.id) : undefined}
          ids={{ status: 'deploy-status', step: 'deploy-step', progress: 'deploy-progress', log: 'deploy-log', cancel: 'cancel-button' }}
        >
          <span className="muted">{deploy.kind === 'rollback' ? 'rollback' : deploy.commit ? `commit ${deploy.commit.slice(0, 10)}` : ''}</span>
          {!deploy.attached && running && <span className="muted">re-attaching to the job on the server…</span>}
          {deploy.status === 'failed' && (
            <ExplainLink href={assistantHash({ app: app.id, deploy: deploy.id })} testId="explain-deploy" label="Explain with the assistant" />
          )}
        </LongOperation>
      )}
      <h3>History</h3>
      <table className="table" data-testid="deploy-history">
        <thead>
          <tr>
            <th>When</th>
            <th>Kind</th>
            <th>Status</th>
            <th>Commit</th>
            <th>Image</th>
            <th>Build</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(history.data ?? []).map((d) => (
            <tr key={d.id} className={d.id === shown ? 'selected' : ''} onClick={() => onDeploy(d.id)} data-testid="history-row" data-deploy={d.id} data-live={d.id === liveId ? 'true' : undefined}>
              <td>{new Date(d.createdAt).toLocaleString()}</td>
              <td>{d.trigger === 'webhook' ? `${d.kind} (push)` : d.kind}</td>
              <td>
                {d.status}
                {d.id === liveId && (
                  <span className="badge ok" data-testid="history-live">
                    {' '}
                    live
                  </span>
                )}
              </td>
              <td data-testid="history-commit">
                <span className="mono">{d.commit?.slice(0, 10) ?? ''}</span> {d.commitSubject ?? ''}
              </td>
              <td className="mono">{d.image}</td>
              <td>{d.buildSeconds !== null ? `${d.buildSeconds.toFixed(1)} s` : ''}</td>
              <td>
                {d.status === 'succeeded' && d.id !== liveId && (
                  <button
                    data-testid="history-rollback"
                    onClick={(e) => {
                      e.stopPropagation();
                      rollback.mutate(d.id);
                    }}
                  >
                    Roll back to this
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <WebhookPanel app={app} />
    </div>
  );
}

/** The app's current settings in one line (what the next deploy uses). */
function AppSummary({ app }: { app: App }) {
  const limits = [app.limits.memoryMb !== null ? `${app.limits.memoryMb} MB` : null, app.limits.cpus !== null ? `${app.limits.cpus} CPU` : null].filter(Boolean).join(', ');
  return (
    <div className="row muted" data-testid="app-summary">
      <span>port {app.port}</span>
      <span>health {app.health.path} ({app.health.timeoutSeconds} s)</span>
      {!app.compose && <span>restart {app.restart}</span>}
      {!app.compose && <span>limits {limits || 'none'}</span>}
      <span>env {app.envNames.length ? app.envNames.join(', ') : 'none'}</span>
      {app.source.kind === 'git' && <span>deploy key {app.source.hasDeployKey ? 'set' : 'none'}</span>}
    </div>
  );
}

/** The app builds with a Dockerfile kept in OpenPanel (e.g. applied from the assistant) instead of the one in git. */
function DockerfileOverrideNote({ app }: { app: App }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const clear = useMutation({
    mutationFn: () => api().apps.update({ id: app.id, dockerfileOverride: null }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: orpc.apps.key() }),
    onError: (e) => toast({ kind: 'error', title: 'Could not remove the override', detail: describeError(e).message }),
  });
  const o = app.dockerfileOverride!;
  return (
    <details className="card" data-testid="dockerfile-override">
      <summary>
        Builds with a Dockerfile override ({o.origin}, {new Date(o.appliedAt).toLocaleString()}) instead of {app.dockerfile} from the repository{' '}
        <button onClick={() => clear.mutate()} disabled={clear.isPending}>
          Remove override
        </button>
      </summary>
      <pre className="mono">{o.dockerfile}</pre>
      {o.dockerignore !== null && <pre className="mono">{o.dockerignore}</pre>}
    </details>
  );
}
