import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { WatchProgress, WatchStatus } from '../../../shared/contract/watch.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { LongOperation } from '../../components/LongOperation.tsx';
import { describeError } from '../../lib/errors.ts';
import { bytes } from '../../lib/format.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

export const STEP_TEXT: Record<NonNullable<WatchProgress['step']>, string> = {
  images: 'Checking images',
  config: 'Writing the configuration',
  volumes: 'Creating volumes',
  containers: 'Starting containers',
  ready: 'Waiting for Prometheus and Alertmanager',
  rollback: 'Rolling back',
  done: 'Done',
};

const STATE_TEXT: Record<WatchStatus['state'], string> = { off: 'Off', starting: 'Starting', on: 'On', failed: 'Failed', stopping: 'Stopping' };

export function WatchStateBadge({ state }: { state: WatchStatus['state'] }) {
  const cls = state === 'on' ? 'ready' : state === 'failed' ? 'failed' : state === 'off' ? '' : 'connecting';
  return (
    <span className={`badge ${cls}`} data-testid="watch-state" data-state={state}>
      {STATE_TEXT[state]}
    </span>
  );
}

interface Run {
  status: 'running' | 'succeeded' | 'failed';
  step: string | null;
  progress: number | null;
  log: string;
  error: string | null;
}

/** Turn Watch on (progress per step, as every long operation) or off, and what runs on the server with its memory. */
export function StackCard({ status }: { status: WatchStatus }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const [run, setRun] = useState<Run | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: orpc.watch.key() });
  const turnOn = async () => {
    let current: Run = { status: 'running', step: null, progress: 0, log: '', error: null };
    setRun(current);
    try {
      for await (const p of await api().watch.turnOn({ serverId: status.serverId })) {
        const step = p.step ? STEP_TEXT[p.step] : current.step;
        const log = p.step && step !== current.step ? `${current.log}${step}\n` : current.log;
        current = { ...current, step, progress: p.progress, log, error: p.error };
        setRun(current);
      }
      setRun({ ...current, status: current.error ? 'failed' : 'succeeded', progress: 100 });
    } catch (e) {
      setRun({ ...current, status: 'failed', error: describeError(e).message });
    }
    refresh();
  };
  const turnOff = useMutation({
    mutationFn: (removeData: boolean) => api().watch.turnOff({ serverId: status.serverId, removeData }),
    onSuccess: () => {
      setRun(null);
      refresh();
    },
    onError: (e) => toast({ kind: 'error', title: 'Could not turn Watch off', detail: describeError(e).message }),
  });
  const askOff = async () => {
    const ok = await confirmDialog({
      title: 'Turn Watch off?',
      detail: 'The Watch containers are removed from the server; nothing alerts while OpenPanel is closed. Their data (metrics history, silences) is kept for when you turn it on again.',
      confirmLabel: 'Turn off',
    });
    if (ok) turnOff.mutate(false);
  };
  const running = run?.status === 'running';
  const on = status.state !== 'off';
  return (
    <div className="card" data-testid="watch-stack">
      <div className="row">
        <h2 style={{ margin: 0 }}>Watch</h2>
        <WatchStateBadge state={status.state} />
        <div className="spacer" />
        {(!on || status.state === 'failed') && (
          <button className="primary" onClick={() => void turnOn()} disabled={running} data-testid="watch-turn-on">
            {status.state === 'failed' ? 'Start again' : 'Turn on Watch'}
          </button>
        )}
        {on && (
          <button onClick={() => void askOff()} disabled={running || turnOff.isPending} data-testid="watch-turn-off">
            {turnOff.isPending ? 'Turning off…' : 'Turn off'}
          </button>
        )}
      </div>
      <p className="muted">
        Prometheus, Alertmanager, node-exporter and blackbox-exporter run on this server as ordinary containers, listening on its loopback only. They keep watching, and alert through your channels, while OpenPanel is closed.
      </p>
      {status.error && (
        <p className="field-error" role="alert" data-testid="watch-error">
          {status.error}
        </p>
      )}
      {run && <LongOperation status={run.status} step={run.step} progress={run.progress} log={run.log} error={run.error} ids={{ root: 'watch-progress', status: 'watch-progress-status' }} />}
      {status.containers.length > 0 && (
        <table className="table" data-testid="watch-containers">
          <caption className="sr-only">Watch containers on the server</caption>
          <thead>
            <tr>
              <th>Part</th>
              <th>Container</th>
              <th>State</th>
              <th>Memory</th>
              <th>Restarts</th>
            </tr>
          </thead>
          <tbody>
            {status.containers.map((c) => (
              <tr key={c.part} data-part={c.part}>
                <td>{c.part}</td>
                <td className="mono">{c.name}</td>
                <td>{c.state}</td>
                <td>{c.memoryBytes === null ? '—' : `${bytes(c.memoryBytes)}${c.memoryLimitBytes ? ` of ${bytes(c.memoryLimitBytes)}` : ''}`}</td>
                <td>{c.restartCount}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th colSpan={3}>Total</th>
              <td data-testid="watch-memory">{bytes(status.memoryBytes)}</td>
              <td />
            </tr>
          </tfoot>
        </table>
      )}
      {status.probes.length > 0 && <p className="small">Probed domains: {status.probes.join(', ')}</p>}
    </div>
  );
}
