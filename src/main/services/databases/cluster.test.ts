import { describe, expect, it } from 'vitest';
import type { dataDatabases } from '../db/schema.ts';
import { ClusterDatabaseOps, databaseServiceSpec, isClusterRow, portContainerSpec } from './cluster.ts';
import { engineOf } from './engines.ts';

type Row = typeof dataDatabases.$inferSelect;
interface Spec {
  Name: string;
  Mode: unknown;
  EndpointSpec: unknown;
  UpdateConfig: { Order: string };
  TaskTemplate: { Placement: { Constraints: string[] }; Networks: unknown; ContainerSpec: unknown; Resources: { Limits: unknown } };
}

const row = (over: Partial<Row> = {}): Row => ({
  id: 'db_1',
  serverId: 'srv_b',
  engine: 'postgres',
  name: 'shop',
  image: 'postgres:16',
  containerName: 'op-db-shop',
  volume: 'op-db-shop-data',
  network: 'openpanel-cluster-apps',
  hostPort: 15433,
  username: 'app',
  database: 'shop',
  passwordRef: 'ref',
  limits: { memoryMb: 256, cpus: null },
  createdAt: 0,
  ...over,
});

describe('databases on a cluster: the Swarm spec and the loopback port', () => {
  it('pins one replica to the node with its volume, dnsrr on the apps network under its name', () => {
    const spec = databaseServiceSpec(row(), engineOf('postgres'), 'mirror/pg:16', 'p@ss', 'node123') as unknown as Spec;
    expect(spec.Name).toBe('op-db-shop');
    expect(spec.Mode).toEqual({ Replicated: { Replicas: 1 } });
    expect(spec.TaskTemplate.Placement.Constraints).toEqual(['node.id==node123']);
    expect(spec.TaskTemplate.Networks).toEqual([{ Target: 'openpanel-cluster-apps', Aliases: ['shop'] }]);
    expect(spec.EndpointSpec).toEqual({ Mode: 'dnsrr' });
    expect(spec.UpdateConfig.Order).toBe('stop-first');
    expect(spec.TaskTemplate.ContainerSpec).toMatchObject({
      Image: 'mirror/pg:16',
      Env: ['POSTGRES_PASSWORD=p@ss', 'POSTGRES_USER=app', 'POSTGRES_DB=shop'],
      Mounts: [{ Type: 'volume', Source: 'op-db-shop-data', Target: '/var/lib/postgresql/data' }],
      Labels: { 'openpanel.role': 'database', 'openpanel.database.id': 'db_1', 'openpanel.database.engine': 'postgres' },
    });
    expect(spec.TaskTemplate.Resources.Limits).toEqual({ MemoryBytes: 256 * 1024 * 1024 });
  });

  it('publishes the port on the node loopback only, relaying to the service by name', () => {
    const c = portContainerSpec(row({ engine: 'mariadb', hostPort: 15440 }), engineOf('mariadb'), 'tools:1');
    expect(c.name).toBe('op-db-shop-port');
    expect(c.HostConfig?.PortBindings).toEqual({ '3306/tcp': [{ HostIp: '127.0.0.1', HostPort: '15440' }] });
    expect(c.HostConfig?.NetworkMode).toBe('openpanel-cluster-apps');
    expect([...(c.Entrypoint as string[]), ...(c.Cmd as string[])]).toEqual(['busybox', 'nc', '-ll', '-p', '3306', '-e', 'busybox', 'nc', 'op-db-shop', '3306']);
    expect(c.Labels?.['openpanel.role']).not.toBe('database');
  });

  it('marks a cluster row by its network, and changes replicas, restarts and limits in a copy of the spec', () => {
    expect(isClusterRow(row())).toBe(true);
    expect(isClusterRow(row({ network: 'openpanel-data' }))).toBe(false);
    const spec = { Name: 'op-db-shop', TaskTemplate: { ForceUpdate: 2 }, Mode: { Replicated: { Replicas: 1 } } };
    expect(ClusterDatabaseOps.replicas(0)(spec).Mode).toEqual({ Replicated: { Replicas: 0 } });
    expect(ClusterDatabaseOps.restart(spec).TaskTemplate?.ForceUpdate).toBe(3);
    expect(ClusterDatabaseOps.limits({ memoryMb: null, cpus: 1.5 })(spec).TaskTemplate).toEqual({ ForceUpdate: 2, Resources: { Limits: { NanoCPUs: 1.5e9 } } });
  });
});
