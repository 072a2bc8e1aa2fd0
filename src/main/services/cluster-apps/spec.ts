import { z } from 'zod';
import { ClusterDeploy as ClusterDeploySchema, type ClusterAppSpec, type ClusterDeploy } from '../../../shared/contract/cluster-apps.ts';
import { LABELS, MANAGED } from '../docker/labels.ts';

/** The overlay network every app service of a cluster is on (attachable: the edge proxy joins it). */
export const APPS_NETWORK = 'openpanel-cluster-apps';
/** Deploy records kept (Swarm configs); older ones are dropped. */
export const KEPT_DEPLOYS = 10;

const NS = 1_000_000_000;

export function serviceName(app: string): string {
  return `op-${app}`;
}

/** Swarm's constraint grammar has no spaces around the operator in its docs; keep one spelling. */
export function normaliseConstraint(c: string): string {
  return c.replace(/\s*(==|!=)\s*/, '$1');
}

const Deploys = z.array(ClusterDeploySchema);

export function readDeploys(labels: Record<string, string> | undefined): ClusterDeploy[] {
  const parsed = Deploys.safeParse(safeJson(labels?.[LABELS.deploys]));
  return parsed.success ? parsed.data : [];
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : [];
  } catch {
    return [];
  }
}

/** The Engine API's ServiceSpec for an app: dnsrr endpoints (no IPVS needed), rolling updates, labels. */
export function serviceSpec(app: ClusterAppSpec, deployId: string): Record<string, unknown> {
  const labels = { ...MANAGED, [LABELS.app]: app.name, [LABELS.appName]: app.name, [LABELS.deploy]: deployId, [LABELS.port]: String(app.port), [LABELS.domains]: JSON.stringify(app.domains) };
  const resources = (r: ClusterAppSpec['limits']) => ({
    ...(r.cpus !== undefined ? { NanoCPUs: Math.round(r.cpus * NS) } : {}),
    ...(r.memoryMb !== undefined ? { MemoryBytes: r.memoryMb * 1024 * 1024 } : {}),
  });
  const update = {
    Parallelism: app.update.parallelism,
    Delay: app.update.delayS * NS,
    FailureAction: app.update.failureAction,
    Monitor: app.update.monitorS * NS,
    MaxFailureRatio: app.update.maxFailureRatio,
    Order: app.update.order,
  };
  return {
    Name: serviceName(app.name),
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: app.image,
        Labels: { ...MANAGED, [LABELS.app]: app.name, [LABELS.appName]: app.name, [LABELS.deploy]: deployId },
        ...(app.health
          ? {
              HealthCheck: {
                Test: ['CMD', ...app.health.test],
                Interval: app.health.intervalS * NS,
                Timeout: app.health.timeoutS * NS,
                Retries: app.health.retries,
                StartPeriod: app.health.startPeriodS * NS,
              },
            }
          : {}),
      },
      Resources: { Limits: resources(app.limits), Reservations: resources(app.reservations) },
      RestartPolicy: { Condition: app.restart.condition, Delay: app.restart.delayS * NS, MaxAttempts: app.restart.maxAttempts },
      Placement: { Constraints: app.constraints.map(normaliseConstraint) },
      Networks: [{ Target: APPS_NETWORK, Aliases: [app.name] }],
    },
    Mode: { Replicated: { Replicas: app.replicas } },
    UpdateConfig: update,
    // A rollback (Swarm's own, after a failed update) goes back the same careful way.
    RollbackConfig: { ...update, FailureAction: 'pause' },
    EndpointSpec: { Mode: 'dnsrr' },
  };
}
