import { z } from 'zod';
import { base, Id, patchOf } from './base.ts';
import { RemotePath } from './servers.ts';

/** An image reference as Docker accepts it (repository[:tag][@digest]); never passed to a shell. */
export const ImageRef = z
  .string()
  .trim()
  .min(1, 'expected an image reference')
  .max(255, 'expected at most 255 characters')
  .regex(/^[a-z0-9][a-z0-9._\-/:@]*$/i, 'expected an image reference like caddy:2 or registry.example:5000/caddy:2');

/** A registry/mirror prefix (host[:port][/path]) that is put in front of an image name. */
export const RegistryPrefix = z
  .string()
  .trim()
  .min(1, 'expected a registry prefix')
  .max(200)
  .regex(/^[a-z0-9][a-z0-9.\-:/]*[a-z0-9]$/i, 'expected a registry prefix like mirror.example:5000 or mirror.example/library');

/**
 * Every image OpenPanel runs on a server can be redirected: `images` maps one image (exact reference, e.g.
 * `caddy:2`) to another reference (a local image or a mirror); `prefix` puts a mirror in front of every other one.
 */
export const ImageOverrides = z
  .object({
    prefix: RegistryPrefix.nullable().default(null),
    images: z.record(ImageRef, ImageRef).default({}),
  })
  .strict();
export type ImageOverrides = z.infer<typeof ImageOverrides>;

export const ProxyDriverName = z.enum(['traefik', 'caddy']);
export type ProxyDriverName = z.infer<typeof ProxyDriverName>;

/** Environment variable names a DNS provider reads (values live in the keychain). */
export const EnvName = z.string().min(1, 'expected a variable name').max(128).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name (letters, digits, _)');

/**
 * Who issues a TLS domain's certificate: `acme` (Let's Encrypt through HTTP-01/DNS-01) or `internal` (the proxy's
 * own CA, offline: for LAN/private names; Caddy's `tls internal`; Traefik has no CA and serves its self-signed
 * default certificate for such a domain).
 */
export const TlsIssuer = z.enum(['acme', 'internal']);
export type TlsIssuer = z.infer<typeof TlsIssuer>;

/**
 * The directory URL of an ACME server (a private CA such as step-ca, or a staging directory). It ends up in the
 * Caddyfile and in Traefik's argv: https only, and none of the characters that would end or open a Caddyfile token
 * (whitespace, quotes, braces, #).
 */
export const AcmeDirectoryUrl = z
  .string()
  .trim()
  .max(500, 'expected at most 500 characters')
  .regex(/^https:\/\/[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?(?:\/[A-Za-z0-9._~%/:@!$&'()*+,;=?-]*)?$/, 'expected the https URL of an ACME directory, like https://ca.internal:9000/acme/acme/directory');

/** PEM certificates (one or more), e.g. the root that signed a private ACME server's own HTTPS certificate. */
export const PemCertificates = z
  .string()
  .trim()
  .max(20_000, 'expected at most 20000 characters')
  .regex(/^(?:-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\s*)+$/, 'expected PEM certificates (-----BEGIN CERTIFICATE----- …)');

export const AcmeSettings = z
  .object({
    email: z.email('expected an email address').nullable().default(null),
    /** How the ACME server checks the domain: HTTP-01 (port 80), TLS-ALPN-01 (port 443 only) or DNS-01. */
    challenge: z.enum(['http', 'tls-alpn', 'dns']).default('http'),
    /** lego provider code for DNS-01, e.g. cloudflare, route53, ovh. */
    dnsProvider: z.string().regex(/^[a-z0-9]+$/, 'expected a provider code like cloudflare').nullable().default(null),
    /** Staging directory of Let's Encrypt (for trying things out); ignored when directoryUrl is set. */
    staging: z.boolean().default(false),
    /** The ACME server's directory URL; null: Let's Encrypt. */
    directoryUrl: AcmeDirectoryUrl.nullable().default(null),
    /** The root CA of the ACME server's HTTPS certificate when it is not publicly trusted (Caddy only). */
    caRoot: PemCertificates.nullable().default(null),
  })
  .strict();
export type AcmeSettings = z.infer<typeof AcmeSettings>;

/** Per-server settings of the Ship feature (kept in SQLite; secrets are references). */
export const ShipSettings = z
  .object({
    /** Caddy by default: it runs in the test bed; Traefik's configuration is checked against its documentation only. */
    driver: ProxyDriverName.default('caddy'),
    /** Where jobs, proxy config and certificates live on the server. */
    dataDir: RemotePath.default('/var/lib/openpanel'),
    httpPort: z.number().int().min(1, 'expected a port 1-65535').max(65535, 'expected a port 1-65535').default(80),
    httpsPort: z.number().int().min(1, 'expected a port 1-65535').max(65535, 'expected a port 1-65535').default(443),
    /** Redirect every HTTP request to HTTPS (entry point level). */
    httpsRedirect: z.boolean().default(true),
    acme: AcmeSettings.default({ email: null, challenge: 'http', dnsProvider: null, staging: false, directoryUrl: null, caRoot: null }),
    /** Names of the DNS provider's variables whose values are in the keychain. */
    dnsEnvNames: z.array(EnvName).max(16).default([]),
    imageOverrides: ImageOverrides.default({ prefix: null, images: {} }),
    /**
     * The proxy's image per driver (null: traefik:v3.3 / caddy:2); a newer tag here is an upgrade (`proxy.upgrade`).
     * Resolved through the image overrides like every other image.
     */
    proxyImages: z
      .object({ traefik: ImageRef.nullable().default(null), caddy: ImageRef.nullable().default(null) })
      .strict()
      .default({ traefik: null, caddy: null }),
  })
  .strict();
export type ShipSettings = z.infer<typeof ShipSettings>;

export const ShipSettingsUpdate = z
  .object({
    serverId: Id,
    /** Only the fields to change; an object field (acme, imageOverrides, proxyImages) is replaced as a whole. */
    settings: patchOf(ShipSettings),
    /** DNS provider credentials to store in the keychain (name -> value); null removes one. */
    dnsEnv: z.record(EnvName, z.string().max(4096).nullable()).optional(),
  })
  .strict();

export const ProxyStatus = z.object({
  serverId: z.string(),
  driver: ProxyDriverName,
  image: z.string(),
  installed: z.boolean(),
  running: z.boolean(),
  containerId: z.string().nullable(),
  /** The image the container was created from (differs from `image` until an upgrade/reinstall). */
  containerImage: z.string().nullable(),
  status: z.string().nullable(),
  network: z.string(),
  /** The static configuration as it is (or would be) run: argv for Traefik, the Caddyfile for Caddy. */
  config: z.string(),
});
export type ProxyStatus = z.infer<typeof ProxyStatus>;

const ServerRef = z.object({ serverId: Id }).strict();

export const CertificateState = z.enum(['valid', 'expiring', 'expired', 'not-yet-valid', 'missing']);
export type CertificateState = z.infer<typeof CertificateState>;

/** One certificate the proxy holds (read from its data dir on the server), or a TLS domain it has none for yet. */
export const ProxyCertificate = z.object({
  /** DNS names (and IP addresses) the certificate covers: its subject alternative names. */
  domains: z.array(z.string()),
  subject: z.string(),
  issuer: z.string(),
  /** Where the proxy keeps it: Caddy's issuer folder (e.g. `local`, `acme-v02.api.letsencrypt.org-directory`) or Traefik's resolver. */
  store: z.string(),
  /** Who issued it: an ACME server (Let's Encrypt or the configured directory) or the proxy's internal CA. */
  issuedBy: TlsIssuer,
  serial: z.string(),
  fingerprint256: z.string(),
  notBefore: z.number(),
  notAfter: z.number(),
  /** Whole days until notAfter (negative once expired). */
  daysLeft: z.number(),
  /** Apps (and push-to-deploy hosts) of this server with a domain the certificate covers. */
  apps: z.array(z.object({ id: z.string(), name: z.string(), host: z.string() })),
  state: CertificateState,
  /** Human-readable problems: expired, expiring, not for a current app, the last ACME error for its names. */
  problems: z.array(z.string()),
});
export type ProxyCertificate = z.infer<typeof ProxyCertificate>;

/** A TLS domain of an app that no certificate covers yet. */
export const MissingCertificate = z.object({
  host: z.string(),
  appId: z.string(),
  appName: z.string(),
  issuer: TlsIssuer,
  /** The last error the proxy logged obtaining a certificate for this host, if any. */
  lastError: z.string().nullable(),
  /** Why there is none (not deployed yet, waiting for ACME, Traefik's self-signed default for internal…). */
  reason: z.string(),
});
export type MissingCertificate = z.infer<typeof MissingCertificate>;

export const CertificateReport = z.object({
  serverId: z.string(),
  driver: ProxyDriverName,
  /** When the proxy's files were read (ms). */
  readAt: z.number(),
  certificates: z.array(ProxyCertificate),
  missing: z.array(MissingCertificate),
  /** Certificate errors the proxy logged (last one per set of names), newest first. */
  errors: z.array(z.object({ domains: z.array(z.string()), message: z.string(), at: z.number().nullable() })),
  /** Why nothing could be read (e.g. the proxy is not installed), else null. */
  note: z.string().nullable(),
});
export type CertificateReport = z.infer<typeof CertificateReport>;

export const ProxyUpgrade = z
  .object({
    serverId: Id,
    /** The new image of the current driver's proxy (e.g. traefik:v3.4); omitted: recreate with the configured one. */
    image: ImageRef.optional(),
  })
  .strict();

export const proxy = {
  settings: base.input(ServerRef).output(ShipSettings),
  updateSettings: base.meta({ mutating: true, secretFields: ['dnsEnv'] }).input(ShipSettingsUpdate).output(ShipSettings),
  status: base.input(ServerRef).output(ProxyStatus),
  /** Install or upgrade (recreate with the current settings and image), then start. */
  install: base.meta({ mutating: true }).input(ServerRef).output(ProxyStatus),
  /**
   * Change the proxy's image and recreate its container keeping its data (certificates): the old container is kept
   * (stopped) until the new one runs, and started again if the new one does not; the setting is saved only then.
   */
  upgrade: base.meta({ mutating: true }).input(ProxyUpgrade).output(ProxyStatus.extend({ previousImage: z.string().nullable() })),
  restart: base.meta({ mutating: true }).input(ServerRef).output(ProxyStatus),
  /** Every certificate the proxy holds, with days left, the apps it serves and problems. */
  certificates: base.input(ServerRef).output(CertificateReport),
  remove: base.meta({ mutating: true }).input(ServerRef).output(z.object({ removed: z.boolean() })),
  logs: base.input(z.object({ serverId: Id, tail: z.number().int().min(1).max(5000).default(200) }).strict()).output(z.object({ text: z.string() })),
};
