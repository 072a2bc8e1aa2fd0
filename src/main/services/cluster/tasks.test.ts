import { describe, expect, it } from 'vitest';
import { taskViews, type RawTask } from './tasks.ts';

const task = (id: string, desired: string, at: string, node = 'n1'): RawTask => ({ ID: id, NodeID: node, DesiredState: desired, Status: { State: desired, Timestamp: at }, Spec: { ContainerSpec: { Image: 'web@sha256:1' } } });
const nodes = { hostOf: (id: string) => `host-${id}`, serverOf: (id: string) => (id === 'n1' ? 's1' : null) };

describe('taskViews', () => {
  it('puts tasks meant to run first, newest first, names node and server, and keeps at most max', () => {
    const out = taskViews([task('old', 'shutdown', '2026-01-01T00:00:03Z'), task('a', 'running', '2026-01-01T00:00:01Z'), task('b', 'running', '2026-01-01T00:00:02Z', 'n2')], nodes, 2);
    expect(out.map((t) => t.id)).toEqual(['b', 'a']);
    expect(out[0]).toMatchObject({ node: 'host-n2', serverId: null, image: 'web@sha256:1', since: Date.parse('2026-01-01T00:00:02Z') });
    expect(out[1]).toMatchObject({ node: 'host-n1', serverId: 's1' });
    expect(out[0]).not.toHaveProperty('nodeState');
  });

  it("gives each task its node's state when asked (a task on a down node may still say running)", () => {
    const [t] = taskViews([task('a', 'shutdown', '2026-01-01T00:00:01Z')], { ...nodes, stateOf: (id) => (id === 'n1' ? 'down' : null) });
    expect(t).toMatchObject({ nodeState: 'down', state: 'shutdown' });
  });
});
