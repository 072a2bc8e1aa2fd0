import type { ClusterAppInput, ClusterAppView, ClusterDomain, ClusterGitDeployInput } from '../../../shared/contract/cluster-apps.ts';

/** Read again while Swarm moves tasks or a build runs (react-query's refetchInterval, as the other pages poll), idle once settled. */
export const LIVE_MS = 1500;

/** Swarm's UpdateStatus.State as a short phrase; `busy` while Swarm is still moving tasks. */
export function updateState(view: ClusterAppView): { label: string; busy: boolean; failed: boolean; reason: string | null } {
  const u = view.update;
  if (!u) return { label: 'deployed', busy: false, failed: false, reason: null };
  const label: Record<string, string> = {
    updating: 'updating',
    completed: 'up to date',
    paused: 'update paused',
    rollback_started: 'rolling back',
    rollback_completed: 'rolled back',
    rollback_paused: 'rollback paused',
  };
  const busy = u.state === 'updating' || u.state === 'rollback_started';
  return { label: u.rolledBack && u.state !== 'rollback_started' ? 'rolled back' : (label[u.state] ?? u.state), busy, failed: u.rolledBack || u.state.endsWith('paused'), reason: u.message };
}

const STARTING = new Set(['new', 'allocated', 'pending', 'assigned', 'accepted', 'preparing', 'ready', 'starting']);

/** Whether the app is still changing: an update or rollback running, tasks not yet made or removed, or on their way. */
export function settling(view: ClusterAppView): boolean {
  if (updateState(view).busy) return true;
  if (view.tasks.filter((t) => t.desired === 'running').length !== view.replicas) return true;
  return view.tasks.some((t) => (t.desired === 'running' && STARTING.has(t.state)) || (t.desired !== 'running' && t.state === 'running'));
}

/** The deploy form's fields as typed (numbers as text: an empty one takes the contract's default). */
export interface AppFormState {
  name: string;
  /** An image to run, or a git repository built once on a builder and pushed to a registry. */
  source: 'image' | 'git';
  image: string;
  gitUrl: string;
  gitRef: string;
  dockerfile: string;
  context: string;
  builderServerId: string;
  registryId: string;
  replicas: string;
  port: string;
  constraints: string[];
  domains: ClusterDomain[];
  reserveCpus: string;
  reserveMb: string;
  limitCpus: string;
  limitMb: string;
  restart: 'any' | 'on-failure' | 'none';
  restartDelayS: string;
  restartAttempts: string;
  /** Arguments separated by spaces; empty: no health check. */
  healthCmd: string;
  healthIntervalS: string;
  healthTimeoutS: string;
  healthRetries: string;
  healthStartS: string;
  parallelism: string;
  updateDelayS: string;
  order: 'start-first' | 'stop-first';
  monitorS: string;
  failureAction: 'rollback' | 'pause' | 'continue';
  maxFailureRatio: string;
}

export function emptyForm(): AppFormState {
  return {
    name: '',
    source: 'image',
    image: '',
    gitUrl: '',
    gitRef: '',
    dockerfile: 'Dockerfile',
    context: '.',
    builderServerId: '',
    registryId: '',
    replicas: '1',
    port: '80',
    constraints: [],
    domains: [],
    reserveCpus: '',
    reserveMb: '',
    limitCpus: '',
    limitMb: '',
    restart: 'any',
    restartDelayS: '1',
    restartAttempts: '0',
    healthCmd: '',
    healthIntervalS: '5',
    healthTimeoutS: '3',
    healthRetries: '3',
    healthStartS: '0',
    parallelism: '1',
    updateDelayS: '0',
    order: 'start-first',
    monitorS: '5',
    failureAction: 'rollback',
    maxFailureRatio: '0',
  };
}

/** An edit starts from what the view reports (image as deployed, replicas, port, constraints, domains). */
export function formFromView(view: ClusterAppView): AppFormState {
  return {
    ...emptyForm(),
    name: view.name,
    image: view.deploys[0]?.image ?? view.image,
    replicas: String(view.replicas),
    port: String(view.port),
    constraints: [...view.constraints],
    domains: view.domains.map((d) => ({ ...d })),
  };
}

/** Text as a number for the contract to check; empty → undefined (the default), anything else → Number (NaN is refused there). */
const num = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text.trim()));

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The form as `clusterApps.deploy` input; the contract checks every value and names the field it refuses. */
export function inputFromForm(clusterId: string, f: AppFormState): ClusterAppInput {
  const test = f.healthCmd.trim() ? f.healthCmd.trim().split(/\s+/) : null;
  return defined({
    clusterId,
    name: f.name.trim(),
    image: f.image.trim(),
    replicas: num(f.replicas),
    port: num(f.port),
    // Rows are sent as typed (an empty one too), so an error's index is the row the user sees.
    constraints: f.constraints.map((c) => c.trim()),
    domains: f.domains.map((d) => ({ ...d, host: d.host.trim() })),
    reservations: defined({ cpus: num(f.reserveCpus), memoryMb: num(f.reserveMb) }),
    limits: defined({ cpus: num(f.limitCpus), memoryMb: num(f.limitMb) }),
    restart: defined({ condition: f.restart, delayS: num(f.restartDelayS), maxAttempts: num(f.restartAttempts) }),
    health: test && defined({ test, intervalS: num(f.healthIntervalS), timeoutS: num(f.healthTimeoutS), retries: num(f.healthRetries), startPeriodS: num(f.healthStartS) }),
    update: defined({ parallelism: num(f.parallelism), delayS: num(f.updateDelayS), order: f.order, monitorS: num(f.monitorS), failureAction: f.failureAction, maxFailureRatio: num(f.maxFailureRatio) }),
  });
}

/** How long ago, in the unit a task list reads best. */
export function sinceText(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** The form as `clusterApps.deployFromGit` input: the same app settings, the repository instead of an image. */
export function gitInputFromForm(clusterId: string, f: AppFormState): ClusterGitDeployInput {
  const { image: _image, ...app } = inputFromForm(clusterId, f);
  const text = (v: string) => (v.trim() === '' ? undefined : v.trim());
  return {
    ...app,
    source: defined({ kind: 'git' as const, url: f.gitUrl.trim(), ref: text(f.gitRef), dockerfile: text(f.dockerfile), context: text(f.context) }),
    builderServerId: f.builderServerId,
    registryId: f.registryId,
  };
}
