import type Docker from 'dockerode';
import type { ProxyDriverName, ShipSettings } from '../../../shared/contract/proxy.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { CADDY_BOOT, caddyfile, caddySite, type RouteDomain } from './caddy.ts';
import { TRAEFIK_DASHBOARD_LABELS, TRAEFIK_DASHBOARD_PORT, TRAEFIK_DATA, traefikArgs, traefikLabels } from './traefik.ts';

/** The dedicated network the proxy and every app container share. */
export const PROXY_NETWORK = 'openpanel';
export const PROXY_CONTAINER = 'openpanel-proxy';
/** Where the builder sees the server's data dir. */
export const BUILDER_DATA = '/openpanel';

export interface ProxyContainerInput {
  settings: ShipSettings;
  image: string;
  dockerSocket: string;
  /** DNS provider credentials (values from the keychain), passed as environment variables. */
  dnsEnv: Record<string, string>;
}

/** What differs between reverse proxies; the rest (network, install, deploy switch) is shared. */
export interface ProxyDriver {
  readonly name: ProxyDriverName;
  /** Create options of the proxy container. */
  container(input: ProxyContainerInput): Docker.ContainerCreateOptions;
  /** The static configuration, as shown to the user. */
  config(settings: ShipSettings): string;
  /** Labels on an app's container (routing for label-driven proxies). */
  appLabels(app: { name: string; domains: RouteDomain[]; port: number }, settings: ShipSettings): Record<string, string>;
  /** For file-driven proxies: the app's site file (as the builder sees it) and its template. */
  site(app: { name: string; domains: RouteDomain[] }): { file: string; template: string } | null;
  /** Seconds the job waits after the new container is healthy before stopping the old one (provider refresh). */
  readonly switchDelaySeconds: number;
}

function ports(s: ShipSettings, extra: Record<string, { HostIp: string; HostPort: string }[]> = {}) {
  return {
    ExposedPorts: { '80/tcp': {}, '443/tcp': {}, ...Object.fromEntries(Object.keys(extra).map((k) => [k, {}])) },
    PortBindings: { '80/tcp': [{ HostPort: String(s.httpPort) }], '443/tcp': [{ HostPort: String(s.httpsPort) }], ...extra },
  };
}

export const traefikDriver: ProxyDriver = {
  name: 'traefik',
  switchDelaySeconds: 3,
  container({ settings, image, dockerSocket, dnsEnv }) {
    const p = ports(settings, { [`${TRAEFIK_DASHBOARD_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(TRAEFIK_DASHBOARD_PORT) }] });
    return {
      name: PROXY_CONTAINER,
      Image: image,
      Cmd: traefikArgs(settings, PROXY_NETWORK),
      Env: Object.entries(dnsEnv).map(([k, v]) => `${k}=${v}`),
      Labels: { ...MANAGED, [LABELS.proxy]: 'traefik', ...TRAEFIK_DASHBOARD_LABELS },
      ExposedPorts: p.ExposedPorts,
      HostConfig: {
        NetworkMode: PROXY_NETWORK,
        PortBindings: p.PortBindings,
        RestartPolicy: { Name: 'unless-stopped' },
        Binds: [`${dockerSocket}:/var/run/docker.sock:ro`, `${settings.dataDir}/proxy/traefik:${TRAEFIK_DATA}`],
      },
    };
  },
  config: (s) => traefikArgs(s, PROXY_NETWORK).join('\n'),
  appLabels: (app, s) => traefikLabels(app, PROXY_NETWORK, !!s.acme.email),
  site: () => null,
};

export const caddyDriver: ProxyDriver = {
  name: 'caddy',
  switchDelaySeconds: 0,
  container({ settings, image }) {
    const p = ports(settings);
    return {
      name: PROXY_CONTAINER,
      Image: image,
      Entrypoint: ['sh', '-c', CADDY_BOOT],
      Cmd: [],
      Env: [`OP_CADDYFILE=${caddyfile(settings)}`, ...(settings.acme.caRoot ? [`OP_ACME_CA_ROOT=${settings.acme.caRoot}`] : []), 'XDG_DATA_HOME=/data', 'XDG_CONFIG_HOME=/config'],
      Labels: { ...MANAGED, [LABELS.proxy]: 'caddy' },
      ExposedPorts: p.ExposedPorts,
      HostConfig: {
        NetworkMode: PROXY_NETWORK,
        PortBindings: p.PortBindings,
        RestartPolicy: { Name: 'unless-stopped' },
        Binds: [`${settings.dataDir}/proxy/caddy:/etc/openpanel`, `${settings.dataDir}/proxy/caddy-data:/data`],
      },
    };
  },
  config: (s) => caddyfile(s),
  appLabels: () => ({}),
  site(app) {
    const template = caddySite(app);
    return template ? { file: `${BUILDER_DATA}/proxy/caddy/sites/${app.name}.caddy`, template } : null;
  },
};

export function proxyDriver(name: ProxyDriverName): ProxyDriver {
  return name === 'caddy' ? caddyDriver : traefikDriver;
}
