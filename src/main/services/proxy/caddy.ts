import type { ShipSettings, TlsIssuer } from '../../../shared/contract/proxy.ts';
import CADDY_BOOT from './caddy-boot.sh?raw';

/** The Caddy container's entrypoint script (caddy-boot.sh): writes the Caddyfile from OP_CADDYFILE, runs Caddy. */
export { CADDY_BOOT };

/** A host the proxy routes (an app's domain, or the push-to-deploy receiver's host); no issuer means ACME. */
export interface RouteDomain {
  host: string;
  tls: boolean;
  issuer?: TlsIssuer;
}

/** Where the Caddy container keeps its configuration (a bind mount of <dataDir>/proxy/caddy). */
export const CADDY_CONF_DIR = '/etc/openpanel';
export const CADDYFILE = `${CADDY_CONF_DIR}/Caddyfile`;
/** Replaced by the deploy job with the new container's name:port when it switches traffic. */
export const UPSTREAM_PLACEHOLDER = '__UPSTREAM__';

/** The ACME server's root CA (settings.acme.caRoot), written there by CADDY_BOOT from OP_ACME_CA_ROOT. */
export const CADDY_ACME_CA_ROOT = `${CADDY_CONF_DIR}/acme-ca-root.pem`;
export const LE_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';
/** The challenge type Caddy must not use, per chosen challenge (Caddy has no DNS provider modules here). */
const DISABLED_CHALLENGE = { http: 'disable_tlsalpn_challenge', 'tls-alpn': 'disable_http_challenge', dns: null } as const;

/** The main Caddyfile: global options, then every app's site file. */
export function caddyfile(s: ShipSettings): string {
  // skip_install_trust: the internal CA's root stays in the data dir; never put into the container's trust store.
  const global = ['\tadmin localhost:2019', '\tskip_install_trust'];
  if (s.acme.email) global.push(`\temail ${s.acme.email}`);
  const ca = s.acme.directoryUrl ?? (s.acme.staging ? LE_STAGING : null);
  if (ca) global.push(`\tacme_ca ${ca}`);
  if (s.acme.caRoot) global.push(`\tacme_ca_root ${CADDY_ACME_CA_ROOT}`);
  // one ACME issuer with the chosen challenge only (Caddy fills in the global acme_ca, root and email)
  const disabled = DISABLED_CHALLENGE[s.acme.challenge];
  if (disabled) global.push(`\tcert_issuer acme {\n\t\t${disabled}\n\t}`);
  if (!s.httpsRedirect) global.push('\tauto_https disable_redirects');
  return `{\n${global.join('\n')}\n}\n\nimport ${CADDY_CONF_DIR}/sites/*.caddy\n`;
}

/** One app's site block(s), with the upstream left as a placeholder; null when the app has no domain. */
export function caddySite(app: { name: string; domains: RouteDomain[] }): string | null {
  if (app.domains.length === 0) return null;
  const block = (addresses: string[], internal = false) =>
    `${addresses.join(', ')} {\n${internal ? '\ttls internal\n' : ''}\treverse_proxy ${UPSTREAM_PLACEHOLDER} {\n\t\tlb_try_duration 5s\n\t}\n}\n`;
  const out: string[] = [`# app ${app.name} (written by OpenPanel at each deploy)`];
  const acme = app.domains.filter((d) => d.tls && d.issuer !== 'internal').map((d) => d.host);
  const internal = app.domains.filter((d) => d.tls && d.issuer === 'internal').map((d) => d.host);
  const plain = app.domains.filter((d) => !d.tls).map((d) => `http://${d.host}`);
  if (acme.length) out.push(block(acme));
  if (internal.length) out.push(block(internal, true));
  if (plain.length) out.push(block(plain));
  return out.join('\n');
}

/** For an exec in the proxy container; scripts use caddy_reload in deploy/shell-lib.sh (the same argv, tested). */
export const CADDY_RELOAD = ['caddy', 'reload', '--config', CADDYFILE, '--adapter', 'caddyfile'];
