import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Channel, ChannelStatus } from '../../../shared/contract/alerting.ts';
import { confirmDialog } from '../../app/confirm.tsx';
import { useUi } from '../../app/store.ts';
import { EmptyState } from '../../components/EmptyState.tsx';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { appliedProblems } from './applied.ts';
import { ChannelDialog, KIND_LABEL } from './ChannelDialog.tsx';

const STATE_TEXT: Record<ChannelStatus['state'], string> = { ok: 'OK', retrying: 'Retrying', failing: 'Failing' };
const STATE_CLASS: Record<ChannelStatus['state'], string> = { ok: 'ok', retrying: 'warn', failing: 'failed' };

type TestResult = { ok: true; text: string } | { ok: false; text: string };

/** Where alerts go (every server with Watch on sends through them), with a test per channel and its state on this server. */
export function ChannelsCard({ serverId, watchOn }: { serverId: string; watchOn: boolean }) {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const channels = useQuery(orpc.alerting.channels.queryOptions());
  const status = useQuery({ ...orpc.alerting.channelStatus.queryOptions({ input: { serverId } }), enabled: watchOn, refetchInterval: 10_000, retry: false });
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [results, setResults] = useState<Record<string, TestResult>>({});
  const remove = useMutation({
    mutationFn: (id: string) => api().alerting.removeChannel({ id }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: orpc.alerting.key() });
      const problems = appliedProblems(r.applied);
      if (problems) toast({ kind: 'error', title: 'Channel removed, not yet on every server', detail: problems });
    },
    onError: (e) => toast({ kind: 'error', title: 'Could not remove the channel', detail: describeError(e).message }),
  });
  const test = useMutation({
    mutationFn: (id: string) => api().alerting.testChannel({ id, serverId }),
    onMutate: (id) => setResults((r) => ({ ...r, [id]: { ok: true, text: 'Sending…' } })),
    onSuccess: (r, id) => setResults((x) => ({ ...x, [id]: { ok: true, text: `Sent ${r.alertName} at ${new Date(r.sentAt).toLocaleTimeString()} through this server's Alertmanager: check that it arrived.` } })),
    onError: (e, id) => setResults((x) => ({ ...x, [id]: { ok: false, text: describeError(e).message } })),
  });
  const askRemove = async (c: Channel) => {
    if (await confirmDialog({ title: `Remove ${c.name}?`, detail: 'Alerts stop going to it from every server; its stored secrets are deleted from the keychain.', confirmLabel: 'Remove channel', danger: true })) remove.mutate(c.id);
  };
  const list = channels.data ?? [];
  const stateOf = (id: string) => status.data?.channels.find((c) => c.channelId === id);
  return (
    <div className="card" data-testid="watch-channels">
      <div className="row">
        <h2 style={{ margin: 0 }}>Channels</h2>
        <div className="spacer" />
        {list.length > 0 && (
          <button onClick={() => setEditing('new')} data-testid="channel-add">
            Add channel
          </button>
        )}
      </div>
      {list.length === 0 ? (
        <EmptyState
          title="No channels yet."
          hint="Alerts reach you through channels: email, Slack, Discord, Telegram or a webhook (ntfy, Gotify…). Every server with Watch on sends through them, also while OpenPanel is closed."
          action={
            <button className="primary" onClick={() => setEditing('new')} data-testid="channel-add">
              Add channel
            </button>
          }
          testId="channels-empty"
        />
      ) : (
        <table className="table" data-testid="channels-table">
          <caption className="sr-only">Alert channels</caption>
          <thead>
            <tr>
              <th>Name</th>
              <th>Kind</th>
              <th>Sends to</th>
              <th>On this server</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => {
              const st = stateOf(c.id);
              const result = results[c.id];
              return (
                <tr key={c.id} data-channel={c.name}>
                  <td>{c.name}</td>
                  <td>{KIND_LABEL[c.kind]}</td>
                  <td className="mono">{c.endpoint}</td>
                  <td data-testid="channel-state">
                    {st ? (
                      <>
                        <span className={`badge ${STATE_CLASS[st.state]}`} data-state={st.state}>
                          {STATE_TEXT[st.state]}
                        </span>
                        {st.lastError && st.state !== 'ok' && <div className="small error-text">{st.lastError}</div>}
                      </>
                    ) : (
                      <span className="muted small">{watchOn ? '—' : 'Watch is off'}</span>
                    )}
                    {result && (
                      <div className={`small ${result.ok ? '' : 'error-text'}`} role="status" data-testid="channel-test-result">
                        {result.text}
                      </div>
                    )}
                  </td>
                  <td className="actions-inline">
                    <button onClick={() => test.mutate(c.id)} disabled={!watchOn || (test.isPending && test.variables === c.id)} aria-label={`Send test: ${c.name}`} data-testid="channel-test">
                      Send test
                    </button>
                    <button onClick={() => setEditing(c)} aria-label={`Edit ${c.name}`}>
                      Edit
                    </button>
                    <button onClick={() => void askRemove(c)} aria-label={`Remove ${c.name}`}>
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {editing && <ChannelDialog channel={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
    </div>
  );
}
