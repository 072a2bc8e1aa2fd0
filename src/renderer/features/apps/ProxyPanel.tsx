import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ProxyDriverName, ShipSettings } from '../../../shared/contract/proxy.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { fieldErrors } from '../servers/fieldErrors.ts';
import { ImageMappingDialog } from '../images/ImageMappingDialog.tsx';
import { imageUses } from '../../../shared/contract/images.ts';

const SHIP_OWN = new Set(imageUses().filter((u) => u.store === 'ship').map((u) => u.ref));

/**
 * The server's reverse proxy: driver, the options that matter (HTTPS redirect, ACME email and server, data folder),
 * image overrides (image=replacement per line, or a mirror prefix), install; the generated configuration folded away.
 */
export function ProxyPanel({ serverId }: { serverId: string }) {
  const orpc = queryUtils();
  const settings = useQuery(orpc.proxy.settings.queryOptions({ input: { serverId } }));
  const status = useQuery({ ...orpc.proxy.status.queryOptions({ input: { serverId } }), retry: false });
  const st = status.data;
  const [imagesOpen, setImagesOpen] = useState(false);
  return (
    <details className="proxy-panel" open={!st?.running}>
      <summary>
        Reverse proxy: <strong data-testid="proxy-state">{st ? (st.running ? `${st.driver} running` : st.installed ? `${st.driver} stopped` : 'not installed') : '…'}</strong>
        {st && <span className="muted"> ({st.image})</span>}
      </summary>
      {/* Here, not in the form: the form is remounted whenever the settings are read again (as the screen does). */}
      {settings.data && <ProxyForm key={settings.dataUpdatedAt} serverId={serverId} initial={settings.data} installed={!!st?.installed} onImages={() => setImagesOpen(true)} />}
      {imagesOpen && <ImageMappingDialog serverId={serverId} onClose={() => setImagesOpen(false)} />}
      {st?.installed && <ProxyOps serverId={serverId} containerImage={st.containerImage} image={st.image} />}
      {st && (
        <details className="proxy-config">
          <summary>Generated configuration (what the proxy is given)</summary>
          <pre className="deploy-log" tabIndex={0} aria-label="Proxy configuration" data-testid="proxy-config">
            {st.config}
          </pre>
        </details>
      )}
      {st?.installed && <CertificatesTable serverId={serverId} />}
    </details>
  );
}

/** Upgrade (a new image for the proxy, container replaced keeping its data), restart, logs. */
function ProxyOps({ serverId, containerImage, image }: { serverId: string; containerImage: string | null; image: string }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [next, setNext] = useState('');
  const [showLogs, setShowLogs] = useState(false);
  const refresh = () => void qc.invalidateQueries({ queryKey: orpc.proxy.key() });
  const upgrade = useMutation({
    mutationFn: () => api().proxy.upgrade({ serverId, ...(next.trim() ? { image: next.trim() } : {}) }),
    onSuccess: (r) => {
      setNext('');
      refresh();
      toast({ kind: 'success', title: 'Proxy upgraded', detail: `${r.previousImage ?? '(none)'} → ${r.containerImage ?? r.image}` });
    },
    onError: (e) => {
      refresh();
      toast({ kind: 'error', title: 'Upgrade failed', detail: describeError(e).message });
    },
  });
  const restart = useMutation({
    mutationFn: () => api().proxy.restart({ serverId }),
    onSuccess: refresh,
    onError: (e) => toast({ kind: 'error', title: 'Could not restart the proxy', detail: describeError(e).message }),
  });
  const logs = useQuery({ ...orpc.proxy.logs.queryOptions({ input: { serverId, tail: 200 } }), enabled: showLogs, retry: false });
  return (
    <>
      <div className="row">
        <label>
          Proxy image{' '}
          <input value={next} onChange={(e) => setNext(e.target.value)} placeholder={image} aria-label="New proxy image" data-testid="proxy-image" />
        </label>
        <button onClick={() => upgrade.mutate()} disabled={upgrade.isPending} data-testid="proxy-upgrade" title="Replace the container (its data and certificates are kept); the old one runs again if the new one does not start">
          {upgrade.isPending ? 'Upgrading…' : 'Upgrade'}
        </button>
        <button onClick={() => restart.mutate()} disabled={restart.isPending} data-testid="proxy-restart">
          Restart
        </button>
        <button onClick={() => setShowLogs((v) => !v)} data-testid="proxy-logs-toggle">
          {showLogs ? 'Hide logs' : 'Logs'}
        </button>
        {containerImage && containerImage !== image && <span className="muted">running {containerImage}; reinstall or upgrade to run {image}</span>}
      </div>
      {showLogs && (
        <pre className="deploy-log" data-testid="proxy-logs" tabIndex={0} aria-label="Proxy logs">
          {logs.error ? describeError(logs.error).message : (logs.data?.text ?? '…')}
        </pre>
      )}
    </>
  );
}

const STATE_LABEL = { valid: 'valid', expiring: 'expiring', expired: 'expired', 'not-yet-valid': 'not yet valid', missing: 'missing' } as const;

/** Every certificate the proxy holds, and the TLS domains it has none for. */
function CertificatesTable({ serverId }: { serverId: string }) {
  const orpc = queryUtils();
  const certs = useQuery({ ...orpc.proxy.certificates.queryOptions({ input: { serverId } }), retry: false });
  const r = certs.data;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  // short-lived certificates (the internal CA's last 12 h) are shown in hours
  const left = (c: { notAfter: number; daysLeft: number }) => (Math.abs(c.notAfter - (r?.readAt ?? 0)) < 2 * 86_400_000 ? `${Math.round((c.notAfter - (r?.readAt ?? 0)) / 3_600_000)} h` : `${c.daysLeft} days`);
  return (
    <div className="proxy-certs" data-testid="proxy-certificates">
      <div className="row">
        <strong>Certificates</strong>
        <button onClick={() => void certs.refetch()} disabled={certs.isFetching}>
          {certs.isFetching ? 'Reading…' : 'Refresh'}
        </button>
        {r?.note && <span className="muted">{r.note}</span>}
      </div>
      {certs.error && <div className="error-text">{describeError(certs.error).message}</div>}
      {r && r.certificates.length === 0 && r.missing.length === 0 && <div className="muted">No certificates and no HTTPS domain on this server.</div>}
      {r && (r.certificates.length > 0 || r.missing.length > 0) && (
        <table className="table">
          <thead>
            <tr>
              <th>Domains</th>
              <th>State</th>
              <th>Issuer</th>
              <th>Valid until</th>
              <th>Apps</th>
              <th>Problems</th>
            </tr>
          </thead>
          <tbody>
            {r.certificates.map((c) => (
              <tr key={`${c.store}/${c.fingerprint256}`} data-testid="cert-row">
                <td>{c.domains.join(', ')}</td>
                <td>
                  <span className={`badge cert-${c.state}`}>{STATE_LABEL[c.state]}</span>
                </td>
                <td>
                  {c.issuer || '—'} <span className="muted small">({c.issuedBy === 'internal' ? 'internal CA' : 'ACME'}: {c.store})</span>
                </td>
                <td>
                  {day(c.notAfter)} <span className="muted small">({left(c)})</span>
                </td>
                <td>{c.apps.map((a) => a.name).filter((n, i, all) => all.indexOf(n) === i).join(', ') || '—'}</td>
                <td className="small">{c.problems.join('; ')}</td>
              </tr>
            ))}
            {r.missing.map((m) => (
              <tr key={`missing/${m.appId}/${m.host}`} data-testid="cert-missing">
                <td>{m.host}</td>
                <td>
                  <span className="badge cert-missing">missing</span>
                </td>
                <td className="muted">{m.issuer === 'internal' ? 'internal CA' : 'ACME'}</td>
                <td>—</td>
                <td>{m.appName}</td>
                <td className="small">
                  {m.reason}
                  {m.lastError && `: ${m.lastError}`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ProxyForm({ serverId, initial, installed, onImages }: { serverId: string; initial: ShipSettings; installed: boolean; onImages(): void }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [driver, setDriver] = useState<ProxyDriverName>(initial.driver);
  // OpenPanel's own images are mapped on the server's image mapping screen; this field keeps your builds' base images.
  const [overrides, setOverrides] = useState(() => Object.entries(initial.imageOverrides.images).filter(([a]) => !SHIP_OWN.has(a)).map(([a, b]) => `${a}=${b}`).join('\n'));
  const [prefix, setPrefix] = useState(initial.imageOverrides.prefix ?? '');
  const [acmeUrl, setAcmeUrl] = useState(initial.acme.directoryUrl ?? '');
  const [caRoot, setCaRoot] = useState(initial.acme.caRoot ?? '');
  const [challenge, setChallenge] = useState(initial.acme.challenge);
  const [email, setEmail] = useState(initial.acme.email ?? '');
  const [redirect, setRedirect] = useState(initial.httpsRedirect);
  const [dataDir, setDataDir] = useState(initial.dataDir);
  const refresh = () => void qc.invalidateQueries({ queryKey: orpc.proxy.key() });
  const saveSettings = () =>
      api().proxy.updateSettings({
        serverId,
        settings: {
          driver,
          httpsRedirect: redirect,
          dataDir: dataDir.trim(),
          acme: { ...initial.acme, email: email.trim() || null, directoryUrl: acmeUrl.trim() || null, caRoot: driver === 'caddy' ? caRoot.trim() || null : null, challenge },
          imageOverrides: {
            prefix: prefix.trim() || null,
            images: {
              ...Object.fromEntries(Object.entries(initial.imageOverrides.images).filter(([a]) => SHIP_OWN.has(a))),
              ...Object.fromEntries(overrides.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()])),
            },
          },
        },
      });
  const save = useMutation({
    mutationFn: saveSettings,
    onSuccess: () => {
      refresh();
      if (installed) toast({ kind: 'info', title: 'Proxy settings saved', detail: 'Reinstall the proxy to apply them (its certificates are kept).' });
    },
    onError: (e) => {
      if (!Object.keys(fieldErrors(e)).length) toast({ kind: 'error', title: 'Could not save the proxy settings', detail: describeError(e).message });
    },
  });

  const install = useMutation({
    mutationFn: async () => {
      await saveSettings();
      return api().proxy.install({ serverId });
    },
    onSuccess: refresh,
    onError: (e) => {
      if (!Object.keys(fieldErrors(e)).length) toast({ kind: 'error', title: 'Could not install the proxy', detail: describeError(e).message });
    },
  });
  const errors = fieldErrors(save.error ?? install.error);
  const shown = (path: string) => {
    const msg = Object.entries(errors).find(([p]) => p === `settings.${path}` || p.startsWith(`settings.${path}.`))?.[1];
    return msg && <span className="error-text" data-testid={`proxy-error-${path}`}>{msg}</span>;
  };
  return (
    <>
      <div className="row">
        <label>
          Driver{' '}
          <select value={driver} onChange={(e) => setDriver(e.target.value as ProxyDriverName)} aria-label="Proxy driver" data-testid="proxy-driver">
            <option value="caddy">Caddy (default)</option>
            <option value="traefik">Traefik v3 (untested)</option>
          </select>
        </label>
        {driver === 'traefik' && (
          <span className="muted small" data-testid="proxy-traefik-note">
            OpenPanel has never run against a real Traefik: its flags and labels are checked against Traefik&apos;s documentation only. Caddy is tested end to end.
          </span>
        )}
        <label>
          Mirror prefix <input value={prefix} onChange={(e) => setPrefix(e.target.value)} placeholder="mirror.example:5000" aria-label="Mirror prefix" />
        </label>
      </div>
      <div className="row">
        <label>
          <input type="checkbox" checked={redirect} onChange={(e) => setRedirect(e.target.checked)} data-testid="proxy-https-redirect" /> Redirect HTTP to HTTPS
        </label>
        <label>
          ACME email{' '}
          <input value={email} onChange={(e) => setEmail(e.target.value)} placeholder="ops@example.com" aria-label="ACME email" data-testid="proxy-acme-email" title="The certificate authority writes here about expiring certificates and problems" />
          {shown('acme.email')}
        </label>
        <label>
          Data folder on the server{' '}
          <input value={dataDir} onChange={(e) => setDataDir(e.target.value)} aria-label="Data folder on the server" data-testid="proxy-data-dir" title="Jobs, the proxy's configuration and its certificates live here; another folder starts empty (certificates are issued again)" />
          {shown('dataDir')}
        </label>
      </div>
      <div className="row">
        <label>
          ACME server{' '}
          <input value={acmeUrl} onChange={(e) => setAcmeUrl(e.target.value)} placeholder="Let's Encrypt" aria-label="ACME server" data-testid="proxy-acme-url" title="The directory URL of a private ACME CA (e.g. step-ca) or a staging directory; empty: Let's Encrypt" />
          {shown('acme.directoryUrl')}
        </label>
        <label>
          Challenge{' '}
          <select value={challenge} onChange={(e) => setChallenge(e.target.value as ShipSettings['acme']['challenge'])} aria-label="ACME challenge" data-testid="proxy-acme-challenge">
            <option value="http">HTTP-01 (port 80)</option>
            <option value="tls-alpn">TLS-ALPN-01 (port 443 only)</option>
            <option value="dns">DNS-01 (Traefik)</option>
          </select>
        </label>
      </div>
      {driver === 'caddy' && (
        <label className="field">
          Root CA of the ACME server&apos;s HTTPS certificate (PEM; only for a private ACME server)
          <textarea value={caRoot} onChange={(e) => setCaRoot(e.target.value)} rows={2} aria-label="ACME server root CA" data-testid="proxy-acme-ca-root" />
          {shown('acme.caRoot')}
        </label>
      )}
      <label className="field">
        Base images of your builds (image=replacement per line; the proxy, builder and receiver are under Images…)
        <textarea value={overrides} onChange={(e) => setOverrides(e.target.value)} rows={3} aria-label="Image overrides" data-testid="proxy-overrides" />
      </label>
      <div className="row">
        <button type="button" onClick={onImages} data-testid="proxy-images">
          Images…
        </button>
      </div>
      <div className="row">
        <button onClick={() => save.mutate()} disabled={save.isPending} data-testid="proxy-save">
          Save
        </button>
        <button className="primary" onClick={() => install.mutate()} disabled={install.isPending} data-testid="proxy-install">
          {installed ? 'Reinstall / upgrade' : 'Install proxy'}
        </button>
      </div>
    </>
  );
}
