import type { ReactNode } from 'react';
import type { App } from '../../../shared/contract/apps.ts';
import type { CertificateReport } from '../../../shared/contract/proxy.ts';
import { domainCertState, type DomainCertKind } from './domainState.ts';

export type DomainRow = App['domains'][number];

const BADGE: Record<DomainCertKind, string> = { issued: 'cert-valid', expiring: 'cert-expiring', expired: 'cert-expired', pending: 'cert-missing', failed: 'failed', plain: '', unknown: '' };

/**
 * The app's domains as rows: host, HTTPS on/off, who issues the certificate (ACME or the proxy's internal CA, for LAN
 * names), and the certificate state the proxy reports for it. Errors are shown under the row they name.
 */
export function DomainList({ rows, onChange, report, error, listError }: { rows: DomainRow[]; onChange(rows: DomainRow[]): void; report: CertificateReport | undefined; error(path: string): ReactNode; listError: ReactNode }) {
  const set = (i: number, patch: Partial<DomainRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="field domain-list" data-testid="app-domains">
      <legend>Domains</legend>
      {rows.length === 0 && <p className="muted">No domain: the app is reachable only inside the server&apos;s network.</p>}
      {rows.map((r, i) => {
        const state = domainCertState(report, r.host, r.tls);
        return (
          <div key={i} className="domain-row" data-testid="domain-row">
            <div className="row">
              <input value={r.host} onChange={(e) => set(i, { host: e.target.value })} placeholder="app.example.com" aria-label={`Domain ${i + 1}`} data-testid={`domain-host-${i}`} spellCheck={false} />
              <label>
                <input type="checkbox" checked={r.tls} onChange={(e) => set(i, { tls: e.target.checked })} data-testid={`domain-tls-${i}`} /> HTTPS
              </label>
              {r.tls && (
                <select value={r.issuer} onChange={(e) => set(i, { issuer: e.target.value as DomainRow['issuer'] })} aria-label={`Certificate of domain ${i + 1}`} data-testid={`domain-issuer-${i}`} title="ACME: Let's Encrypt or the proxy's ACME server. Internal CA: the proxy's own, for LAN names no public CA can check">
                  <option value="acme">ACME</option>
                  <option value="internal">internal CA (LAN)</option>
                </select>
              )}
              <span className={`badge ${BADGE[state.kind]}`} data-testid={`domain-state-${i}`} title={state.detail}>
                {state.label}
              </span>
              <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))} aria-label={`Remove domain ${i + 1}`} data-testid={`domain-remove-${i}`}>
                Remove
              </button>
            </div>
            {(state.kind === 'failed' || state.kind === 'pending' || state.kind === 'expired') && state.detail && (
              <div className="small muted" data-testid={`domain-state-detail-${i}`}>
                {state.detail}
              </div>
            )}
            {error(`domains[${i}]`)}
          </div>
        );
      })}
      <div className="row">
        <button type="button" onClick={() => onChange([...rows, { host: '', tls: true, issuer: 'acme' }])} data-testid="domain-add">
          Add domain
        </button>
      </div>
      {listError}
    </fieldset>
  );
}
