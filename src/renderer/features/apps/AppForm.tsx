import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import type { App } from '../../../shared/contract/apps.ts';
import type { CertificateReport } from '../../../shared/contract/proxy.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { fieldErrors } from '../servers/fieldErrors.ts';
import { DomainList, type DomainRow } from './DomainList.tsx';
import { domainCertState } from './domainState.ts';
import { EnvList, envPatch, NO_ENV_EDIT, type EnvEdit } from './EnvList.tsx';

type Restart = App['restart'];
const numberOrNull = (v: string) => (v.trim() === '' ? null : Number(v));

/**
 * Create an app, or edit one (`app` given): source (git URL + branch + deploy key, or a local folder), build,
 * port, domains, env (values write-only: an edit shows names only), health check, restart policy, limits.
 * Changes are stored at once and take effect at the next deploy.
 */
export function AppForm({ serverId, app, onSaved, onCancel }: { serverId: string; app?: App; onSaved(app: App): void; onCancel?(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const editing = !!app;
  const git = app?.source.kind === 'git' ? app.source : null;
  const [name, setName] = useState(app?.name ?? '');
  const [sourceKind, setSourceKind] = useState<'git' | 'upload'>(app?.source.kind ?? 'git');
  const [url, setUrl] = useState(git?.url ?? '');
  const [branch, setBranch] = useState(git?.branch ?? 'main');
  const [folder, setFolder] = useState(app?.source.kind === 'upload' ? app.source.path : '');
  const [deployKey, setDeployKey] = useState('');
  const [removeKey, setRemoveKey] = useState(false);
  const [port, setPort] = useState(String(app?.port ?? 80));
  const [domains, setDomains] = useState<DomainRow[]>(app?.domains ?? []);
  const [envEdit, setEnvEdit] = useState<EnvEdit>(NO_ENV_EDIT);
  // read again while a saved TLS domain waits for its certificate (the proxy obtains it after the deploy)
  const waiting = (r: CertificateReport | undefined) => (app?.domains ?? []).some((d) => ['pending', 'unknown'].includes(domainCertState(r, d.host, d.tls).kind));
  const certs = useQuery({
    ...orpc.proxy.certificates.queryOptions({ input: { serverId } }),
    enabled: editing && domains.some((d) => d.tls),
    retry: false,
    refetchInterval: (q) => (q.state.data && waiting(q.state.data) ? 5000 : false),
  });
  const [dockerfile, setDockerfile] = useState(app?.dockerfile ?? 'Dockerfile');
  const [build, setBuild] = useState<'dockerfile' | 'compose'>(app?.compose ? 'compose' : 'dockerfile');
  const [composeFile, setComposeFile] = useState(app?.compose?.file ?? 'docker-compose.yml');
  const [composeService, setComposeService] = useState(app?.compose?.service ?? 'web');
  const [composeProject, setComposeProject] = useState(app?.compose?.project ?? '');
  const [healthPath, setHealthPath] = useState(app?.health.path ?? '/');
  const [healthTimeout, setHealthTimeout] = useState(String(app?.health.timeoutSeconds ?? 60));
  const [restart, setRestart] = useState<Restart>(app?.restart ?? 'unless-stopped');
  const [memory, setMemory] = useState(app?.limits.memoryMb === null || !app ? '' : String(app.limits.memoryMb));
  const [cpus, setCpus] = useState(app?.limits.cpus === null || !app ? '' : String(app.limits.cpus));

  const fields = () => {
    const source =
      sourceKind === 'upload'
        ? { kind: 'upload' as const, path: folder }
        : { kind: 'git' as const, url, branch, ...(deployKey.trim() ? { deployKey: deployKey.trim() + '\n' } : removeKey ? { deployKey: null } : {}) };
    return {
      source,
      ...(build === 'compose' ? { compose: { file: composeFile, service: composeService, project: composeProject.trim() || null } } : { dockerfile, compose: null }),
      port: Number(port),
      domains: domains.map((d) => ({ ...d, host: d.host.trim() })),
      health: { path: healthPath, timeoutSeconds: Number(healthTimeout) },
      restart,
      limits: { memoryMb: numberOrNull(memory), cpus: numberOrNull(cpus) },
    };
  };
  const save = useMutation({
    mutationFn: () => {
      const env = envPatch(envEdit);
      if (!app) return api().apps.create({ name, serverId, ...fields(), env: env as Record<string, string> });
      return api().apps.update({ id: app.id, ...(name !== app.name ? { name } : {}), ...fields(), env });
    },
    onSuccess: (saved) => {
      void qc.invalidateQueries({ queryKey: orpc.apps.key() });
      setDeployKey('');
      setRemoveKey(false);
      setEnvEdit(NO_ENV_EDIT);
      void qc.invalidateQueries({ queryKey: orpc.proxy.certificates.key() });
      if (editing) toast({ kind: 'info', title: `Saved ${saved.name}`, detail: 'The changes take effect at the next deploy.' });
      onSaved(saved);
    },
  });
  const errors = fieldErrors(save.error);
  const err = (path: string) => Object.entries(errors).find(([p]) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`))?.[1];
  const shown = (path: string) => err(path) && <span className="error-text" data-testid={`error-${path}`}>{err(path)}</span>;
  const exact = (path: string) => errors[path] && <span className="error-text" data-testid={`error-${path}`}>{errors[path]}</span>;
  const field = (label: string, path: string, value: string, set: (v: string) => void, testid: string, placeholder = '', extra: ReactNode = null) => (
    <label className="field">
      {label}
      <input value={value} onChange={(e) => set(e.target.value)} placeholder={placeholder} aria-label={label} data-testid={testid} />
      {extra}
      {shown(path)}
    </label>
  );
  return (
    <form
      className="app-form"
      aria-label={editing ? `Edit ${app.name}` : 'New app'}
      data-testid={editing ? 'app-edit-form' : 'app-new-form'}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      {editing && <p className="muted" data-testid="app-edit-note">Changes are saved now and take effect at the next deploy (the running version keeps its settings until then).</p>}
      {field('Name', 'name', name, setName, 'app-name', 'my-app')}
      <label className="field">
        Source
        <select value={sourceKind} onChange={(e) => setSourceKind(e.target.value as 'git' | 'upload')} aria-label="Source" data-testid="app-source-kind">
          <option value="git">Git repository</option>
          <option value="upload">Folder on this computer (uploaded at each deploy)</option>
        </select>
      </label>
      {sourceKind === 'git' ? (
        <>
          {field('Git URL', 'source.url', url, setUrl, 'app-git-url', 'https://github.com/me/app.git or ssh://git@host/me/app.git')}
          {field('Branch', 'source.branch', branch, setBranch, 'app-branch')}
          <DeployKey app={app} value={deployKey} set={setDeployKey} remove={removeKey} setRemove={setRemoveKey} error={shown('source.deployKey')} />
        </>
      ) : (
        field('Folder (absolute path on the computer running OpenPanel)', 'source.path', folder, setFolder, 'app-folder', '/home/me/my-app')
      )}
      <label className="field">
        Build
        <select value={build} onChange={(e) => setBuild(e.target.value as 'dockerfile' | 'compose')} aria-label="Build" data-testid="app-build">
          <option value="dockerfile">Dockerfile</option>
          <option value="compose">Compose file (a stack of services)</option>
        </select>
      </label>
      {build === 'dockerfile' ? (
        field('Dockerfile', 'dockerfile', dockerfile, setDockerfile, 'app-dockerfile')
      ) : (
        <>
          {field('Compose file', 'compose.file', composeFile, setComposeFile, 'app-compose-file')}
          {field('Service that gets the domains', 'compose.service', composeService, setComposeService, 'app-compose-service')}
          {field('Project name (optional)', 'compose.project', composeProject, setComposeProject, 'app-compose-project', 'op-<app name>')}
        </>
      )}
      {field(build === 'compose' ? 'Port of that service in its container' : 'Port in the container', 'port', port, setPort, 'app-port')}
      <DomainList rows={domains} onChange={setDomains} report={certs.data} error={shown} listError={exact('domains')} />
      <EnvList key={app?.updatedAt ?? 'new'} names={app?.envNames ?? []} edit={envEdit} onChange={setEnvEdit} error={shown} listError={exact('env')} />
      <div className="row">
        {field('Health check path', 'health.path', healthPath, setHealthPath, 'app-health-path')}
        {field('Health check timeout (s)', 'health.timeoutSeconds', healthTimeout, setHealthTimeout, 'app-health-timeout')}
      </div>
      <div className="row">
        <label className="field">
          Restart policy
          <select value={restart} onChange={(e) => setRestart(e.target.value as Restart)} aria-label="Restart policy" data-testid="app-restart">
            <option value="unless-stopped">unless-stopped</option>
            <option value="always">always</option>
            <option value="on-failure">on-failure</option>
            <option value="no">no</option>
          </select>
          {shown('restart')}
        </label>
        {field('Memory limit (MB, empty = none)', 'limits.memoryMb', memory, setMemory, 'app-memory')}
        {field('CPU limit (cores, empty = none)', 'limits.cpus', cpus, setCpus, 'app-cpus')}
      </div>
      {build === 'compose' && <p className="muted">For a Compose app, restart policy and limits come from the Compose file.</p>}
      <div className="row">
        <button className="primary" type="submit" disabled={save.isPending} data-testid={editing ? 'app-save' : 'app-create'}>
          {editing ? 'Save changes' : 'Create app'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel} data-testid="app-edit-cancel">
            Cancel
          </button>
        )}
        {save.error && !Object.keys(errors).length && <span className="error-text">{describeError(save.error).message}</span>}
        {Object.keys(errors).length > 0 && <span className="error-text">Check the fields marked above.</span>}
      </div>
    </form>
  );
}

/** The deploy key of a git source: write-only private key, generated or pasted; the public half is shown to add to the forge. */
function DeployKey({ app, value, set, remove, setRemove, error }: { app: App | undefined; value: string; set(v: string): void; remove: boolean; setRemove(v: boolean): void; error: ReactNode }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const git = app?.source.kind === 'git' ? app.source : null;
  const generate = useMutation({
    mutationFn: () => api().apps.generateDeployKey({ id: app!.id }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: orpc.apps.key() }),
    onError: (e) => toast({ kind: 'error', title: 'Could not generate a deploy key', detail: describeError(e).message }),
  });
  const publicKey = generate.data?.source.kind === 'git' ? generate.data.source.deployKeyPublic : (git?.deployKeyPublic ?? null);
  return (
    <div className="field" data-testid="app-deploy-key">
      <span>
        Deploy key (for ssh:// or user@host: URLs):{' '}
        <strong data-testid="deploy-key-state">{generate.data || git?.hasDeployKey ? (remove ? 'removed at save' : 'set') : 'none'}</strong>
      </span>
      {publicKey && !remove && (
        <div className="row">
          <code className="mono" style={{ wordBreak: 'break-all' }} data-testid="deploy-key-public">
            {publicKey}
          </code>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(publicKey)}>
            Copy
          </button>
          <span className="muted">Add this public key to the repository as a read-only deploy key.</span>
        </div>
      )}
      <div className="row">
        {app && (
          <button type="button" onClick={() => generate.mutate()} disabled={generate.isPending} data-testid="deploy-key-generate">
            {git?.hasDeployKey ? 'Generate a new key' : 'Generate a key'}
          </button>
        )}
        {git?.hasDeployKey && (
          <label>
            <input type="checkbox" checked={remove} onChange={(e) => setRemove(e.target.checked)} data-testid="deploy-key-remove" /> remove the key
          </label>
        )}
      </div>
      <textarea
        value={value}
        onChange={(e) => set(e.target.value)}
        rows={2}
        placeholder={git?.hasDeployKey ? 'paste a private key to replace it (kept in the keychain)' : 'or paste a private key without passphrase (kept in the keychain)'}
        aria-label="Deploy key (private)"
        data-testid="app-deploy-key-input"
        autoComplete="off"
        spellCheck={false}
      />
      {error}
    </div>
  );
}
