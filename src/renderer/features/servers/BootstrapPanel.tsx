import { useState } from 'react';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';

const STEPS = ['apt-update', 'install', 'start docker'];

/** "Install Docker": the install runs on the server; this shows its steps and log as they happen. */
export function BootstrapPanel({ serverId, onDone }: { serverId: string; onDone(): void }) {
  const [log, setLog] = useState('');
  const [phase, setPhase] = useState<string | null>(null);
  const [step, setStep] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setError(null);
    setLog('');
    try {
      for await (const p of await api().servers.bootstrap({ id: serverId })) {
        setPhase(p.phase);
        if (p.step) setStep(p.step);
        if (p.log) setLog((l) => (l + p.log).slice(-20_000));
      }
      onDone();
    } catch (e) {
      setPhase('failed');
      setError(describeError(e).message);
    }
  };
  const index = step ? STEPS.findIndex((s) => step.startsWith(s)) : -1;
  const pct = phase === 'done' || phase === 'present' ? 100 : Math.max(5, ((index + 1) / (STEPS.length + 1)) * 100);
  return (
    <div className="card" data-testid="bootstrap">
      <h2>Docker is not reachable</h2>
      <p className="muted">OpenPanel can install Docker from this server’s own packages (Debian/Ubuntu: docker.io). The install runs on the server, so it continues if you close OpenPanel.</p>
      {phase === null || phase === 'failed' ? (
        <button className="primary" onClick={() => void run()}>
          Install Docker
        </button>
      ) : (
        <>
          <div style={{ background: 'var(--panel-2)', borderRadius: 6, height: 8, overflow: 'hidden' }}>
            <div style={{ width: `${pct}%`, height: '100%', background: 'var(--accent)', transition: 'width .3s' }} role="progressbar" aria-valuenow={Math.round(pct)} />
          </div>
          <p data-testid="bootstrap-phase">
            {phase}
            {step ? ` — ${step}` : ''}
          </p>
        </>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
      {log && (
        <pre className="mono small" style={{ maxHeight: 240, overflow: 'auto', background: 'var(--panel-2)', padding: 8, borderRadius: 6 }}>
          {log}
        </pre>
      )}
    </div>
  );
}
