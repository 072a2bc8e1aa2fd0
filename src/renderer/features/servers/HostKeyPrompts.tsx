import { useState } from 'react';
import type { z } from 'zod';
import type { HostKeyPrompt } from '../../../shared/contract/servers.ts';
import { api } from '../../lib/rpc.ts';
import { useSubscription } from '../../lib/subscription.ts';

type Prompt = z.infer<typeof HostKeyPrompt>;

/** Answers first-use host-key prompts raised by background connections: the user sees the fingerprint and decides. */
export function HostKeyPrompts() {
  const [queue, setQueue] = useState<Prompt[]>([]);
  useSubscription((signal) => api().servers.hostKeyPrompts(undefined, { signal }), (p) => setQueue((q) => [...q.filter((x) => x.id !== p.id), p]), []);
  const current = queue[0];
  if (!current) return null;
  const answer = async (accept: boolean) => {
    setQueue((q) => q.slice(1));
    await api().servers.answerHostKey({ promptId: current.id, accept, fingerprint: current.fingerprint }).catch(() => undefined);
  };
  return (
    <div className="overlay">
      <div className="dialog" role="dialog" aria-modal="true" aria-label="Unknown host key">
        <h2>Trust this server’s host key?</h2>
        <p>
          First connection to <strong>{current.host}:{current.port}</strong>. Compare this fingerprint with the one the server shows (<code>ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code>):
        </p>
        <div className="fingerprint" data-testid="prompt-fingerprint">
          {current.keyType} {current.fingerprint}
        </div>
        <div className="actions">
          <button onClick={() => void answer(false)}>Reject</button>
          <button className="primary" onClick={() => void answer(true)}>
            Trust and connect
          </button>
        </div>
      </div>
    </div>
  );
}
