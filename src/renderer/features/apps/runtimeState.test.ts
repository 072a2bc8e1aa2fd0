import { describe, expect, it } from 'vitest';
import type { AppContainer, AppRuntime, Deploy } from '../../../shared/contract/apps.ts';
import { failedWhileServing, stateLabel } from './runtimeState.ts';

const container = (over: Partial<AppContainer> = {}): AppContainer => ({ id: 'c1', name: 'op-web-d1', state: 'running', health: 'none', startedAt: 1, finishedAt: null, exitCode: null, restartCount: 0, deployId: 'd1', ...over });
const deploy = (over: Partial<Deploy> = {}): Deploy => ({
  id: 'd1', appId: 'a', serverId: 's', kind: 'deploy', trigger: 'manual', status: 'succeeded', step: 'done', progress: 100, image: 'i', commit: '0123456789abcdef', commitSubject: 'first',
  container: 'op-web-d1', error: null, buildSeconds: 1, createdAt: 1, finishedAt: 2, attached: false, ...over,
});
const runtime = (over: Partial<AppRuntime> = {}): AppRuntime => ({ container: container(), live: deploy(), liveSince: 2, routes: [], checkedAt: 3, ...over });

describe('the runtime in words', () => {
  it('says running, healthy or not by Docker health, else by the proxy answering; stopped with its exit code', () => {
    expect(stateLabel(runtime({ container: null }))).toBe('not running (no container)');
    expect(stateLabel(runtime({ container: container({ state: 'exited', exitCode: 137 }) }))).toBe('stopped (exit code 137)');
    expect(stateLabel(runtime({ container: container({ state: 'restarting' }) }))).toBe('restarting');
    expect(stateLabel(runtime({ container: container({ health: 'unhealthy' }) }))).toBe('running, unhealthy');
    expect(stateLabel(runtime())).toBe('running');
    const route = { url: 'http://x', host: 'x' };
    expect(stateLabel(runtime({ routes: [{ ...route, status: 200, error: null }] }))).toBe('running, healthy');
    expect(stateLabel(runtime({ routes: [{ ...route, status: 502, error: null }] }))).toBe('running, not answering');
    expect(stateLabel(runtime({ routes: [{ ...route, status: null, error: 'refused' }] }))).toBe('running, not answering');
  });

  it('names a failed build while another release serves, and nothing when the last deploy is the live one', () => {
    const failed = deploy({ id: 'd2', status: 'failed', step: 'build', commit: null, commitSubject: null });
    expect(failedWhileServing(runtime(), failed, 'noon')).toBe('Deploy d2 failed to build — deploy d1 (0123456789 first) is still serving since noon.');
    expect(failedWhileServing(runtime(), deploy({ id: 'd3', status: 'failed', step: 'health' }), null)).toBe('Deploy d3 failed at health — deploy d1 (0123456789 first) is still serving.');
    expect(failedWhileServing(runtime(), deploy(), 'noon')).toBeNull();
    expect(failedWhileServing(runtime({ live: null }), failed, 'noon')).toBeNull();
    expect(failedWhileServing(runtime(), deploy({ id: 'd2', status: 'running' }), 'noon')).toBeNull();
  });
});
