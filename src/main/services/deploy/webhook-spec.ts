import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { WebhookDelivery } from '../../../shared/contract/apps.ts';
import type { ShipSettings } from '../../../shared/contract/proxy.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { BUILDER_DATA, PROXY_CONTAINER, PROXY_NETWORK, proxyDriver } from '../proxy/driver.ts';
import RECEIVER_SOURCE from './webhook-receiver.mjs?raw';

// What the push-to-deploy receiver on a server is made of: its container, the files it reads, the log it writes.

/** The receiver's container: one per server, only while at least one app has push-to-deploy on. */
export const RECEIVER_CONTAINER = 'openpanel-webhook';
export const RECEIVER_PORT = 9000;
/** Route name for the proxy (app names cannot contain `_`, so it never collides with an app's router or site file). */
export const ROUTE_NAME = '_webhook';
/** Stands for the deploy id in the builder spec; the receiver puts a fresh id in its place for every deploy. */
export const DEPLOY_ID_PLACEHOLDER = '__OP_DEPLOY_ID__';
/** The only job variables that carry the deploy id (checked when the spec is made). */
export const SUBSTITUTED = ['OP_JOB_ID', 'OP_JOB_DIR', 'OP_IMAGE', 'OP_CONTAINER', 'OP_LABELS'];
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The builder spec the receiver starts for one app (file <data>/webhooks/apps/<appId>.json on the server, 0600). */
export interface ReceiverSpec {
  version: 1;
  appId: string;
  appName: string;
  branch: string;
  secret: string;
  placeholder: string;
  substitute: string[];
  name: string;
  builder: Docker.ContainerCreateOptions;
}

/** The receiver container's create options; its label `openpanel.webhook.hash` tells when it must be recreated. */
export function receiverContainer(settings: ShipSettings, image: string, dockerSocket: string, hosts: { host: string; tls: boolean }[]): Docker.ContainerCreateOptions & { name: string } {
  const routing = proxyDriver(settings.driver).appLabels({ name: ROUTE_NAME, domains: hosts, port: RECEIVER_PORT }, settings);
  const spec = {
    name: RECEIVER_CONTAINER,
    Image: image,
    Entrypoint: ['node', '--input-type=module', '-e', RECEIVER_SOURCE],
    Cmd: [],
    // Only the proxy may name the client in X-Forwarded-For (per-client limits); its address is looked up by name.
    Env: [`OP_DATA=${BUILDER_DATA}`, `OP_PORT=${RECEIVER_PORT}`, `OP_TRUSTED_PROXIES=${PROXY_CONTAINER}`],
    Labels: { ...MANAGED, [LABELS.webhook]: 'receiver', ...routing } as Record<string, string>,
    HostConfig: {
      NetworkMode: PROXY_NETWORK,
      RestartPolicy: { Name: 'unless-stopped' },
      Memory: 256 * 1024 * 1024,
      Binds: [`${dockerSocket}:/var/run/docker.sock`, `${settings.dataDir}:${BUILDER_DATA}`],
    },
  };
  spec.Labels[LABELS.webhookHash] = sha256(JSON.stringify(spec)).slice(0, 16);
  return spec;
}


/** The deliveries log as the receiver writes it; lines that do not parse are skipped (the file is on the server). */
export function parseDeliveries(text: string): (WebhookDelivery & { image?: string; container?: string })[] {
  const out: (WebhookDelivery & { image?: string; container?: string })[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const raw = JSON.parse(line) as Record<string, unknown>;
      const r = WebhookDelivery.safeParse({ provider: '', event: '', delivery: '', reason: '', ref: '', commit: '', remote: '', deployId: null, ...raw });
      if (!r.success) continue;
      const extra = (k: string) => (typeof raw[k] === 'string' && /^[a-z0-9][a-z0-9._/:-]{0,200}$/.test(raw[k] as string) ? (raw[k] as string) : undefined);
      out.push({ ...r.data, image: extra('image'), container: extra('container') });
    } catch {
      // a torn or foreign line
    }
  }
  return out;
}

export function webhookUrl(st: { host: string; tls: boolean }, settings: ShipSettings, appId: string): string {
  const port = st.tls ? (settings.httpsPort === 443 ? '' : `:${settings.httpsPort}`) : settings.httpPort === 80 ? '' : `:${settings.httpPort}`;
  return `${st.tls ? 'https' : 'http'}://${st.host}${port}/hooks/${appId}`;
}
