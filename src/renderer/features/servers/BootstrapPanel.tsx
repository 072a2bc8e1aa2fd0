import { useState } from 'react';
import type { BootstrapProgress } from '../../../shared/contract/servers.ts';
import { LongOperation } from '../../components/LongOperation.tsx';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';

/** "Install Docker": the install runs on the server; this shows its steps and log as they happen. */
export function BootstrapPanel({ serverId, onDone }: { serverId: string; onDone(): void }) {
  const [log, setLog] = useState('');
  const [last, setLast] = useState<BootstrapProgress | null>(null);
  const [step, setStep] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setError(null);
    setLog('');
    setStep(null);
    try {
      for await (const p of await api().servers.bootstrap({ id: serverId })) {
        setLast(p);
        if (p.step) setStep(p.step);
        if (p.log) setLog((l) => (l + p.log).slice(-20_000));
      }
      onDone();
    } catch (e) {
      setLast((p) => (p ? { ...p, phase: 'failed' } : p));
      setError(describeError(e).message);
    }
  };
  const phase = last?.phase ?? null;
  return (
    <div className="card" data-testid="bootstrap">
      <h2>Docker is not reachable</h2>
      <p className="muted">OpenPanel can install Docker from this server’s own packages (Debian/Ubuntu: docker.io). The install runs on the server, so it continues if you close OpenPanel.</p>
      {(phase === null || phase === 'failed') && (
        <button className="primary" onClick={() => void run()}>
          Install Docker
        </button>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {last && <LongOperation status={last.phase} step={step} progress={last.progress} log={log} ids={{ row: 'bootstrap-phase' }} />}
    </div>
  );
}
