import type { AppConfig } from '../../../shared/contract/apps.ts';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import type { RouteDomain } from './caddy.ts';

/** Name of the certificate resolver the static configuration defines. */
export const CERT_RESOLVER = 'le';
/** In-container paths of the Traefik container. */
export const TRAEFIK_DATA = '/data';
export const TRAEFIK_DASHBOARD_PORT = 8080;
const LE_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

/**
 * Traefik's static configuration as CLI flags (Traefik reads `--a.b.c=value` exactly like the YAML keys).
 * Entry points web (:80) and websecure (:443); HTTP→HTTPS redirect at the entry point; Docker provider limited to
 * containers that opt in, reached on the dedicated network; ACME HTTP-01, TLS-ALPN-01 or DNS-01 (the provider's
 * credentials arrive as environment variables) from Let's Encrypt or the configured directory; the dashboard on the
 * `traefik` entry point through a router of its own (TRAEFIK_DASHBOARD_LABELS, never `api.insecure`), which the
 * container publishes on the server's loopback only (reach it through an SSH port forward).
 */
export function traefikArgs(s: ShipSettings, network: string): string[] {
  const a: string[] = [
    '--entryPoints.web.address=:80',
    '--entryPoints.websecure.address=:443',
    '--entryPoints.websecure.http.tls=true',
    `--entryPoints.traefik.address=:${TRAEFIK_DASHBOARD_PORT}`,
    '--providers.docker=true',
    '--providers.docker.endpoint=unix:///var/run/docker.sock',
    '--providers.docker.exposedByDefault=false',
    `--providers.docker.network=${network}`,
    '--api.dashboard=true',
    '--ping=true',
    '--log.level=INFO',
  ];
  if (s.httpsRedirect) {
    a.push('--entryPoints.web.http.redirections.entryPoint.to=websecure', '--entryPoints.web.http.redirections.entryPoint.scheme=https', '--entryPoints.web.http.redirections.entryPoint.permanent=true');
  }
  if (s.acme.email) {
    const r = `--certificatesResolvers.${CERT_RESOLVER}.acme`;
    a.push(`${r}.email=${s.acme.email}`, `${r}.storage=${TRAEFIK_DATA}/acme.json`);
    const ca = s.acme.directoryUrl ?? (s.acme.staging ? LE_STAGING : null);
    if (ca) a.push(`${r}.caServer=${ca}`);
    if (s.acme.challenge === 'dns' && s.acme.dnsProvider) a.push(`${r}.dnsChallenge.provider=${s.acme.dnsProvider}`);
    else if (s.acme.challenge === 'tls-alpn') a.push(`${r}.tlsChallenge=true`);
    else a.push(`${r}.httpChallenge.entryPoint=web`);
    a.push(`--entryPoints.websecure.http.tls.certResolver=${CERT_RESOLVER}`);
  }
  return a;
}

/**
 * The dashboard and API (`api@internal`) routed on the `traefik` entry point by labels on the proxy container, the
 * documented alternative to `api.insecure=true` (which would also expose them on any entry point named traefik).
 */
export const TRAEFIK_DASHBOARD_LABELS: Record<string, string> = {
  'traefik.enable': 'true',
  'traefik.http.routers.op-dashboard.rule': 'PathPrefix(`/api`) || PathPrefix(`/dashboard`)',
  'traefik.http.routers.op-dashboard.entrypoints': 'traefik',
  'traefik.http.routers.op-dashboard.service': 'api@internal',
};

/** Router/service name of an app (labels are per container; both old and new containers share them). */
export function routerName(app: Pick<AppConfig, 'name'>): string {
  return `op-${app.name}`;
}

/**
 * The labels that route an app's container: one router for ACME TLS domains, one for internal-CA TLS domains
 * (Traefik has no CA of its own: TLS without a resolver, served with its self-signed default certificate; a router
 * with its own `tls` keeps the entry point's resolver away), one for plain-HTTP domains.
 */
export function traefikLabels(app: { name: string; domains: RouteDomain[]; port: number }, network: string, acme: boolean): Record<string, string> {
  const n = routerName(app);
  const labels: Record<string, string> = {};
  if (app.domains.length === 0) return labels;
  labels['traefik.enable'] = 'true';
  labels['traefik.docker.network'] = network;
  labels[`traefik.http.services.${n}.loadbalancer.server.port`] = String(app.port);
  const rule = (hosts: string[]) => hosts.map((h) => `Host(\`${h}\`)`).join(' || ');
  const tls = app.domains.filter((d) => d.tls && d.issuer !== 'internal').map((d) => d.host);
  const internal = app.domains.filter((d) => d.tls && d.issuer === 'internal').map((d) => d.host);
  const plain = app.domains.filter((d) => !d.tls).map((d) => d.host);
  if (tls.length) {
    labels[`traefik.http.routers.${n}.rule`] = rule(tls);
    labels[`traefik.http.routers.${n}.entrypoints`] = 'websecure';
    labels[`traefik.http.routers.${n}.tls`] = 'true';
    if (acme) labels[`traefik.http.routers.${n}.tls.certresolver`] = CERT_RESOLVER;
    labels[`traefik.http.routers.${n}.service`] = n;
  }
  if (internal.length) {
    labels[`traefik.http.routers.${n}-internal.rule`] = rule(internal);
    labels[`traefik.http.routers.${n}-internal.entrypoints`] = 'websecure';
    labels[`traefik.http.routers.${n}-internal.tls`] = 'true';
    labels[`traefik.http.routers.${n}-internal.service`] = n;
  }
  if (plain.length) {
    labels[`traefik.http.routers.${n}-http.rule`] = rule(plain);
    labels[`traefik.http.routers.${n}-http.entrypoints`] = 'web';
    labels[`traefik.http.routers.${n}-http.service`] = n;
  }
  return labels;
}

const NAME = '[A-Za-z0-9_-]+';
/**
 * The static options (CLI form, case-insensitive as Traefik reads them) used here, as documented for Traefik v3:
 * doc.traefik.io/traefik/reference/install-configuration/entrypoints, …/providers/docker, …/api-dashboard,
 * …/tls/certificate-resolvers/acme, …/observability/logs-and-accesslogs, …/observability/healthcheck (ping).
 */
export const DOCUMENTED_STATIC: RegExp[] = [
  new RegExp(`^entrypoints\\.${NAME}\\.address$`, 'i'),
  new RegExp(`^entrypoints\\.${NAME}\\.http\\.redirections\\.entrypoint\\.(to|scheme|permanent|priority)$`, 'i'),
  new RegExp(`^entrypoints\\.${NAME}\\.http\\.tls$`, 'i'),
  new RegExp(`^entrypoints\\.${NAME}\\.http\\.tls\\.certresolver$`, 'i'),
  /^providers\.docker$/i,
  /^providers\.docker\.(endpoint|exposedbydefault|network|watch|defaultrule|usebindportip|allowemptyservices|constraints)$/i,
  /^api\.(dashboard|debug)$/i,
  /^ping$/i,
  /^log\.(level|format)$/i,
  new RegExp(`^certificatesresolvers\\.${NAME}\\.acme\\.(email|storage|caserver|keytype)$`, 'i'),
  new RegExp(`^certificatesresolvers\\.${NAME}\\.acme\\.httpchallenge\\.entrypoint$`, 'i'),
  new RegExp(`^certificatesresolvers\\.${NAME}\\.acme\\.tlschallenge$`, 'i'),
  new RegExp(`^certificatesresolvers\\.${NAME}\\.acme\\.dnschallenge\\.(provider|resolvers)$`, 'i'),
];

/** Docker labels as documented (doc.traefik.io/traefik/routing/providers/docker). */
export const DOCUMENTED_LABELS: RegExp[] = [
  /^traefik\.enable$/,
  /^traefik\.docker\.network$/,
  new RegExp(`^traefik\\.http\\.routers\\.${NAME}\\.(rule|entrypoints|service|priority|middlewares|tls|tls\\.certresolver|tls\\.options)$`),
  new RegExp(`^traefik\\.http\\.services\\.${NAME}\\.loadbalancer\\.(server\\.port|server\\.scheme|passhostheader|healthcheck\\.path|healthcheck\\.interval)$`),
];

/** Problems with generated flags: unknown options and references that do not resolve. Empty when valid. */
export function checkTraefikArgs(args: string[]): string[] {
  const problems: string[] = [];
  const opts = new Map<string, string>();
  for (const arg of args) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (!m) {
      problems.push(`not a --key=value flag: ${arg}`);
      continue;
    }
    const [, key, value] = m as unknown as [string, string, string];
    if (!DOCUMENTED_STATIC.some((r) => r.test(key))) problems.push(`undocumented option: ${key}`);
    opts.set(key.toLowerCase(), value);
  }
  const entryPoints = new Set([...opts.keys()].map((k) => /^entrypoints\.([^.]+)\.address$/.exec(k)?.[1]).filter(Boolean));
  for (const [k, v] of opts) {
    if (/\.redirections\.entrypoint\.to$/.test(k) && !entryPoints.has(v.toLowerCase())) problems.push(`${k} names an unknown entry point ${v}`);
    if (/\.httpchallenge\.entrypoint$/.test(k) && !entryPoints.has(v.toLowerCase())) problems.push(`${k} names an unknown entry point ${v}`);
    if (/\.tls\.certresolver$/.test(k) && !opts.has(`certificatesresolvers.${v.toLowerCase()}.acme.email`)) problems.push(`${k} names an unknown resolver ${v}`);
    if (/\.address$/.test(k) && !/^(\[[0-9a-f:]+\]|[\w.-]*)?:\d{1,5}(\/(tcp|udp))?$/i.test(v)) problems.push(`${k}: bad address ${v}`);
  }
  return problems;
}

/** Problems with generated labels. Empty when valid. */
export function checkTraefikLabels(labels: Record<string, string>, entryPoints: string[]): string[] {
  const problems: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!DOCUMENTED_LABELS.some((r) => r.test(k))) problems.push(`undocumented label: ${k}`);
    if (k.endsWith('.entrypoints') && !v.split(',').every((e) => entryPoints.includes(e))) problems.push(`${k} names an unknown entry point ${v}`);
    if (k.endsWith('.rule') && !/^Host\(`[a-z0-9.-]+`\)( \|\| Host\(`[a-z0-9.-]+`\))*$/.test(v)) problems.push(`${k}: unexpected rule ${v}`);
    if (k.endsWith('.service') && !Object.keys(labels).some((l) => l.startsWith(`traefik.http.services.${v}.`))) problems.push(`${k} names an undefined service ${v}`);
  }
  return problems;
}
