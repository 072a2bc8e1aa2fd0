import { X509Certificate } from 'node:crypto';
import type { CertificateReport, CertificateState, MissingCertificate, ProxyCertificate, ProxyDriverName, TlsIssuer } from '../../../shared/contract/proxy.ts';

/** Where the proxies keep their certificates, inside the proxy container (both are bind mounts of the data dir). */
export const CADDY_CERT_DIR = '/data/caddy/certificates';
export const TRAEFIK_ACME_FILE = '/data/acme.json';

const DAY = 86_400_000;
/** A certificate is "expiring" when less than this is left (or a third of its lifetime, for short-lived ones). */
export const EXPIRING_MS = 14 * DAY;

/** One certificate as read from the proxy's storage (the leaf of a chain). */
export interface StoredCertificate {
  domains: string[];
  subject: string;
  issuer: string;
  store: string;
  serial: string;
  fingerprint256: string;
  notBefore: number;
  notAfter: number;
}

/** A host the proxy routes on this server, with who it belongs to. */
export interface ServedDomain {
  host: string;
  tls: boolean;
  issuer: TlsIssuer;
  appId: string;
  appName: string;
  /** Whether the app has been deployed (its route exists): until then no certificate is expected. */
  deployed: boolean;
}

export interface AcmeError {
  domains: string[];
  message: string;
  at: number | null;
}

/** One attribute of a distinguished name as Node prints it (`CN=a\nO=b`); Node gives undefined for an empty one. */
function field(dn: string | undefined, key: string): string | null {
  for (const line of (dn ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0 && line.slice(0, i) === key) return line.slice(i + 1);
  }
  return null;
}

/** Names in a subjectAltName string (`DNS:a, DNS:"b", IP Address:1.2.3.4`), DNS names lowercased. */
export function sanNames(san: string | undefined): string[] {
  if (!san) return [];
  const out: string[] = [];
  for (const part of san.split(/,\s*/)) {
    const m = /^(DNS|IP Address):"?(.*?)"?$/.exec(part.trim());
    if (m) out.push(m[1] === 'DNS' ? m[2]!.toLowerCase() : m[2]!);
  }
  return out;
}

/** The first certificate of a PEM text (a chain starts with the leaf), or null when there is none or it does not parse. */
export function leafOf(pem: string, store: string): StoredCertificate | null {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem);
  if (!m) return null;
  let x: X509Certificate;
  try {
    x = new X509Certificate(m[0]);
  } catch {
    return null;
  }
  const cn = field(x.subject, 'CN');
  const domains = sanNames(x.subjectAltName);
  if (domains.length === 0 && cn) domains.push(cn.toLowerCase());
  return {
    domains,
    // Caddy's internal CA issues leaves with an empty subject (the names are in the SANs only)
    subject: cn ?? (x.subject ?? '').replace(/\n/g, ', '),
    issuer: field(x.issuer, 'CN') ?? field(x.issuer, 'O') ?? (x.issuer ?? '').replace(/\n/g, ', '),
    store,
    serial: x.serialNumber.toUpperCase(),
    fingerprint256: x.fingerprint256,
    notBefore: new Date(x.validFrom).getTime(),
    notAfter: new Date(x.validTo).getTime(),
  };
}

/**
 * Regular files of a tar archive (as Docker's archive endpoint returns: ustar, with PAX or GNU long names).
 * `want` picks the files whose bytes are kept; the others (e.g. private keys) are skipped without being copied.
 */
export function untar(buf: Buffer, want: (name: string) => boolean): { name: string; data: Buffer }[] {
  const out: { name: string; data: Buffer }[] = [];
  const str = (b: Buffer) => {
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
  };
  let longName: string | null = null;
  let off = 0;
  for (let guard = 0; off + 512 <= buf.length && guard < 1_000_000; guard++) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(str(h.subarray(124, 136)).trim() || '0', 8);
    const type = String.fromCharCode(h[156] ?? 0);
    const prefix = str(h.subarray(345, 500));
    let name = longName ?? (prefix ? `${prefix}/${str(h.subarray(0, 100))}` : str(h.subarray(0, 100)));
    longName = null;
    const body = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (path) longName = path[1]!;
    } else if (type === 'L') {
      longName = str(body);
    } else if ((type === '0' || type === '\0') && want((name = name.replace(/^\.\//, '')))) {
      out.push({ name, data: Buffer.from(body) });
    }
  }
  return out;
}

/**
 * Caddy's certificates from an archive of its `certificates` folder: `certificates/<issuer>/<name>/<name>.crt`
 * (the issuer folder is e.g. `local` for the internal CA or `acme-v02.api.letsencrypt.org-directory`).
 */
export function caddyCertificates(files: { name: string; data: Buffer }[]): StoredCertificate[] {
  const out: StoredCertificate[] = [];
  for (const f of files) {
    const parts = f.name.split('/');
    if (parts.length < 3 || !f.name.endsWith('.crt')) continue;
    const cert = leafOf(f.data.toString('utf8'), parts[parts.length - 3]!);
    if (cert) out.push(cert);
  }
  return out;
}

/** Traefik's `acme.json`: per resolver, `Certificates[].certificate` is a base64-encoded PEM chain. */
export function traefikCertificates(json: string): StoredCertificate[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return [];
  }
  const out: StoredCertificate[] = [];
  if (!data || typeof data !== 'object') return out;
  for (const [resolver, value] of Object.entries(data as Record<string, unknown>)) {
    const certs = (value as { Certificates?: unknown } | null)?.Certificates;
    if (!Array.isArray(certs)) continue;
    for (const c of certs as { certificate?: unknown }[]) {
      if (typeof c?.certificate !== 'string') continue;
      const cert = leafOf(Buffer.from(c.certificate, 'base64').toString('utf8'), resolver);
      if (cert) out.push(cert);
    }
  }
  return out;
}

function unquote(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/**
 * Certificate errors in the proxy's log, the last one per set of names. Caddy logs JSON lines (logger `tls.*`,
 * level error, with `identifier`); Traefik v3 logs `... ERR Unable to obtain ACME certificate for domains
 * error="…" … domains=["a","b"] …` (its default format) or the same as JSON with log.format=json.
 */
export function acmeErrors(log: string): AcmeError[] {
  const last = new Map<string, AcmeError>();
  const add = (domains: string[], message: string, at: number | null) => {
    if (domains.length === 0 || !message) return;
    const ds = [...new Set(domains.map((d) => d.toLowerCase()))].sort();
    last.set(ds.join(','), { domains: ds, message: message.slice(0, 1000), at });
  };
  for (const line of log.split('\n').slice(-20_000)) {
    const t = line.trim();
    if (t.startsWith('{')) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(t) as Record<string, unknown>;
      } catch {
        continue;
      }
      const level = String(o.level ?? '').toLowerCase();
      if (level !== 'error') continue;
      const at = typeof o.ts === 'number' ? Math.round(o.ts * 1000) : typeof o.time === 'string' ? Date.parse(o.time) || null : null;
      const problem = (o.problem as { detail?: string } | undefined)?.detail;
      const err = [o.error, problem].filter((x) => typeof x === 'string' && x).join(': ');
      if (typeof o.logger === 'string' && o.logger.startsWith('tls') && (typeof o.identifier === 'string' || Array.isArray(o.identifiers))) {
        const ds = typeof o.identifier === 'string' ? [o.identifier] : (o.identifiers as unknown[]).map(String);
        add(ds, err ? `${String(o.msg ?? '')}: ${err}` : String(o.msg ?? ''), at);
      } else if (typeof o.message === 'string' && /Unable to obtain ACME certificate/i.test(o.message) && Array.isArray(o.domains)) {
        add((o.domains as unknown[]).map(String), err || o.message, at);
      }
      continue;
    }
    if (!/Unable to obtain ACME certificate/i.test(t)) continue;
    const doms = /domains=\[([^\]]*)\]/.exec(t)?.[1];
    const ds = doms ? [...doms.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => unquote(m[1]!)) : [];
    const err = /error="((?:[^"\\]|\\.)*)"/.exec(t)?.[1];
    const ts = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d))/.exec(t)?.[1];
    add(ds, err ? unquote(err) : t, ts ? Date.parse(ts) : null);
  }
  return [...last.values()].sort((a, b) => (b.at ?? 0) - (a.at ?? 0));
}

/** Whether a certificate name (possibly `*.example.com`) covers a host. */
export function covers(name: string, host: string): boolean {
  const n = name.toLowerCase();
  const h = host.toLowerCase();
  if (n === h) return true;
  if (!n.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === n.slice(2);
}

function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= 2 * DAY) return `${Math.floor(abs / DAY)} days`;
  if (abs >= 2 * 3_600_000) return `${Math.floor(abs / 3_600_000)} h`;
  return `${Math.max(1, Math.floor(abs / 60_000))} min`;
}

/** The state of one certificate at `now`. Short-lived ones (e.g. the internal CA's 12 h) expire at a third of their life. */
export function certificateState(c: Pick<StoredCertificate, 'notBefore' | 'notAfter'>, now: number): Exclude<CertificateState, 'missing'> {
  if (now >= c.notAfter) return 'expired';
  if (now < c.notBefore) return 'not-yet-valid';
  const threshold = Math.min(EXPIRING_MS, (c.notAfter - c.notBefore) / 3);
  return c.notAfter - now < threshold ? 'expiring' : 'valid';
}

/** Certificates, the TLS domains none covers, and the logged errors, put together for one server. */
export function certificateReport(input: {
  serverId: string;
  driver: ProxyDriverName;
  certificates: StoredCertificate[];
  domains: ServedDomain[];
  errors: AcmeError[];
  now: number;
  note?: string | null;
}): CertificateReport {
  const { now, domains, errors } = input;
  const errorFor = (host: string, after = 0): AcmeError | undefined => errors.find((e) => (e.at ?? now) >= after && e.domains.some((d) => covers(d, host) || d === host.toLowerCase()));
  const certificates: ProxyCertificate[] = input.certificates
    .map((c) => {
      const state = certificateState(c, now);
      const apps = domains.filter((d) => d.tls && c.domains.some((n) => covers(n, d.host))).map((d) => ({ id: d.appId, name: d.appName, host: d.host }));
      const problems: string[] = [];
      if (state === 'expired') problems.push(`expired ${duration(now - c.notAfter)} ago`);
      else if (state === 'expiring') problems.push(`expires in ${duration(c.notAfter - now)} and has not been renewed`);
      else if (state === 'not-yet-valid') problems.push(`not valid before ${new Date(c.notBefore).toISOString()}`);
      if (apps.length === 0) problems.push('not for a domain of a current app (left from a removed app or domain)');
      const err = c.domains.map((d) => errorFor(d, c.notBefore)).find(Boolean);
      if (err) problems.push(`last certificate error: ${err.message}`);
      // Caddy keeps its internal CA's certificates under `local`, each ACME directory's under a folder named after it
      const issuedBy: TlsIssuer = input.driver === 'caddy' && c.store === 'local' ? 'internal' : 'acme';
      return { ...c, issuedBy, daysLeft: Math.floor((c.notAfter - now) / DAY), apps, state, problems };
    })
    .sort((a, b) => a.notAfter - b.notAfter);
  const missing: MissingCertificate[] = [];
  for (const d of domains) {
    if (!d.tls) continue;
    if (input.certificates.some((c) => c.domains.some((n) => covers(n, d.host)))) continue;
    const err = errorFor(d.host);
    const reason = !d.deployed
      ? 'not deployed yet: the proxy gets a certificate once the app is routed'
      : d.issuer === 'internal' && input.driver === 'traefik'
        ? 'Traefik has no internal CA: it serves its self-signed default certificate for this host'
        : err
          ? 'the proxy could not get a certificate'
          : 'no certificate yet: the proxy gets one when the route is loaded (ACME needs the name to point at this server)';
    missing.push({ host: d.host, appId: d.appId, appName: d.appName, issuer: d.issuer, lastError: err?.message ?? null, reason });
  }
  return { serverId: input.serverId, driver: input.driver, readAt: now, certificates, missing, errors, note: input.note ?? null };
}
