import type { AppRuntime, Deploy } from '../../../shared/contract/apps.ts';

/** Docker's state, with its own health check or else whether the proxy answers for the app. */
export function stateLabel(rt: AppRuntime): string {
  const c = rt.container;
  if (!c) return 'not running (no container)';
  if (c.state === 'exited') return `stopped (exit code ${c.exitCode ?? '?'})`;
  if (c.state !== 'running') return c.state;
  if (c.health !== 'none') return `running, ${c.health}`;
  if (rt.routes.length === 0) return 'running';
  return rt.routes.some((r) => r.status !== null && r.status < 400) ? 'running, healthy' : 'running, not answering';
}

/** A deploy as one phrase: kind, id, short commit and subject. */
export function deployName(d: Deploy): string {
  const commit = d.commit ? ` (${d.commit.slice(0, 10)}${d.commitSubject ? ` ${d.commitSubject}` : ''})` : '';
  return `${d.kind === 'rollback' ? 'rollback' : 'deploy'} ${d.id}${commit}`;
}

/** When the last deploy failed while an earlier one still serves: that, in words; else null. */
export function failedWhileServing(rt: AppRuntime, last: Deploy | null, since: string | null): string | null {
  if (!rt.live || !last || last.id === rt.live.id || last.status !== 'failed') return null;
  const what = last.kind === 'rollback' ? 'The rollback' : `Deploy ${last.id}`;
  const how = last.step === 'build' || last.step === 'fetch' || last.step === 'prepare' ? 'to build' : `at ${last.step}`;
  return `${what} failed ${how} — ${deployName(rt.live)} is still serving${since ? ` since ${since}` : ''}.`;
}
