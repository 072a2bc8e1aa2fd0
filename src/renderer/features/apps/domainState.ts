import type { CertificateReport } from '../../../shared/contract/proxy.ts';

export type DomainCertKind = 'issued' | 'expiring' | 'expired' | 'pending' | 'failed' | 'plain' | 'unknown';

/** What a domain row shows about its certificate: a short state and the detail (reason, ACME error, validity). */
export interface DomainCertState {
  kind: DomainCertKind;
  label: string;
  detail: string;
}

function covers(name: string, host: string): boolean {
  if (name === host) return true;
  const dot = host.indexOf('.');
  return name.startsWith('*.') && dot > 0 && host.slice(dot + 1) === name.slice(2);
}

/**
 * The certificate state of one domain from the proxy's report: issued (a certificate covers it), pending (none yet,
 * no error), failed (none, and the proxy logged an ACME error for it), or not TLS. `unknown` until the report is read
 * or while the domain is not saved yet.
 */
export function domainCertState(report: CertificateReport | undefined, host: string, tls: boolean): DomainCertState {
  if (!tls) return { kind: 'plain', label: 'not TLS', detail: 'plain HTTP: no certificate' };
  const h = host.trim().toLowerCase();
  if (!report || !h) return { kind: 'unknown', label: '…', detail: '' };
  const cert = report.certificates.find((c) => c.domains.some((n) => covers(n, h)));
  if (cert) {
    const until = new Date(cert.notAfter).toISOString().slice(0, 10);
    const by = `${cert.issuedBy === 'internal' ? 'internal CA' : 'ACME'}: ${cert.issuer}`;
    if (cert.state === 'expired') return { kind: 'expired', label: 'expired', detail: `${by}; expired ${until}` };
    if (cert.state === 'expiring') return { kind: 'expiring', label: 'expiring', detail: `${by}; valid until ${until}` };
    return { kind: 'issued', label: 'issued', detail: `${by}; valid until ${until}` };
  }
  const missing = report.missing.find((m) => m.host === h);
  if (missing?.lastError) return { kind: 'failed', label: 'failed', detail: missing.lastError };
  if (missing) return { kind: 'pending', label: 'pending', detail: missing.reason };
  const err = report.errors.find((e) => e.domains.some((d) => covers(d, h)));
  if (err) return { kind: 'failed', label: 'failed', detail: err.message };
  return { kind: 'unknown', label: 'not saved yet', detail: 'the proxy gets a certificate once the app is saved and deployed' };
}
