import { useState } from 'react';
import type { AiMessage, DockerfileProposal } from '../../../shared/contract/assistant.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';
import { lineDiff } from './diff.ts';

function Diff({ title, before, after }: { title: string; before: string | null; after: string }) {
  const lines = lineDiff(before ?? '', after);
  return (
    <div className="diff">
      <div className="muted small">
        {title} {before === null ? '(new file)' : ''}
      </div>
      <pre>
        {lines.map((l, i) => (
          <div key={i} className={`diff-${l.kind}`}>
            {l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}
            {l.text}
          </div>
        ))}
      </pre>
    </div>
  );
}

/** A generated Dockerfile as a diff against the current one. Nothing is written until Apply is clicked. */
export function ProposalCard({ message, proposal, onChanged }: { message: AiMessage; proposal: DockerfileProposal; onChanged: () => void }) {
  const toast = useUi((s) => s.toast);
  const [busy, setBusy] = useState(false);
  const apply = async () => {
    setBusy(true);
    try {
      const r = await api().assistant.applyDockerfile({ messageId: message.id });
      toast({ kind: 'success', title: 'Dockerfile written', detail: r.written.join(', ') });
      onChanged();
    } catch (e) {
      toast({ kind: 'error', title: 'Apply failed', detail: describeError(e).message });
    } finally {
      setBusy(false);
    }
  };
  const reject = async () => {
    await api().assistant.decide({ messageId: message.id, decision: 'rejected', what: 'dockerfile' });
    toast({ kind: 'info', title: 'Proposal rejected (recorded in Activity)' });
  };
  return (
    <div className="card proposal" data-testid="dockerfile-proposal">
      <div className="row">
        <strong>Proposed Dockerfile</strong>
        <span className="muted small">→ {proposal.target}</span>
        <div className="spacer" />
        {proposal.appliedAt ? (
          <span className="badge ok">applied {new Date(proposal.appliedAt).toLocaleTimeString()}</span>
        ) : (
          <>
            <button onClick={() => void reject()}>Reject</button>
            <button className="primary" disabled={busy} onClick={() => void apply()} data-testid="apply-dockerfile">
              Apply
            </button>
          </>
        )}
      </div>
      <Diff title="Dockerfile" before={proposal.currentDockerfile} after={proposal.dockerfile} />
      {proposal.dockerignore !== null && <Diff title=".dockerignore" before={proposal.currentDockerignore} after={proposal.dockerignore} />}
      <p className="muted small">Deploying it is done from the app (once apps exist); applying only writes the files.</p>
    </div>
  );
}
