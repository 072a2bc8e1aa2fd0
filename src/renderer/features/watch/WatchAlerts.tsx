import { useEffect, useRef, useState } from 'react';
import { useUi } from '../../app/store.ts';
import { Dialog } from '../../components/Dialog.tsx';
import { describeError } from '../../lib/errors.ts';
import { showNotice } from '../../lib/notice.ts';
import { api } from '../../lib/rpc.ts';
import { alertText, alertTitle } from './alert-text.ts';
import { awayReport, firingNow, newlyFiring, type MissedServer } from './missed.ts';

const POLL_MS = 15_000;

function when(at: number): string {
  return new Date(at).toLocaleString();
}

/**
 * Watch's alerts in the app: at start, what fired on the servers while it was closed ("while you were away", shown
 * once, dismissed = marked seen); after that, each alert that starts firing becomes an OS notification on the desktop
 * or a toast in the browser (the fleet alerts' decision). Watchdog is always firing by design and never shown.
 */
export function WatchAlerts({ notify }: { notify: boolean }) {
  const toast = useUi((s) => s.toast);
  const [away, setAway] = useState<{ report: MissedServer[]; at: number } | null>(null);
  const [looks, setLooks] = useState(0);
  const notifyRef = useRef(notify);
  useEffect(() => {
    notifyRef.current = notify;
  }, [notify]);
  useEffect(() => {
    const ac = new AbortController();
    let previous: Set<string> | null = null;
    const look = async (first: boolean) => {
      const at = Date.now();
      const report = await api().alerting.missed(undefined, { signal: ac.signal });
      if (ac.signal.aborted) return;
      if (first) {
        const shown = awayReport(report);
        if (shown.some((s) => s.episodes.length > 0)) setAway({ report: shown, at });
      }
      const { fresh, keys } = newlyFiring(previous, firingNow(report));
      previous = keys;
      setLooks((n) => n + 1);
      if (!notifyRef.current) return;
      for (const a of fresh) showNotice(toast, a.title, a.message);
    };
    void (async () => {
      for (let first = true; !ac.signal.aborted; first = false) {
        try {
          await look(first);
        } catch {
          /* the backend is away or Watch's API is not reachable: try again at the next look */
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, POLL_MS);
          ac.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
      }
    })();
    return () => ac.abort();
  }, [toast]);

  // How many looks were taken, for tests that wait for the first one before checking that nothing is listed.
  const marker = <span hidden data-testid="watch-alerts-looked" data-looks={looks} />;
  if (!away) return marker;
  const dismiss = () => {
    const at = away.at;
    setAway(null);
    void api()
      .alerting.markSeen({ at })
      .catch((e: unknown) => toast({ kind: 'error', title: 'Could not mark the alerts as seen', detail: describeError(e).message }));
  };
  return (
    <>
      {marker}
      <Dialog title="While you were away" label="While you were away" width={680} onClose={dismiss} testId="while-away">
        <p className="muted">What fired on your servers while OpenPanel was closed (Watch kept watching).</p>
        {away.report.map((s) => (
          <section key={s.serverId} data-server={s.serverName} style={{ marginBottom: 12 }}>
            <h3 style={{ marginBottom: 4 }}>
              <a href={`#/watch/${s.serverId}`} onClick={dismiss}>
                {s.serverName}
              </a>{' '}
              <span className="muted small">since {when(s.since)}</span>
            </h3>
            {s.error && (
              <p className="error-text small" role="alert">
                {s.error}
              </p>
            )}
            <ul data-testid="while-away-episodes">
              {s.episodes.map((e) => (
                <li key={`${e.name}|${JSON.stringify(e.labels)}|${e.from}`} data-alert={e.name}>
                  <strong>{alertTitle(e.name)}</strong>: {alertText(e.name, e.labels, s.serverName)} — {when(e.from)} to {e.to === null ? <span className="badge failed">still firing</span> : when(e.to)}
                </li>
              ))}
            </ul>
          </section>
        ))}
        <div className="row">
          <div className="spacer" />
          <button className="primary" onClick={dismiss} data-testid="while-away-dismiss">
            Dismiss
          </button>
        </div>
      </Dialog>
    </>
  );
}
