import type Docker from 'dockerode';
import { SERVICE_IMAGES } from '../../../shared/contract/images.ts';
import { z } from 'zod';
import { ClusterDomain as ClusterDomainSchema, type ClusterDomain } from '../../../shared/contract/cluster-apps.ts';
import { bounded } from '../cluster/swarm.ts';
import { dockerError, isDockerNotFound } from '../docker/errors.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { CADDY_BOOT } from '../proxy/caddy.ts';
import { APPS_NETWORK, serviceName } from './spec.ts';

/** The edge proxy: Caddy as a global Swarm service on the nodes labelled `openpanel.edge=true`. */
export const EDGE_SERVICE = 'openpanel-edge';
export const EDGE_NODE_LABEL = 'openpanel.edge';
/** Certificates and ACME accounts, per edge node (a local volume: see docs/cluster.md on several edge nodes). */
export const EDGE_DATA_VOLUME = 'openpanel-edge-data';
export const EDGE_IMAGE = SERVICE_IMAGES.caddy;

/** One app as the edge routes it: its domains to `tasks.op-<name>:<port>`. */
export interface EdgeRoute {
  name: string;
  port: number;
  domains: ClusterDomain[];
}

/**
 * The edge's Caddyfile. Upstreams are `dynamic a tasks.op-<name>`: Caddy re-resolves Swarm's task DNS every second
 * (no VIP, no ingress mesh). Dynamic upstreams get passive health checks only (Caddy runs active ones for static
 * upstreams), so a dead task is skipped after one failed dial and a request is retried on another for up to 5 s.
 * Every value is checked by the contract (domains, names, ports), so nothing here can add a directive.
 */
export function edgeCaddyfile(routes: EdgeRoute[]): string {
  const out = ['{\n\tadmin localhost:2019\n\tskip_install_trust\n}\n'];
  for (const r of [...routes].sort((a, b) => a.name.localeCompare(b.name))) {
    const block = (addresses: string[], internal: boolean) =>
      [
        `${addresses.join(', ')} {`,
        ...(internal ? ['\ttls internal'] : []),
        '\treverse_proxy {',
        `\t\tdynamic a tasks.${serviceName(r.name)} ${r.port} {`,
        '\t\t\trefresh 1s',
        '\t\t}',
        '\t\tlb_policy round_robin',
        '\t\tlb_try_duration 5s',
        '\t\tlb_try_interval 100ms',
        '\t\tfail_duration 10s',
        '\t\tunhealthy_status 5xx',
        '\t\ttransport http {',
        '\t\t\tdial_timeout 1s',
        // A kept-alive connection to a task whose node was cut off takes the request and never answers: give up and retry (GET).
        '\t\t\tresponse_header_timeout 3s',
        '\t\t}',
        '\t}',
        '}\n',
      ].join('\n');
    const acme = r.domains.filter((d) => d.tls && d.issuer === 'acme').map((d) => d.host);
    const internal = r.domains.filter((d) => d.tls && d.issuer === 'internal').map((d) => d.host);
    const plain = r.domains.filter((d) => !d.tls).map((d) => `http://${d.host}`);
    out.push(`# app ${r.name}`);
    if (acme.length) out.push(block(acme, false));
    if (internal.length) out.push(block(internal, true));
    if (plain.length) out.push(block(plain, false));
  }
  return out.join('\n');
}

/** The edge's ServiceSpec: global on edge nodes, on the apps network, 80/443 published in host mode (no mesh). */
export function edgeSpec(image: string, routes: EdgeRoute[]): Record<string, unknown> {
  const port = (n: number) => ({ Protocol: 'tcp', TargetPort: n, PublishedPort: n, PublishMode: 'host' });
  return {
    Name: EDGE_SERVICE,
    Labels: { ...MANAGED, [LABELS.proxy]: 'caddy-edge' },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Command: ['sh', '-c', CADDY_BOOT],
        Env: [`OP_CADDYFILE=${edgeCaddyfile(routes)}`, 'XDG_DATA_HOME=/data', 'XDG_CONFIG_HOME=/config'],
        Labels: { ...MANAGED, [LABELS.proxy]: 'caddy-edge' },
        Mounts: [{ Type: 'volume', Source: EDGE_DATA_VOLUME, Target: '/data' }],
      },
      RestartPolicy: { Condition: 'any', Delay: 1_000_000_000, MaxAttempts: 0 },
      Placement: { Constraints: [`node.labels.${EDGE_NODE_LABEL}==true`] },
      Networks: [{ Target: APPS_NETWORK }],
    },
    Mode: { Global: {} },
    // The host port is held by one task per node: the old one stops before the new one starts.
    UpdateConfig: { Parallelism: 1, Order: 'stop-first', FailureAction: 'rollback', Monitor: 5_000_000_000 },
    EndpointSpec: { Mode: 'dnsrr', Ports: [port(80), port(443)] },
  };
}

interface RawService {
  ID: string;
  Version: { Index: number };
  Spec: { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Env?: string[]; Image?: string } } };
}

/**
 * Creates or updates the edge service so it routes `routes`; does nothing when it would not change (an edge
 * update restarts Caddy on each edge node). With no route left it is removed (its certificate volume stays).
 */
export async function syncEdge(api: Docker, image: string, routes: EdgeRoute[]): Promise<'created' | 'updated' | 'removed' | 'unchanged'> {
  const spec = edgeSpec(image, routes);
  let existing: RawService | null = null;
  try {
    existing = (await bounded((signal) => api.getService(EDGE_SERVICE).inspect({ abortSignal: signal }), 'reading the edge service')) as RawService;
  } catch (e) {
    if (!isDockerNotFound(e)) throw dockerError(e, `service ${EDGE_SERVICE}`);
  }
  try {
    if (!existing) {
      if (routes.length === 0) return 'unchanged';
      await bounded((signal) => api.createService({ ...spec, abortSignal: signal } as never), 'creating the edge service');
      return 'created';
    }
    if (routes.length === 0) {
      const id = existing.ID;
      await bounded((signal) => api.getService(id).remove({ abortSignal: signal }), 'removing the edge service');
      return 'removed';
    }
    const was = existing.Spec.TaskTemplate?.ContainerSpec;
    const now = (spec.TaskTemplate as { ContainerSpec: { Env: string[]; Image: string } }).ContainerSpec;
    if (was?.Image === now.Image && JSON.stringify(was.Env) === JSON.stringify(now.Env)) return 'unchanged';
    const id = existing.ID;
    const version = existing.Version.Index;
    await bounded((signal) => api.getService(id).update({ _query: { version }, _body: spec, abortSignal: signal }), 'updating the edge service');
    return 'updated';
  } catch (e) {
    throw dockerError(e, `service ${EDGE_SERVICE}`);
  }
}

/** The domains kept on an app's service (LABELS.domains), checked again: labels are state on the cluster. */
export function readDomains(labels: Record<string, string> | undefined): ClusterDomain[] {
  try {
    const parsed = z.array(ClusterDomainSchema).safeParse(JSON.parse(labels?.[LABELS.domains] ?? '[]'));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Every app on the cluster that has a domain, as the edge routes it (read from the services' labels). */
export async function edgeRoutes(api: Docker): Promise<EdgeRoute[]> {
  const services = (await bounded(() => api.listServices({ filters: { label: [`${LABELS.managed}=true`, LABELS.port] } }), 'listing the apps for the edge')) as unknown as {
    Spec: { Labels?: Record<string, string> };
  }[];
  return services
    .map((s) => ({ name: s.Spec.Labels?.[LABELS.app] ?? '', port: Number(s.Spec.Labels?.[LABELS.port]), domains: readDomains(s.Spec.Labels) }))
    .filter((r) => r.name !== '' && Number.isInteger(r.port) && r.port > 0 && r.port < 65536 && r.domains.length > 0);
}
