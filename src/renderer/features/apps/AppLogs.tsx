import { useEffect, useRef, useState } from 'react';
import type { App } from '../../../shared/contract/apps.ts';
import { describeError } from '../../lib/errors.ts';
import { api } from '../../lib/rpc.ts';

/** Lines kept in view; older ones are dropped (the Logs page keeps 200 000 and has search and download). */
const KEEP_LINES = 2_000;

/**
 * The app's logs, following the app rather than a container (logs.followApp): after a deploy the new container's
 * lines continue here without picking anything again.
 */
export function AppLogs({ app }: { app: App }) {
  const [lines, setLines] = useState<string[]>([]);
  const [status, setStatus] = useState<{ text: string; container: string }>({ text: 'connecting', container: '' });
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const ac = new AbortController();
    const flowId = crypto.randomUUID();
    void (async () => {
      try {
        const it = await api().logs.followApp({ serverId: app.serverId, appId: app.id, tail: 200, timestamps: false, flowId }, { signal: ac.signal });
        for await (const batch of it) {
          const name = batch.containers?.[0]?.name;
          if (name) setStatus({ text: 'live', container: name });
          if (batch.lines.length) {
            const text = batch.lines.filter((l) => l[1] !== 2).map((l) => l[3]);
            setLines((prev) => [...prev, ...text].slice(-KEEP_LINES));
          }
          void api().logs.ack({ flowId, seq: batch.seq }).catch(() => {});
        }
      } catch (e) {
        if (!ac.signal.aborted) setStatus((s) => ({ ...s, text: `error: ${describeError(e).message}` }));
      }
    })();
    return () => ac.abort();
  }, [app.id, app.serverId]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <div data-testid="app-logs">
      <div className="muted" data-testid="app-logs-status">
        {status.text}
        {status.container && ` · ${status.container}`}
      </div>
      <pre ref={box} className="mono deploy-log" tabIndex={0} aria-label={`Logs of ${app.name}`} style={{ maxHeight: 260, overflow: 'auto' }} data-testid="app-logs-text">
        {lines.join('\n')}
      </pre>
    </div>
  );
}
