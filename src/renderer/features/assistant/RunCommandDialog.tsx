import { useState } from 'react';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';
import { Dialog } from '../../components/Dialog.tsx';

/** Running a proposed command needs the server's name typed in; it runs as argv (no shell) and is audited, as is a decline. */
export function RunCommandDialog({ serverId, serverName, argv, messageId, conversationId, onClose }: { serverId: string; serverName: string; argv: string[]; messageId: string; conversationId: string; onClose: () => void }) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ code: number | null; stdout: string; stderr: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api().assistant.runCommand({ serverId, argv, confirmServerName: typed, conversationId }));
    } catch (e) {
      setError(describeError(e).message);
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    // Declining is a decision too: recorded (server and argv) in the audit log; nothing runs.
    if (!result) void api().assistant.decide({ messageId, decision: 'declined', what: 'command', serverId, argv }).catch(() => undefined);
    onClose();
  };
  return (
    // Esc is Cancel (a recorded decline).
    <Dialog testId="run-command-dialog" title={`Run on ${serverName}?`} onClose={close}>
      <p>This command was proposed by the assistant. It runs on <strong>{serverName}</strong> as the server's SSH user, exactly as these arguments:</p>
      <pre className="consent-payload">{JSON.stringify(argv)}</pre>
      {!result && (
        <label>
          Type <strong>{serverName}</strong> to confirm
          <input value={typed} onChange={(e) => setTyped(e.target.value)} aria-label="Server name" autoFocus />
        </label>
      )}
      {error && <p className="error-text">{error}</p>}
      {result && (
        <pre className="consent-payload" data-testid="run-result">
          exit {String(result.code)}
          {'\n'}
          {result.stdout}
          {result.stderr}
        </pre>
      )}
      <div className="actions">
        <button onClick={close} data-testid="run-cancel">
          {result ? 'Close' : 'Cancel'}
        </button>
        {!result && (
          <button className="primary" disabled={busy || typed !== serverName} onClick={() => void run()}>
            Run on {serverName}
          </button>
        )}
      </div>
    </Dialog>
  );
}
