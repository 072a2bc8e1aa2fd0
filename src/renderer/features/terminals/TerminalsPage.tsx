import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';
import { NewTerminalForm } from './NewTerminalForm.tsx';
import { TerminalView } from './TerminalView.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';

function selectedFromHash(): string | null {
  return /^#\/terminals\/([0-9a-f-]{36})/.exec(window.location.hash)?.[1] ?? null;
}

/** Terminals as tabs; `#/terminals/<session id>` selects one. Sessions outlive the page (reload reattaches). */
export function TerminalsPage() {
  const orpc = queryUtils();
  const qc = useQueryClient();
  const toast = useUi((s) => s.toast);
  const list = useQuery(orpc.terminals.list.queryOptions());
  const [selected, setSelected] = useState<string | null>(selectedFromHash);
  useEffect(() => {
    const onHash = () => setSelected(selectedFromHash());
    window.addEventListener('hashchange', onHash);
    // A lazy page renders before this effect runs: a hash change in between would otherwise be missed.
    onHash();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const close = useMutation({
    mutationFn: (id: string) => api().terminals.close({ id }),
    onSuccess: (_r, id) => {
      if (id === selected) window.location.hash = '#/terminals';
      void qc.invalidateQueries({ queryKey: orpc.terminals.list.key() });
    },
    onError: (e) => toast({ kind: 'error', title: 'Could not close the terminal', detail: describeError(e).message }),
  });
  const sessions = list.data ?? [];
  const active = sessions.find((t) => t.id === selected) ?? sessions.at(-1);

  return (
    <section className="terminals-page">
      <div className="row">
        <h1 style={{ marginBottom: 0 }}>Terminals</h1>
        <div className="spacer" />
        <NewTerminalForm onOpened={(t) => (window.location.hash = `#/terminals/${t.id}`)} />
      </div>
      {sessions.length > 0 ? (
        <>
          <div className="terminal-tabs" role="tablist" aria-label="Terminals">
            {sessions.map((t) => (
              <div key={t.id} className={`terminal-tab${t.id === active?.id ? ' on' : ''}`} data-state={t.state}>
                <a href={`#/terminals/${t.id}`} role="tab" aria-selected={t.id === active?.id} title={t.reason ?? t.title}>
                  <span className={`dot ${t.state}`} aria-hidden />
                  {t.title}
                </a>
                <button className="terminal-close" aria-label={`Close ${t.title}`} onClick={() => close.mutate(t.id)}>
                  ×
                </button>
              </div>
            ))}
          </div>
          {active && <TerminalView key={active.id} info={active} />}
        </>
      ) : (
        <EmptyState title="No terminals open." hint="Open a shell on a server, or inside one of its running containers, with the form above. It runs over the server&apos;s one SSH connection." />
      )}
    </section>
  );
}
