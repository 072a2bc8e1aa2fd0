import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import type { ClusterAppView, ClusterDomain } from '../../../shared/contract/cluster-apps.ts';
import type { ClusterView } from '../../../shared/contract/cluster.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { fieldErrors } from '../servers/fieldErrors.ts';
import { emptyForm, formFromView, gitInputFromForm, inputFromForm, type AppFormState } from './appState.ts';
import { clusterHash } from './clusterRoute.ts';

/** Constraint suggestions from the cluster's nodes: roles, hostnames and the labels they carry. */
function constraintHints(cluster: ClusterView | undefined): string[] {
  const hints = ['node.role==manager', 'node.role==worker', 'node.role!=manager'];
  for (const n of cluster?.nodes ?? []) {
    hints.push(`node.hostname==${n.hostname}`);
    for (const [k, v] of Object.entries(n.labels)) if (v) hints.push(`node.labels.${k}==${v}`);
  }
  return [...new Set(hints)];
}

/**
 * Deploy an app to the cluster, or a new version of one (`app` given: a rolling update). Every value is checked by
 * the contract; an error is shown next to the field it names.
 */
export function ClusterAppForm({ clusterId, app }: { clusterId: string; app?: ClusterAppView }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const cluster = useQuery(orpc.cluster.get.queryOptions({ input: { clusterId } }));
  const [f, setForm] = useState<AppFormState>(() => (app ? formFromView(app) : emptyForm()));
  const set = (patch: Partial<AppFormState>) => setForm((prev) => ({ ...prev, ...patch }));
  const servers = useQuery({ ...orpc.servers.list.queryOptions(), enabled: f.source === 'git' });
  const registries = useQuery({ ...orpc.registry.list.queryOptions(), enabled: f.source === 'git' });
  const deploy = useMutation({
    mutationFn: async (): Promise<{ name: string }> => (f.source === 'git' ? api().clusterApps.deployFromGit(gitInputFromForm(clusterId, f)) : api().clusterApps.deploy(inputFromForm(clusterId, f))),
    onSuccess: (view) => {
      void qc.invalidateQueries({ queryKey: orpc.clusterApps.key() });
      window.location.hash = clusterHash(clusterId, 'apps', view.name);
    },
  });
  const errors = fieldErrors(deploy.error);
  const [advanced, setAdvanced] = useState(false);
  // A refused advanced setting opens the section, so its error is seen next to its field.
  const advancedError = Object.keys(errors).some((p) => /^(reservations|limits|restart|health|update)\b/.test(p));
  const shown = (path: string) => {
    const message = errors[path] ?? (path === 'health.test' ? Object.entries(errors).find(([p]) => p.startsWith('health.test['))?.[1] : undefined);
    return (
      message && (
        <span className="error-text" data-testid={`error-${path}`} role="alert">
          {message}
        </span>
      )
    );
  };
  const text = (label: string, key: keyof AppFormState, path: string, opts: { placeholder?: string; type?: string; hint?: ReactNode; disabled?: boolean } = {}) => (
    <label className="field">
      {label}
      <input
        value={f[key] as string}
        onChange={(e) => set({ [key]: e.target.value })}
        placeholder={opts.placeholder}
        type={opts.type ?? 'text'}
        disabled={opts.disabled}
        aria-invalid={!!errors[path]}
        data-testid={`capp-${path}`}
        spellCheck={false}
      />
      {opts.hint && <span className="muted small">{opts.hint}</span>}
      {shown(path)}
    </label>
  );
  const hints = constraintHints(cluster.data);
  const setDomain = (i: number, patch: Partial<ClusterDomain>) => set({ domains: f.domains.map((d, j) => (j === i ? { ...d, ...patch } : d)) });
  return (
    <form
      className="app-form"
      aria-label={app ? `Deploy a new version of ${app.name}` : 'Deploy an app to the cluster'}
      data-testid="cluster-app-form"
      onSubmit={(e) => {
        e.preventDefault();
        deploy.mutate();
      }}
    >
      <h2>{app ? `Deploy ${app.name} again` : 'Deploy an app'}</h2>
      {app && <p className="muted">A rolling update: tasks are replaced {f.parallelism || 1} at a time. Settings this page does not read back from Swarm (resources, restart, health, update) start from the defaults: set them again if you changed them.</p>}
      {text('Name', 'name', 'name', { placeholder: 'web', disabled: !!app, hint: 'The Swarm service is op-<name>; other apps reach it at tasks.op-<name>.' })}
      <label className="field">
        Source
        <select value={f.source} onChange={(e) => set({ source: e.target.value as AppFormState['source'] })} data-testid="capp-source">
          <option value="image">An image</option>
          <option value="git">A git repository (built once on a builder, pushed to a registry, run by digest)</option>
        </select>
      </label>
      {f.source === 'image' ? (
        text('Image', 'image', 'image', { placeholder: 'registry.example:5000/web:1.2', hint: 'A tag is resolved to its digest so every node runs the same image.' })
      ) : (
        <>
          {text('Repository', 'gitUrl', 'source.url', { placeholder: 'https://github.com/me/app.git' })}
          <div className="row">
            {text('Branch or tag', 'gitRef', 'source.ref', { placeholder: 'empty: the default branch' })}
            {text('Dockerfile', 'dockerfile', 'source.dockerfile')}
            {text('Build context', 'context', 'source.context')}
          </div>
          <div className="row">
            <label className="field">
              Build on
              <select value={f.builderServerId} onChange={(e) => set({ builderServerId: e.target.value })} aria-invalid={!!errors.builderServerId} data-testid="capp-builderServerId">
                <option value="">Choose a server…</option>
                {(servers.data ?? []).map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
              <span className="muted small">A cluster node or a separate build server: builds there do not slow the others.</span>
              {shown('builderServerId')}
            </label>
            <label className="field">
              Push to
              <select value={f.registryId} onChange={(e) => set({ registryId: e.target.value })} aria-invalid={!!errors.registryId} data-testid="capp-registryId">
                <option value="">Choose a registry…</option>
                {(registries.data ?? []).map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name} ({r.host})
                  </option>
                ))}
              </select>
              {registries.data?.length === 0 && (
                <span className="muted small">
                  No registry yet: <a href={clusterHash(clusterId, 'registries')}>create one</a>.
                </span>
              )}
              {shown('registryId')}
            </label>
          </div>
        </>
      )}
      <div className="row">
        {text('Replicas', 'replicas', 'replicas', { type: 'number', hint: '0 to 100' })}
        {text('Port in the container', 'port', 'port', { type: 'number' })}
      </div>
      <fieldset className="field" data-testid="capp-constraints">
        <legend>Placement constraints</legend>
        {f.constraints.length === 0 && <p className="muted small">None: tasks may run on any node.</p>}
        <datalist id="constraint-hints">
          {hints.map((h) => (
            <option key={h} value={h} />
          ))}
        </datalist>
        {f.constraints.map((c, i) => (
          <div key={i}>
            <div className="row">
              <input
                value={c}
                list="constraint-hints"
                onChange={(e) => set({ constraints: f.constraints.map((x, j) => (j === i ? e.target.value : x)) })}
                placeholder="node.labels.zone==eu"
                aria-label={`Constraint ${i + 1}`}
                aria-invalid={!!errors[`constraints[${i}]`]}
                data-testid={`capp-constraint-${i}`}
                spellCheck={false}
              />
              <button type="button" onClick={() => set({ constraints: f.constraints.filter((_, j) => j !== i) })} aria-label={`Remove constraint ${i + 1}`}>
                Remove
              </button>
            </div>
            {shown(`constraints[${i}]`)}
          </div>
        ))}
        <span className="muted small">node.role, node.hostname or node.labels.&lt;key&gt;, then == or !=, then a value: {hints.slice(0, 4).join(', ')}</span>
        <div className="row">
          <button type="button" onClick={() => set({ constraints: [...f.constraints, ''] })} data-testid="capp-constraint-add">
            Add constraint
          </button>
        </div>
        {shown('constraints')}
      </fieldset>
      <fieldset className="field" data-testid="capp-domains">
        <legend>Domains (routed by the edge proxy on nodes labelled openpanel.edge=true)</legend>
        {f.domains.map((d, i) => (
          <div key={i}>
            <div className="row">
              <input value={d.host} onChange={(e) => setDomain(i, { host: e.target.value })} placeholder="app.example.com" aria-label={`Domain ${i + 1}`} aria-invalid={!!errors[`domains[${i}].host`]} spellCheck={false} />
              <label>
                <input type="checkbox" checked={d.tls} onChange={(e) => setDomain(i, { tls: e.target.checked })} /> HTTPS
              </label>
              {d.tls && (
                <select value={d.issuer} onChange={(e) => setDomain(i, { issuer: e.target.value as ClusterDomain['issuer'] })} aria-label={`Certificate of domain ${i + 1}`}>
                  <option value="acme">ACME</option>
                  <option value="internal">internal CA (LAN)</option>
                </select>
              )}
              <button type="button" onClick={() => set({ domains: f.domains.filter((_, j) => j !== i) })} aria-label={`Remove domain ${i + 1}`}>
                Remove
              </button>
            </div>
            {shown(`domains[${i}].host`)}
            {shown(`domains[${i}]`)}
          </div>
        ))}
        <div className="row">
          <button type="button" onClick={() => set({ domains: [...f.domains, { host: '', tls: true, issuer: 'acme' }] })}>
            Add domain
          </button>
        </div>
        {shown('domains')}
      </fieldset>
      <details data-testid="capp-advanced" open={advanced || advancedError} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
        <summary>Advanced: resources, restart, health check, rolling update</summary>
        <div className="row">
          {text('CPUs reserved', 'reserveCpus', 'reservations.cpus', { type: 'number' })}
          {text('Memory reserved (MB)', 'reserveMb', 'reservations.memoryMb', { type: 'number' })}
          {text('CPU limit', 'limitCpus', 'limits.cpus', { type: 'number' })}
          {text('Memory limit (MB)', 'limitMb', 'limits.memoryMb', { type: 'number' })}
        </div>
        <div className="row">
          <label className="field">
            Restart
            <select value={f.restart} onChange={(e) => set({ restart: e.target.value as AppFormState['restart'] })}>
              <option value="any">any</option>
              <option value="on-failure">on-failure</option>
              <option value="none">none</option>
            </select>
          </label>
          {text('Restart delay (s)', 'restartDelayS', 'restart.delayS', { type: 'number' })}
          {text('Restart attempts (0 = no limit)', 'restartAttempts', 'restart.maxAttempts', { type: 'number' })}
        </div>
        {text('Health check command', 'healthCmd', 'health.test', { placeholder: 'test -f /healthy', hint: 'Run in the container without a shell, arguments separated by spaces; exit 0 = healthy. Empty: none.' })}
        {f.healthCmd.trim() && (
          <div className="row">
            {text('Interval (s)', 'healthIntervalS', 'health.intervalS', { type: 'number' })}
            {text('Timeout (s)', 'healthTimeoutS', 'health.timeoutS', { type: 'number' })}
            {text('Retries', 'healthRetries', 'health.retries', { type: 'number' })}
            {text('Start period (s)', 'healthStartS', 'health.startPeriodS', { type: 'number' })}
          </div>
        )}
        <div className="row">
          {text('Tasks updated at once', 'parallelism', 'update.parallelism', { type: 'number' })}
          {text('Delay between them (s)', 'updateDelayS', 'update.delayS', { type: 'number' })}
          {text('Monitor each for (s)', 'monitorS', 'update.monitorS', { type: 'number' })}
        </div>
        <div className="row">
          <label className="field">
            Order
            <select value={f.order} onChange={(e) => set({ order: e.target.value as AppFormState['order'] })}>
              <option value="start-first">start-first (new task healthy before the old one stops)</option>
              <option value="stop-first">stop-first</option>
            </select>
          </label>
          <label className="field">
            On failure
            <select value={f.failureAction} onChange={(e) => set({ failureAction: e.target.value as AppFormState['failureAction'] })}>
              <option value="rollback">roll back</option>
              <option value="pause">pause</option>
              <option value="continue">continue</option>
            </select>
          </label>
          {text('Max failure ratio (0–1)', 'maxFailureRatio', 'update.maxFailureRatio', { type: 'number' })}
        </div>
      </details>
      <div className="row">
        <button className="primary" type="submit" disabled={deploy.isPending} data-testid="capp-deploy">
          {deploy.isPending ? 'Deploying…' : app ? 'Deploy update' : 'Deploy'}
        </button>
        <a className="button-link" href={clusterHash(clusterId, 'apps', app?.name)}>
          Cancel
        </a>
        {deploy.error && (
          <span className="error-text" data-testid="capp-form-error">
            {Object.keys(errors).length ? 'Check the fields marked above.' : describeError(deploy.error).message}
          </span>
        )}
      </div>
    </form>
  );
}
