import { describe, expect, it } from 'vitest';
import { ClusterAppInput } from '../../../shared/contract/cluster-apps.ts';
import { readDeploys, serviceSpec } from './spec.ts';

const input = (over: Record<string, unknown> = {}) =>
  ClusterAppInput.parse({ clusterId: 'c1', name: 'web', image: 'reg.example:5000/web@sha256:' + 'a'.repeat(64), replicas: 2, port: 8080, ...over });

interface Built {
  EndpointSpec: unknown;
  Mode: unknown;
  UpdateConfig: unknown;
  Labels: Record<string, string>;
  TaskTemplate: { Placement: { Constraints: string[] }; Resources: { Limits: unknown }; ContainerSpec: { HealthCheck: { Test: string[] } } };
}

describe('serviceSpec', () => {
  it('turns the validated input into a dnsrr service with a rolling update that rolls back, and keeps the deploy records', () => {
    const deploys = [{ id: 'abc123', image: 'x', at: 1, kind: 'deploy' as const }];
    const spec = serviceSpec(
      input({ constraints: ['node.labels.zone == eu'], limits: { cpus: 0.5, memoryMb: 64 }, health: { test: ['true'] }, update: { monitorS: 8, delayS: 2 } }),
      'abc123',
    ) as unknown as Built;
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 2 } });
    expect(spec.TaskTemplate.Placement.Constraints).toEqual(['node.labels.zone==eu']);
    expect(spec.TaskTemplate.Resources.Limits).toEqual({ NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024 });
    expect(spec.TaskTemplate.ContainerSpec.HealthCheck.Test).toEqual(['CMD', 'true']);
    expect(spec.UpdateConfig).toMatchObject({ Order: 'start-first', FailureAction: 'rollback', Monitor: 8e9, Delay: 2e9 });
    expect(spec.Labels['openpanel.port']).toBe('8080');
    expect(spec.Labels['openpanel.deploy']).toBe('abc123');
    expect(readDeploys({ 'openpanel.deploys': JSON.stringify(deploys) })).toEqual(deploys);
  });

  it('reads no deploys from a missing or broken label', () => {
    expect(readDeploys(undefined)).toEqual([]);
    expect(readDeploys({ 'openpanel.deploys': '{not json' })).toEqual([]);
  });

  it('refuses replicas, constraints and images outside the grammar, naming what was expected', () => {
    for (const [over, text] of [
      [{ replicas: -1 }, 'expected a whole number from 0 to 100'],
      [{ replicas: 1000 }, 'expected a whole number from 0 to 100'],
      [{ constraints: ['node.id==x'] }, 'expected node.role, node.hostname or node.labels.<key>'],
      [{ constraints: ['node.role==admin'] }, 'expected node.role'],
      [{ image: 'web;touch /tmp/x' }, 'expected an image like'],
      [{ name: 'Web_1' }, 'expected lower-case letters'],
    ] as const) {
      const r = ClusterAppInput.safeParse({ clusterId: 'c1', name: 'web', image: 'web:1', ...over });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toContain(text);
    }
    expect(ClusterAppInput.safeParse({ clusterId: 'c1', name: 'web', image: 'web:1', replicas: 0 }).success).toBe(true);
  });
});
