import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { AiMessage, DockerfileProposal } from '../../../shared/contract/assistant.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { useDeployWatch } from '../apps/useDeployWatch.ts';
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

/** After Apply to an app: "Deploy now" (the user's click), then the deploy's progress. */
function DeployNow({ appId }: { appId: string }) {
  const toast = useUi((s) => s.toast);
  const [deployId, setDeployId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { deploy } = useDeployWatch(deployId);
  const start = async () => {
    setBusy(true);
    try {
      setDeployId((await api().apps.deploy({ id: appId })).id);
    } catch (e) {
      toast({ kind: 'error', title: 'Could not start the deploy', detail: describeError(e).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="row" data-testid="deploy-now">
      {!deployId ? (
        <>
          <span className="muted small">The next deploy of this app builds with it.</span>
          <button className="primary" disabled={busy} onClick={() => void start()} data-testid="deploy-now-button">
            Deploy now
          </button>
        </>
      ) : (
        <>
          <span className={`badge ${deploy?.status === 'succeeded' ? 'ok' : deploy?.status === 'failed' ? 'failed' : ''}`} data-testid="deploy-now-status">
            deploy {deploy?.status ?? 'starting'}
            {deploy && deploy.status === 'running' ? ` · ${deploy.step} ${deploy.progress}%` : ''}
          </span>
          {deploy?.error && <span className="error-text small">{deploy.error}</span>}
          <a href="#/apps">Open in Apps</a>
        </>
      )}
    </div>
  );
}

/** A generated Dockerfile as a diff against the current one. Nothing is written until Apply is clicked. */
export function ProposalCard({ message, proposal, appId, onChanged }: { message: AiMessage; proposal: DockerfileProposal; appId: string | null; onChanged: () => void }) {
  const toast = useUi((s) => s.toast);
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const apply = async () => {
    setBusy(true);
    try {
      const r = await api().assistant.applyDockerfile({ messageId: message.id });
      toast({ kind: 'success', title: r.appId ? 'Dockerfile applied to the app' : 'Dockerfile written', detail: r.written.join(', ') });
      if (r.appId) void qc.invalidateQueries({ queryKey: queryUtils().apps.key() });
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
      {proposal.appliedAt && appId ? <DeployNow appId={appId} /> : <p className="muted small">{appId ? 'Apply stores it with the app (not in git); nothing is deployed until you click Deploy.' : 'Applying only writes the files into the folder.'}</p>}
    </div>
  );
}
