import { describe, expect, it } from 'vitest';
import { logsHash, parseLogsParams } from './params.ts';

describe('logs URL parameters', () => {
  it('round-trips containers of several servers as repeated server/containers pairs', () => {
    const hash = logsHash({ serverId: 'srv_a', containerIds: ['web', 'db'], also: [{ serverId: 'srv_b', containerIds: ['worker'] }], tail: 50, since: undefined });
    expect(hash).toBe('#/logs?server=srv_a&containers=web%2Cdb&server=srv_b&containers=worker&tail=50');
    expect(parseLogsParams(hash.slice('#/logs?'.length))).toEqual({ serverId: 'srv_a', containerIds: ['web', 'db'], also: [{ serverId: 'srv_b', containerIds: ['worker'] }], tail: 50, since: undefined });
  });

  it('reads the one-server form as before, and skips a server with no containers', () => {
    expect(parseLogsParams('server=srv_a&containers=web&tail=all')).toEqual({ serverId: 'srv_a', containerIds: ['web'], tail: undefined, since: undefined });
    expect(parseLogsParams('server=srv_a&containers=&server=srv_b&containers=x')).toEqual({ serverId: 'srv_b', containerIds: ['x'], tail: 1000, since: undefined });
    expect(parseLogsParams('server=srv_a')).toBeNull();
  });

  it('round-trips a cluster app (every task merged) as cluster/app', () => {
    const hash = logsHash({ serverId: '', containerIds: [], cluster: { clusterId: 'cl_1', name: 'web' }, tail: 200, since: 1700000000000 });
    expect(hash).toBe('#/logs?cluster=cl_1&app=web&tail=200&since=1700000000000');
    expect(parseLogsParams(hash.slice('#/logs?'.length))).toEqual({ serverId: '', containerIds: [], cluster: { clusterId: 'cl_1', name: 'web' }, tail: 200, since: 1700000000000 });
    expect(parseLogsParams('cluster=cl_1')).toBeNull();
  });
});
