import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { ClusterBuild } from '../../../shared/contract/cluster-apps.ts';
import { LongOperation } from '../../components/LongOperation.tsx';
import { queryUtils } from '../../lib/rpc.ts';
import { LIVE_MS } from './appState.ts';

const PROGRESS: Record<ClusterBuild['step'], number> = { build: 20, push: 60, update: 85, done: 100 };

/** The app's deploys from git: the newest as a long operation (step, progress, the builder's log), older ones listed. */
export function ClusterBuilds({ clusterId, name }: { clusterId: string; name: string }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const builds = useQuery({
    ...orpc.clusterApps.builds.queryOptions({ input: { clusterId, name } }),
    retry: false,
    refetchInterval: (q) => (q.state.data?.some((b) => b.status === 'running') ? LIVE_MS : false),
  });
  const latest = builds.data?.[0];
  const running = latest?.status === 'running';
  const detail = useQuery({
    ...orpc.clusterApps.build.queryOptions({ input: { clusterId, name, deployId: latest?.id ?? 'none00' } }),
    enabled: !!latest,
    retry: false,
    refetchInterval: running ? LIVE_MS : false,
  });
  // When a build finishes, the service it created or updated is read again.
  const was = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (was.current === 'running' && latest && latest.status !== 'running') void qc.invalidateQueries({ queryKey: orpc.clusterApps.key() });
    was.current = latest?.status;
  }, [latest, qc, orpc]);
  if (!latest) return null;
  const d = detail.data?.id === latest.id ? detail.data : null;
  return (
    <section data-testid="capp-builds" aria-label="Deploys from git">
      <h3>Deploy from git {latest.id}</h3>
      <LongOperation
        status={latest.status}
        step={latest.status === 'running' ? `${latest.step} on ${latest.step === 'build' ? latest.builder : latest.registry}` : latest.step}
        progress={latest.status === 'running' ? PROGRESS[latest.step] : 100}
        log={d?.log ?? ''}
        error={latest.error}
        ids={{ root: 'capp-build', status: 'capp-build-status', step: 'capp-build-step', log: 'capp-build-log' }}
      >
        <span className="muted small">
          {latest.source.url}
          {latest.source.ref && `@${latest.source.ref}`}
          {latest.commit && ` · ${latest.commit.slice(0, 12)}`} · built on {latest.builder} · {latest.registry}
          {latest.digest && ` · ${latest.digest.slice(0, 19)}…`}
        </span>
      </LongOperation>
      {builds.data && builds.data.length > 1 && (
        <details>
          <summary>Earlier deploys from git ({builds.data.length - 1})</summary>
          <ul className="small">
            {builds.data.slice(1).map((b) => (
              <li key={b.id}>
                <span className="mono">{b.id}</span> {b.status} ({b.step}){b.commit && ` · ${b.commit.slice(0, 12)}`}
                {b.error && <span className="error-text"> {b.error}</span>}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}
