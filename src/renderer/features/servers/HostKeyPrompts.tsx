import { useEffect, useState } from 'react';
import type { HostKeyPrompt } from '../../../shared/contract/servers.ts';
import { useUi } from '../../app/store.ts';
import { api } from '../../lib/rpc.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { useSubscription } from '../../lib/subscription.ts';

/**
 * Answers first-use host-key prompts raised by background connections: the user sees the fingerprint and decides.
 * The connection waits (its handshake timeout paused) until the answer or the prompt's limit; a prompt that stops
 * waiting (limit reached, answered in another window, connection closed) is withdrawn here with the reason.
 */
export function HostKeyPrompts() {
  const [queue, setQueue] = useState<HostKeyPrompt[]>([]);
  const toast = useUi((s) => s.toast);
  useSubscription(
    (signal) => api().servers.hostKeyPrompts(undefined, { signal }),
    (p) => {
      if (!p.withdrawn) return setQueue((q) => [...q.filter((x) => x.id !== p.id), p]);
      setQueue((q) => {
        if (q.some((x) => x.id === p.id)) toast({ kind: 'error', title: `Host-key prompt for ${p.host}:${p.port} withdrawn`, detail: p.withdrawn });
        return q.filter((x) => x.id !== p.id);
      });
    },
    [],
  );
  const current = queue[0];
  if (!current) return null;
  const answer = async (accept: boolean) => {
    setQueue((q) => q.filter((x) => x.id !== current.id));
    const result = await api()
      .servers.answerHostKey({ promptId: current.id, accept, fingerprint: current.fingerprint })
      .catch(() => ({ ok: false }));
    if (!result.ok) toast({ kind: 'error', title: `The prompt for ${current.host}:${current.port} was no longer open`, detail: 'Test the connection again to be asked again.' });
  };
  return (
    // Esc answers Reject, as the Reject button does: the connection waiting on this key is refused.
    <Dialog key={current.id} label="Unknown host key" title="Trust this server’s host key?" onClose={() => void answer(false)}>
      <p>
        First connection to <strong>{current.host}:{current.port}</strong>. Compare this fingerprint with the one the server shows (<code>ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code>):
      </p>
      <div className="fingerprint" data-testid="prompt-fingerprint">
        {current.keyType} {current.fingerprint}
      </div>
      <p className="small muted" data-testid="prompt-wait">
        The connection waits for your answer, <Remaining until={current.expiresAt} />.
      </p>
      <div className="actions">
        <button onClick={() => void answer(false)}>Reject</button>
        <button className="primary" onClick={() => void answer(true)}>
          Trust and connect
        </button>
      </div>
    </Dialog>
  );
}

function Remaining({ until }: { until: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const s = Math.max(0, Math.round((until - now) / 1000));
  return <>{s >= 120 ? `up to ${Math.ceil(s / 60)} more minutes` : `${s} s left`}</>;
}
