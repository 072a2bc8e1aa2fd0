import { useState } from 'react';
import type { TestStep } from '../../../shared/contract/servers.ts';
import { describeError, explainRawCodes } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';

const ICON = { ok: '✓', error: '✗', skipped: '·' } as const;

/** The steps of a connection test, with the host-key decision inline when the key is unknown or changed. */
export function ConnectionSteps({ serverId, steps, onRetest }: { serverId: string; steps: TestStep[]; onRetest(): void }) {
  const [error, setError] = useState<string | null>(null);
  const hostKey = steps.find((s) => s.id === 'hostKey' && s.status === 'error');
  const data = (hostKey?.data ?? {}) as { keyType?: string; fingerprint?: string; actual?: string; actualType?: string; expected?: string };
  const trust = async (replace: boolean) => {
    setError(null);
    try {
      await api().servers.trustHostKey({ id: serverId, keyType: (replace ? data.actualType : data.keyType) ?? 'ssh-ed25519', fingerprint: (replace ? data.actual : data.fingerprint) ?? '', replace });
      onRetest();
    } catch (e) {
      setError(describeError(e).message);
    }
  };
  return (
    <div>
      <ul className="steps" data-testid="test-steps">
        {steps.map((s) => (
          <li key={s.id} className={s.status === 'ok' ? 'ok' : s.status === 'error' ? 'error' : 'pending'} data-step={s.id} data-status={s.status}>
            {ICON[s.status]} {s.label}
            {s.detail && <div className="small muted" style={{ whiteSpace: 'pre-wrap' }}>{explainRawCodes(s.detail)}</div>}
          </li>
        ))}
      </ul>
      {hostKey?.errorCode === 'HOST_KEY_UNKNOWN' && (
        <div className="card">
          <p>Compare this fingerprint with the server’s own before trusting it:</p>
          <div className="fingerprint" data-testid="fingerprint">
            {data.keyType} {data.fingerprint}
          </div>
          <div className="actions">
            <button className="primary" onClick={() => void trust(false)} data-testid="trust-key">
              Trust this key
            </button>
          </div>
        </div>
      )}
      {hostKey?.errorCode === 'HOST_KEY_CHANGED' && (
        <div className="card">
          <p>
            <strong>The host key changed.</strong> Only replace the pinned key if you know why (for example, the server was reinstalled).
          </p>
          <div className="fingerprint">was {data.expected}</div>
          <div className="fingerprint">now {data.actual}</div>
          <div className="actions">
            <button onClick={() => void trust(true)}>Replace pinned key</button>
          </div>
        </div>
      )}
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}
