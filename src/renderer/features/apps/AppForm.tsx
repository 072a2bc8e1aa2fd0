import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { App } from '../../../shared/contract/apps.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

/** Create an app: git source, port, domains (one per line; `http://` prefix = no TLS), env (KEY=value per line). */
export function AppForm({ serverId, onCreated }: { serverId: string; onCreated(app: App): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [branch, setBranch] = useState('main');
  const [port, setPort] = useState('80');
  const [domains, setDomains] = useState('');
  const [env, setEnv] = useState('');
  const [dockerfile, setDockerfile] = useState('Dockerfile');
  const [build, setBuild] = useState<'dockerfile' | 'compose'>('dockerfile');
  const [composeFile, setComposeFile] = useState('docker-compose.yml');
  const [composeService, setComposeService] = useState('web');
  const [composeProject, setComposeProject] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api().apps.create({
        name,
        serverId,
        source: { kind: 'git', url, branch },
        ...(build === 'compose'
          ? { compose: { file: composeFile, service: composeService, project: composeProject.trim() || null } }
          : { dockerfile }),
        port: Number(port),
        domains: domains
          .split('\n')
          .map((d) => d.trim())
          .filter(Boolean)
          .map((d) => (d.startsWith('http://') ? { host: d.slice(7), tls: false } : { host: d.replace(/^https:\/\//, ''), tls: true })),
        env: Object.fromEntries(
          env
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l.includes('='))
            .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        ),
      }),
    onSuccess: (app) => {
      void qc.invalidateQueries({ queryKey: orpc.apps.key() });
      onCreated(app);
    },
  });
  const issues = (create.error as { data?: { issues?: { path: string; message: string }[] } } | null)?.data?.issues ?? [];
  const err = (path: string) => issues.find((i) => i.path === path || i.path.startsWith(`${path}.`))?.message;
  const field = (label: string, path: string, value: string, set: (v: string) => void, testid: string, placeholder = '') => (
    <label className="field">
      {label}
      <input value={value} onChange={(e) => set(e.target.value)} placeholder={placeholder} aria-label={label} data-testid={testid} />
      {err(path) && <span className="error-text">{err(path)}</span>}
    </label>
  );
  return (
    <form
      className="app-form"
      aria-label="New app"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      {field('Name', 'name', name, setName, 'app-name', 'my-app')}
      {field('Git URL', 'source.url', url, setUrl, 'app-git-url', 'https://github.com/me/app.git')}
      {field('Branch', 'source.branch', branch, setBranch, 'app-branch')}
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
      <label className="field">
        Domains (one per line; prefix http:// for plain HTTP)
        <textarea value={domains} onChange={(e) => setDomains(e.target.value)} rows={2} aria-label="Domains" data-testid="app-domains" />
        {err('domains') && <span className="error-text">{err('domains')}</span>}
      </label>
      <label className="field">
        Environment (KEY=value per line; values go to the keychain)
        <textarea value={env} onChange={(e) => setEnv(e.target.value)} rows={2} aria-label="Environment" data-testid="app-env" />
        {err('env') && <span className="error-text">{err('env')}</span>}
      </label>
      <div className="row">
        <button className="primary" type="submit" disabled={create.isPending} data-testid="app-create">
          Create app
        </button>
        {create.error && !issues.length && <span className="error-text">{describeError(create.error).message}</span>}
      </div>
    </form>
  );
}
