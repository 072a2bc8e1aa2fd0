import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AiProviderId, AiProviderStatus, AssistantSettings } from '../../../shared/contract/assistant.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

const LABEL: Record<AiProviderId, string> = { ollama: 'Ollama (local)', gemini: 'Gemini', groq: 'Groq' };

/** Hosts, models, keys (to the keychain), limits and the fallback order. */
export function ProviderSettings({ settings, status }: { settings: AssistantSettings; status: AiProviderStatus[] }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [draft, setDraft] = useState(settings);
  const [keys, setKeys] = useState<Record<'gemini' | 'groq', string>>({ gemini: '', groq: '' });
  const [pull, setPull] = useState<{ model: string; line: string } | null>(null);
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: orpc.assistant.settings.key() }), qc.invalidateQueries({ queryKey: orpc.assistant.status.key() })]);
  const save = async () => {
    try {
      await api().assistant.updateSettings(draft);
      for (const p of ['gemini', 'groq'] as const) if (keys[p]) await api().assistant.setApiKey({ provider: p, apiKey: keys[p] });
      setKeys({ gemini: '', groq: '' });
      await refresh();
      toast({ kind: 'success', title: 'Assistant settings saved' });
    } catch (e) {
      toast({ kind: 'error', title: 'Not saved', detail: describeError(e).message });
    }
  };
  const setProvider = (id: AiProviderId, patch: Partial<AssistantSettings['providers']['ollama']>) => setDraft((d) => ({ ...d, providers: { ...d.providers, [id]: { ...d.providers[id], ...patch } } }));
  const move = (i: number, by: number) =>
    setDraft((d) => {
      const order = [...d.fallbackOrder];
      const [x] = order.splice(i, 1);
      order.splice(Math.max(0, Math.min(order.length, i + by)), 0, x!);
      return { ...d, fallbackOrder: order };
    });
  const doPull = async (model: string) => {
    setPull({ model, line: 'starting…' });
    try {
      for await (const p of await api().assistant.pullModel({ model })) {
        setPull({ model, line: `${p.status}${p.total ? ` ${Math.round(((p.completed ?? 0) / p.total) * 100)}%` : ''}` });
      }
      await refresh();
    } catch (e) {
      setPull({ model, line: describeError(e).message });
    }
  };
  const enabled = new Set(draft.fallbackOrder);
  return (
    <div className="card" data-testid="assistant-settings">
      <h2>Providers</h2>
      {(['ollama', 'gemini', 'groq'] as const).map((id) => {
        const st = status.find((s) => s.id === id);
        return (
          <fieldset key={id} className="provider-fieldset">
            <legend>
              {LABEL[id]} {st && <span className={`badge ${st.reachable ? 'ok' : st.reachable === false ? 'failed' : ''}`}>{st.reachable ? 'reachable' : st.reachable === false ? 'unreachable' : st.error}</span>}
            </legend>
            <div className="form">
              <label htmlFor={`${id}-url`}>{id === 'ollama' ? 'Host' : 'API endpoint'}</label>
              <input id={`${id}-url`} value={draft.providers[id].baseUrl} onChange={(e) => setProvider(id, { baseUrl: e.target.value })} />
              <label htmlFor={`${id}-model`}>Model</label>
              <span className="row">
                <input id={`${id}-model`} value={draft.providers[id].model} onChange={(e) => setProvider(id, { model: e.target.value })} list={`${id}-models`} />
                <datalist id={`${id}-models`}>{st?.models.map((m) => <option key={m} value={m} />)}</datalist>
                {id === 'ollama' && (
                  <button onClick={() => void doPull(draft.providers.ollama.model)} disabled={!!pull && pull.line !== 'success'}>
                    Pull
                  </button>
                )}
              </span>
              {id !== 'ollama' && (
                <>
                  <label htmlFor={`${id}-key`}>API key</label>
                  <input id={`${id}-key`} type="password" autoComplete="off" placeholder={st?.hasKey ? 'stored in the keychain (type to replace)' : 'not set'} value={keys[id]} onChange={(e) => setKeys((k) => ({ ...k, [id]: e.target.value }))} />
                </>
              )}
              <label htmlFor={`${id}-rpm`}>Requests / minute</label>
              <input id={`${id}-rpm`} type="number" min={1} value={draft.providers[id].requestsPerMinute} onChange={(e) => setProvider(id, { requestsPerMinute: Number(e.target.value) })} />
              <label>Use</label>
              <label className="row">
                <input
                  type="checkbox"
                  checked={enabled.has(id)}
                  onChange={(e) => setDraft((d) => ({ ...d, fallbackOrder: e.target.checked ? [...d.fallbackOrder, id] : d.fallbackOrder.filter((x) => x !== id) }))}
                />
                in the fallback order
              </label>
            </div>
            {id === 'ollama' && pull && <p className="small muted">Pull {pull.model}: {pull.line}</p>}
          </fieldset>
        );
      })}
      <h3>Fallback order</h3>
      <ol className="fallback-order">
        {draft.fallbackOrder.map((id, i) => (
          <li key={id}>
            {LABEL[id]} <button className="small-button" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move ${id} up`}>↑</button>
            <button className="small-button" disabled={i === draft.fallbackOrder.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${id} down`}>↓</button>
          </li>
        ))}
      </ol>
      <div className="form">
        <label htmlFor="ai-in">Input budget (tokens)</label>
        <input id="ai-in" type="number" value={draft.maxInputTokens} onChange={(e) => setDraft((d) => ({ ...d, maxInputTokens: Number(e.target.value) }))} />
        <label htmlFor="ai-out">Answer budget (tokens)</label>
        <input id="ai-out" type="number" value={draft.maxOutputTokens} onChange={(e) => setDraft((d) => ({ ...d, maxOutputTokens: Number(e.target.value) }))} />
        <label htmlFor="ai-timeout">Timeout (ms)</label>
        <input id="ai-timeout" type="number" value={draft.timeoutMs} onChange={(e) => setDraft((d) => ({ ...d, timeoutMs: Number(e.target.value) }))} />
      </div>
      <div className="actions">
        <button className="primary" onClick={() => void save()} disabled={draft.fallbackOrder.length === 0}>
          Save
        </button>
      </div>
    </div>
  );
}
