import { useQuery } from '@tanstack/react-query';
import type { AiProviderId, AiProviderStatus } from '../../../shared/contract/assistant.ts';
import { queryUtils } from '../../lib/rpc.ts';

export interface Readiness {
  /** null while unknown (not probed yet). */
  ready: boolean | null;
  /** Why nothing can answer, in words (the providers in the fallback order, each with what it lacks). */
  reason: string | null;
}

/** Some provider in the fallback order is reachable and its model is not known to be missing. */
export function readinessOf(order: readonly AiProviderId[] | undefined, status: readonly AiProviderStatus[] | undefined): Readiness {
  if (!order || !status) return { ready: null, reason: null };
  const inUse = order.map((id) => status.find((s) => s.id === id)).filter((s): s is AiProviderStatus => !!s);
  if (inUse.some((s) => s.reachable && s.modelAvailable !== false)) return { ready: true, reason: null };
  return { ready: false, reason: `No AI model is available. ${inUse.map((s) => s.summary).join(' ')}` };
}

/** Provider settings and their latest probe (every 30 s; the Test button probes now and updates this too). */
export function useAssistantStatus() {
  const orpc = queryUtils();
  const settings = useQuery(orpc.assistant.settings.queryOptions());
  const status = useQuery({ ...orpc.assistant.status.queryOptions(), refetchInterval: 30_000 });
  return { settings: settings.data, status: status.data ?? [], loaded: status.isSuccess, readiness: readinessOf(settings.data?.fallbackOrder, status.data) };
}
