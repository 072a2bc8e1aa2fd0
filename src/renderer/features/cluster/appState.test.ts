import { describe, expect, it } from 'vitest';
import { ClusterAppInput, ClusterGitDeployInput, type ClusterAppView, type ClusterTask } from '../../../shared/contract/cluster-apps.ts';
import { emptyForm, formFromView, gitInputFromForm, inputFromForm, settling, sinceText, updateState } from './appState.ts';

const task = (state: string, desired = 'running'): ClusterTask => ({ id: `t-${state}-${desired}`, slot: 1, nodeId: 'n', node: 'a', serverId: 's', state, desired, error: null, image: 'web:1', since: 0 });
const view = (patch: Partial<ClusterAppView> = {}): ClusterAppView => ({
  clusterId: 'c',
  name: 'web',
  service: 'op-web',
  serviceId: 'id',
  image: 'web@sha256:' + 'a'.repeat(64),
  replicas: 2,
  port: 8080,
  running: 2,
  constraints: ['node.role==worker'],
  domains: [{ host: 'web.test', tls: false, issuer: 'acme' }],
  update: null,
  tasks: [task('running'), task('running')],
  deploys: [{ id: 'd2abcdef', image: 'web:2', at: 2, kind: 'deploy' }],
  ...patch,
});

describe('cluster app state', () => {
  it('says rolled back with Swarm’s reason, and which states are still moving', () => {
    const rolled = view({ update: { state: 'rollback_completed', rolledBack: true, message: 'update rolled back due to failure', at: 1 } });
    expect(updateState(rolled)).toEqual({ label: 'rolled back', busy: false, failed: true, reason: 'update rolled back due to failure' });
    expect(updateState(view({ update: { state: 'updating', rolledBack: false, message: null, at: 1 } })).busy).toBe(true);
    expect(updateState(view()).label).toBe('deployed');
    expect(settling(view())).toBe(false);
    expect(settling(view({ update: { state: 'rollback_started', rolledBack: true, message: null, at: 1 } }))).toBe(true);
    expect(settling(view({ tasks: [task('running'), task('preparing')] }))).toBe(true);
    expect(settling(view({ tasks: [task('running'), task('running'), task('running', 'shutdown')] }))).toBe(true);
    expect(settling(view({ tasks: [task('running'), task('running'), task('shutdown', 'shutdown'), task('failed', 'shutdown')] }))).toBe(false);
    // Scaled up, the new tasks not made yet.
    expect(settling(view({ replicas: 3 }))).toBe(true);
  });

  it('turns the form into input the contract accepts, empty numbers taking the defaults', () => {
    const f = { ...emptyForm(), name: 'web', image: 'openpanel-test/web:v1', replicas: '3', port: '8080', constraints: ['node.labels.zone==eu'], healthCmd: 'test -f /healthy', limitMb: '64', monitorS: '' };
    const parsed = ClusterAppInput.parse(inputFromForm('c1', f));
    expect(parsed).toMatchObject({ clusterId: 'c1', replicas: 3, port: 8080, constraints: ['node.labels.zone==eu'], limits: { memoryMb: 64 }, reservations: {} });
    expect(parsed.health?.test).toEqual(['test', '-f', '/healthy']);
    expect(parsed.update.monitorS).toBe(5);
    expect(ClusterAppInput.parse(inputFromForm('c1', { ...f, healthCmd: ' ' })).health).toBeNull();
  });

  it('keeps bad values for the contract to refuse at the row the user typed them in', () => {
    const f = { ...emptyForm(), name: 'web', image: 'web:1', replicas: '1000', constraints: ['node.role==worker', 'node.zone=eu'], parallelism: 'x' };
    const r = ClusterAppInput.safeParse(inputFromForm('c1', f));
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['constraints.1', 'replicas', 'update.parallelism']);
  });

  it('turns the git source into deployFromGit input: repository, ref, builder, registry; no image', () => {
    const f = { ...emptyForm(), source: 'git' as const, name: 'shop', gitUrl: 'https://git.example/shop.git', gitRef: '', builderServerId: 'srv-1', registryId: 'reg-1', replicas: '3' };
    const parsed = ClusterGitDeployInput.parse(gitInputFromForm('c1', f));
    expect(parsed).toMatchObject({ name: 'shop', replicas: 3, builderServerId: 'srv-1', registryId: 'reg-1', source: { kind: 'git', url: 'https://git.example/shop.git', dockerfile: 'Dockerfile', context: '.' } });
    expect(parsed.source.ref).toBeUndefined();
    expect('image' in parsed).toBe(false);
    const missing = ClusterGitDeployInput.safeParse(gitInputFromForm('c1', { ...f, gitUrl: '', registryId: '' }));
    expect([...new Set(missing.error?.issues.map((i) => i.path.join('.')))].sort()).toEqual(['registryId', 'source.url']);
  });

  it('says how long ago in seconds, minutes, hours or days', () => {
    expect([sinceText(0, 42_000), sinceText(0, 125_000), sinceText(0, 7_300_000), sinceText(0, 200_000_000), sinceText(5000, 0)]).toEqual(['42 s ago', '2 min ago', '2 h ago', '2 d ago', '0 s ago']);
  });

  it('starts an edit from the deployed image, replicas, constraints and domains', () => {
    const f = formFromView(view());
    expect(f).toMatchObject({ name: 'web', image: 'web:2', replicas: '2', port: '8080', constraints: ['node.role==worker'], domains: [{ host: 'web.test', tls: false, issuer: 'acme' }] });
    expect(ClusterAppInput.safeParse(inputFromForm('c', f)).success).toBe(true);
  });
});
