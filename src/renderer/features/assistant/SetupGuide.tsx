import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AiProviderId, AiProviderStatus, AssistantSettings } from '../../../shared/contract/assistant.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { ProviderSettings } from './ProviderSettings.tsx';
import { useAssistantStatus } from './readiness.ts';

/** Probes the configured providers now and says what each answered; the result also updates every Explain button. */
export function ProviderTest({ order }: { order: readonly AiProviderId[] }) {
  const qc = useQueryClient();
  const [results, setResults] = useState<AiProviderStatus[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const fresh = await api().assistant.status();
      qc.setQueryData(queryUtils().assistant.status.queryOptions().queryKey, fresh);
      setResults(fresh);
    } catch (e) {
      setError(describeError(e).message);
    } finally {
      setBusy(false);
    }
  };
  const ok = (r: AiProviderStatus) => r.reachable === true && r.modelAvailable !== false;
  return (
    <div className="provider-test">
      <button onClick={() => void run()} disabled={busy} data-testid="ai-test">
        {busy ? 'Testing…' : 'Test'}
      </button>
      {error && <p className="error-text">{error}</p>}
      {results && (
        <ul className="steps" data-testid="ai-test-results" aria-live="polite">
          {results.map((r) => (
            <li key={r.id} className={ok(r) ? 'ok' : 'error'} data-provider={r.id} data-ok={ok(r)}>
              {ok(r) ? '✓' : '✗'} {r.summary}
              {!order.includes(r.id) && <span className="muted"> (not in the fallback order)</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Shown while no model can answer: the three ways to get one, and Test. */
export function SetupGuide({ settings, reason, onOpenProviders, onClose }: { settings: AssistantSettings; reason: string | null; onOpenProviders(): void; onClose: (() => void) | null }) {
  const suggested = settings.providers.ollama.model;
  const [pull, setPull] = useState<string | null>(null);
  const doPull = async () => {
    setPull('starting…');
    try {
      for await (const p of await api().assistant.pullModel({ model: suggested })) setPull(`${p.status}${p.total ? ` ${Math.round(((p.completed ?? 0) / p.total) * 100)}%` : ''}`);
    } catch (e) {
      setPull(describeError(e).message);
    }
  };
  return (
    <div className="card" data-testid="ai-setup">
      <h2>Set up a model for the assistant</h2>
      {reason ? <p data-testid="ai-setup-reason">{reason}</p> : <p>A model is available now.</p>}
      <ol>
        <li>
          <strong>On this computer, with Ollama</strong> (nothing leaves the machine): install it from <code>https://ollama.com/download</code>, start it (<code>ollama serve</code>), then pull a
          suggested model: <code>ollama pull {suggested}</code> <button onClick={() => void doPull()}>Pull {suggested}</button>
          {pull && <span className="small muted"> {pull}</span>}
          <div className="small muted">OpenPanel looks for Ollama at {settings.providers.ollama.baseUrl}.</div>
        </li>
        <li>
          <strong>Or a cloud model</strong>: add a Gemini or Groq API key under{' '}
          <button className="link" onClick={onOpenProviders}>
            Providers…
          </button>{' '}
          (what would be sent is shown first, and asked for per conversation).
        </li>
      </ol>
      <div className="row">
        <ProviderTest order={settings.fallbackOrder} />
        {onClose && <button onClick={onClose}>Close</button>}
      </div>
    </div>
  );
}

/** The assistant's provider settings on the Settings page, with Test. */
export function AssistantSettingsCard() {
  const { settings, status } = useAssistantStatus();
  if (!settings) return null;
  return (
    <div className="card" data-testid="settings-assistant">
      <h2>Assistant</h2>
      <p className="muted">Models the assistant uses, tried in the fallback order. Test asks each one now.</p>
      <ProviderTest order={settings.fallbackOrder} />
      <ProviderSettings key={JSON.stringify(settings)} settings={settings} status={status} />
    </div>
  );
}
