import type { AiPreview } from '../../../shared/contract/assistant.ts';
import { Dialog } from '../../components/Dialog.tsx';

/** Shows exactly what would leave this machine and asks once per conversation and provider. */
export function ConsentDialog({ preview, onAnswer }: { preview: AiPreview; onAnswer: (d: 'allow' | 'skip' | 'cancel') => void }) {
  return (
    // Esc is Cancel: nothing is sent.
    <Dialog className="consent-dialog" testId="consent-dialog" title={`Send this to ${preview.provider}?`} onClose={() => onAnswer('cancel')}>
      <p>
        <strong>{preview.provider}</strong> ({preview.model}) is a remote service: this request leaves your computer. Below is exactly what
        will be sent, after redaction ({preview.redactions} secrets masked, {preview.bytes} bytes, ~{preview.estimatedTokens} tokens).
      </p>
      <pre className="consent-payload" data-testid="consent-payload" tabIndex={0} aria-label="What will be sent">{preview.payload}</pre>
      <p className="muted small mono">sha256 {preview.sha256}</p>
      <div className="actions">
        <button onClick={() => onAnswer('cancel')}>Cancel</button>
        <button onClick={() => onAnswer('skip')} title="Use the next provider in the fallback order instead">
          Not {preview.provider}
        </button>
        <button className="primary" onClick={() => onAnswer('allow')} data-testid="consent-allow">
          Allow {preview.provider} for this conversation
        </button>
      </div>
    </Dialog>
  );
}
