import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import type { AiPreview, AskRequest } from '../../../shared/contract/assistant.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

export interface AskState {
  streaming: boolean;
  text: string;
  /** What happened on the way: attempts, retries, fallbacks (shown under the answer). */
  notes: string[];
  error: string | null;
  /** A remote provider wants consent first: the exact payload to show. */
  consent: { preview: AiPreview; input: AskRequest } | null;
}

const IDLE: AskState = { streaming: false, text: '', notes: [], error: null, consent: null };

/** Sends a question: preview first (consent for remote providers), then streams the answer; `stop` cancels it. */
export function useAsk(conversationId: string) {
  const [state, setState] = useState<AskState>(IDLE);
  const ac = useRef<AbortController | null>(null);
  const qc = useQueryClient();
  const refresh = useCallback(() => qc.invalidateQueries({ queryKey: queryUtils().assistant.conversation.key({ input: { id: conversationId } }) }), [qc, conversationId]);

  const run = useCallback(
    async (input: AskRequest) => {
      const ctl = new AbortController();
      ac.current = ctl;
      setState({ ...IDLE, streaming: true });
      try {
        const stream = await api().assistant.ask(input, { signal: ctl.signal });
        for await (const ev of stream) {
          if (ev.type === 'user') void refresh();
          else if (ev.type === 'token') setState((s) => ({ ...s, text: s.text + ev.text }));
          else if (ev.type === 'attempt') setState((s) => ({ ...s, notes: [...s.notes, `${ev.provider} · ${ev.model}${ev.attempt > 1 ? ` (attempt ${ev.attempt})` : ''} · sent ${ev.bytes} bytes, ${ev.redactions} redactions`] }));
          else if (ev.type === 'retry') setState((s) => ({ ...s, notes: [...s.notes, `${ev.provider}: retrying in ${Math.round(ev.delayMs / 100) / 10} s (${ev.reason})`] }));
          else if (ev.type === 'fallback') setState((s) => ({ ...s, notes: [...s.notes, `${ev.from} skipped: ${ev.reason}`] }));
          else if (ev.type === 'done' && ev.message.status === 'error') setState((s) => ({ ...s, error: ev.message.error }));
        }
        setState((s) => ({ ...s, streaming: false, text: s.error ? s.text : '' }));
      } catch (e) {
        setState((s) => ({ ...s, streaming: false, text: '', error: ctl.signal.aborted ? null : describeError(e).message }));
      } finally {
        ac.current = null;
        await refresh();
      }
    },
    [refresh],
  );

  const send = useCallback(
    async (input: AskRequest) => {
      setState({ ...IDLE, streaming: true, notes: ['preparing context…'] });
      try {
        const preview = await api().assistant.preview(input);
        if (preview.needsConsent) {
          setState({ ...IDLE, consent: { preview, input } });
          return;
        }
      } catch (e) {
        setState({ ...IDLE, error: describeError(e).message });
        return;
      }
      await run(input);
    },
    [run],
  );

  const answerConsent = useCallback(
    async (decision: 'allow' | 'skip' | 'cancel') => {
      const pending = state.consent;
      setState((s) => ({ ...s, consent: null }));
      if (!pending || decision === 'cancel') return;
      if (decision === 'allow') await api().assistant.consent({ conversationId, provider: pending.preview.provider, granted: true, sha256: pending.preview.sha256 });
      await run(pending.input);
    },
    [state.consent, conversationId, run],
  );

  // The server keeps the partial answer as "stopped" once the cancellation reached it: refetch shortly after.
  const stop = useCallback(() => {
    ac.current?.abort();
    for (const ms of [250, 1000, 3000]) setTimeout(() => void refresh(), ms);
  }, [refresh]);
  return { state, send, stop, answerConsent };
}
