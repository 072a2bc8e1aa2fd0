import { ClusterImageRef, MAX_REPLICAS } from '../../../shared/contract/cluster-apps.ts';
import { AppError } from '../core/errors.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';
import { parseYaml, type Yaml } from './yaml.ts';

/** What a checked Compose file holds that OpenPanel needs: its services and the keys each already sets. */
export interface CheckedStack {
  /** The file's `version` (the override must carry the same: Docker's loader refuses mixed versions). */
  version: string | null;
  services: { name: string; endpointMode: string | null; hasUpdateConfig: Set<string>; hasRollbackConfig: Set<string> }[];
}

const TOP = new Set(['version', 'name', 'services', 'networks', 'volumes', 'configs', 'secrets']);
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Swarm's limit for a service name, `<stack>_<service>`. */
const MAX_SERVICE_NAME = 63;

type Obj = { [k: string]: Yaml };
const isObj = (v: Yaml | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (field: string, msg: string): never => {
  throw new AppError('INPUT_INVALID', `${field}: ${msg}`);
};

/**
 * Checks a stack's Compose file before anything reaches a node: a map of services, each with an image (a stack
 * only runs images: `build:` is refused), replicas and modes in range, and ports published in host mode unless the
 * service asks for Swarm's VIP itself. The rest is Docker's to check (a rejection fails the deploy job).
 */
export function checkCompose(stack: string, text: string): CheckedStack {
  const doc = parseYaml(text);
  if (!isObj(doc)) return bad('compose', 'expected a map with a services key');
  for (const k of Object.keys(doc)) if (!TOP.has(k) && !k.startsWith('x-')) bad(`compose.${k}`, `expected one of ${[...TOP].join(', ')} or an x- extension`);
  const services = doc.services;
  if (!isObj(services) || !Object.keys(services).length) return bad('compose.services', 'expected a map of at least one service');
  if (doc.version !== undefined && typeof doc.version !== 'string' && typeof doc.version !== 'number') bad('compose.version', 'expected a version like "3.8"');
  const out: CheckedStack = { version: doc.version === undefined || doc.version === null ? null : String(doc.version), services: [] };
  for (const [name, svc] of Object.entries(services)) {
    const f = `compose.services.${name}`;
    if (!SERVICE_NAME.test(name)) bad(f, 'expected a service name of letters, digits, _ . - (a letter or digit first)');
    if (stack.length + 1 + name.length > MAX_SERVICE_NAME) bad(f, `expected a shorter name: ${stack}_${name} is over ${MAX_SERVICE_NAME} characters`);
    if (!isObj(svc)) return bad(f, 'expected a map');
    if (svc.build !== undefined) bad(`${f}.build`, 'a stack on a cluster only runs images: build the image with the builder (registry.buildAndPush) and push it to the registry, then name it in image');
    if (typeof svc.image !== 'string') bad(`${f}.image`, 'expected an image, like registry.example:5000/web:1.2');
    const image = ClusterImageRef.safeParse(svc.image);
    if (!image.success) bad(`${f}.image`, image.error.issues[0]?.message ?? 'expected an image reference');
    const deploy = svc.deploy ?? null;
    if (deploy !== null && !isObj(deploy)) bad(`${f}.deploy`, 'expected a map');
    const d: Obj = isObj(deploy) ? deploy : {};
    const replicas = d.replicas;
    if (replicas !== undefined && !(typeof replicas === 'number' && Number.isInteger(replicas) && replicas >= 0 && replicas <= MAX_REPLICAS)) {
      bad(`${f}.deploy.replicas`, `expected a whole number from 0 to ${MAX_REPLICAS}`);
    }
    if (d.mode !== undefined && d.mode !== 'replicated' && d.mode !== 'global') bad(`${f}.deploy.mode`, 'expected replicated or global');
    if (d.endpoint_mode !== undefined && d.endpoint_mode !== 'vip' && d.endpoint_mode !== 'dnsrr') bad(`${f}.deploy.endpoint_mode`, 'expected dnsrr or vip');
    const endpointMode = (d.endpoint_mode as string | undefined) ?? null;
    if (endpointMode !== 'vip') checkPorts(f, svc.ports);
    for (const k of ['update_config', 'rollback_config'] as const) if (d[k] !== undefined && !isObj(d[k])) bad(`${f}.deploy.${k}`, 'expected a map');
    out.services.push({
      name,
      endpointMode,
      hasUpdateConfig: new Set(Object.keys(isObj(d.update_config) ? d.update_config : {})),
      hasRollbackConfig: new Set(Object.keys(isObj(d.rollback_config) ? d.rollback_config : {})),
    });
  }
  return out;
}

/** Without IPVS the ingress mesh does not work, and Docker refuses ingress ports with dnsrr: host mode only. */
function checkPorts(f: string, ports: Yaml | undefined): void {
  if (ports === undefined || ports === null) return;
  if (!Array.isArray(ports)) return bad(`${f}.ports`, 'expected a list');
  ports.forEach((p, i) => {
    if (!isObj(p) || p.mode !== 'host') {
      bad(`${f}.ports[${i}]`, 'expected the long syntax with mode: host (e.g. {target: 80, published: 8080, mode: host}): OpenPanel runs stack services with endpoint_mode dnsrr, without the ingress routing mesh (it needs IPVS); set deploy.endpoint_mode: vip to use the mesh');
    }
  });
}

/**
 * The second Compose file of every deploy (JSON is YAML): OpenPanel's labels on each service and its containers,
 * `endpoint_mode: dnsrr` where the file sets none, and rolling updates that start the new task first and roll
 * back on failure, for the keys the file leaves unset, so a failing deploy leaves the previous version serving.
 */
export function stackOverride(stack: string, deployId: string, checked: CheckedStack): string {
  const labels = { ...MANAGED, [LABELS.stack]: stack, [LABELS.deploy]: deployId };
  const services: Record<string, unknown> = {};
  for (const s of checked.services) {
    const update: Record<string, unknown> = {};
    if (!s.hasUpdateConfig.has('order')) update.order = 'start-first';
    if (!s.hasUpdateConfig.has('failure_action')) update.failure_action = 'rollback';
    if (!s.hasUpdateConfig.has('monitor')) update.monitor = '5s';
    const rollback: Record<string, unknown> = {};
    if (!s.hasRollbackConfig.has('order')) rollback.order = 'start-first';
    const deploy: Record<string, unknown> = { labels, update_config: update, rollback_config: rollback };
    if (!s.endpointMode) deploy.endpoint_mode = 'dnsrr';
    services[s.name] = { labels, deploy };
  }
  return `${JSON.stringify({ ...(checked.version ? { version: checked.version } : {}), services }, null, 2)}\n`;
}
