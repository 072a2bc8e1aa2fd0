import type { Applied } from '../../../shared/contract/alerting.ts';

/** What did not reach the servers with Watch on after a channel or watchdog change, in words; null when all did. */
export function appliedProblems(applied: Applied, nameOf: (serverId: string) => string = (id) => id): string | null {
  const failed = applied.filter((a) => !a.ok);
  if (!failed.length) return null;
  return failed.map((a) => `${nameOf(a.serverId)}: ${a.error ?? 'not applied'}`).join('; ');
}
