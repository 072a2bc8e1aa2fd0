import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { TerminalInfo } from '../../../shared/contract/terminals.ts';
import { useUi } from '../../app/store.ts';
import { describeError } from '../../lib/errors.ts';
import { api, queryUtils } from '../../lib/rpc.ts';

const DARK: ITheme = { background: '#0f1115', foreground: '#e7eaf0', cursor: '#5b82f0', selectionBackground: '#2a3f7a' };
const LIGHT: ITheme = { background: '#ffffff', foreground: '#14171c', cursor: '#3461e0', selectionBackground: '#c9d6fb' };
/** Largest input the API takes per call; bigger pastes go in pieces, in order. */
const MAX_INPUT = 60_000;
/** Characters in flight before the server waits for an acknowledgement, and how often to acknowledge. */
const WINDOW = 256 * 1024;
const ACK_EVERY = 32 * 1024;

/**
 * One terminal session in xterm.js. Keystrokes are queued and sent in order (one call in flight, the rest
 * batched); output is followed from offset 0, so opening the tab again or reloading replays the scrollback.
 */
export function TerminalView({ info }: { info: TerminalInfo }) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const dark = useUi((s) => s.resolvedTheme) === 'dark';
  const qc = useQueryClient();
  const [ended, setEnded] = useState<string | null>(info.state === 'exited' ? info.reason : null);
  const [error, setError] = useState<string | null>(null);
  const id = info.id;

  useEffect(() => {
    const t = new Terminal({
      fontFamily: "ui-monospace, 'JetBrains Mono', Menlo, monospace",
      fontSize: 13,
      cursorBlink: true,
      scrollback: 10_000,
      theme: useUi.getState().resolvedTheme === 'dark' ? DARK : LIGHT,
    });
    term.current = t;
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(host.current!);
    const ac = new AbortController();

    let pending = '';
    let sending = false;
    const flush = async (): Promise<void> => {
      if (sending || !pending || ac.signal.aborted) return;
      sending = true;
      const data = pending.slice(0, MAX_INPUT);
      pending = pending.slice(data.length);
      try {
        await api().terminals.input({ id, data });
      } catch (e) {
        pending = '';
        const { code, message } = describeError(e);
        if (code !== 'CONFLICT') setError(message);
      } finally {
        sending = false;
      }
      void flush();
    };
    const onData = t.onData((d) => {
      pending += d;
      void flush();
    });

    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    const onResize = t.onResize(({ cols, rows }) => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => void api().terminals.resize({ id, cols, rows }).catch(() => {}), 80);
    });
    const refit = () => {
      if (host.current && host.current.clientWidth > 0) fit.fit();
    };
    const observer = new ResizeObserver(refit);
    observer.observe(host.current!);
    refit();
    // The first fit goes out at once (not debounced), so the first command already sees the real size.
    void api().terminals.resize({ id, cols: t.cols, rows: t.rows }).catch(() => {});

    let cursor = 0;
    // Ack-based flow control: output is acknowledged once xterm has rendered it, so a flood (cat of a huge
    // file) is paced by what this page can draw; the server holds the rest back, and the remote program blocks.
    let reader: string | null = null;
    let rendered = 0;
    let acked = 0;
    let ackTimer: ReturnType<typeof setTimeout> | undefined;
    const sendAck = () => {
      ackTimer = undefined;
      if (!reader || rendered <= acked || ac.signal.aborted) return;
      acked = rendered;
      void api().terminals.ack({ id, reader, upTo: rendered }).catch(() => {});
    };
    const onRendered = (upTo: number) => {
      rendered = Math.max(rendered, upTo);
      if (rendered - acked >= ACK_EVERY) sendAck();
      else ackTimer ??= setTimeout(sendAck, 20);
    };
    void (async () => {
      const events = await api().terminals.attach({ id, since: 0, window: WINDOW }, { signal: ac.signal });
      for await (const ev of events) {
        if (ev.type === 'attached') {
          reader = ev.reader;
        } else if (ev.type === 'output') {
          if (ev.from > cursor) t.write(`\x1b[2m[${ev.from - cursor} earlier characters are no longer kept]\x1b[0m\r\n`);
          const upTo = ev.to;
          t.write(ev.data, () => onRendered(upTo));
          cursor = ev.to;
        } else {
          t.write(`\r\n\x1b[2m[${ev.reason}]\x1b[0m\r\n`);
          setEnded(ev.reason);
          void qc.invalidateQueries({ queryKey: queryUtils().terminals.list.key() });
        }
      }
    })().catch((e: unknown) => {
      if (!ac.signal.aborted) setError(describeError(e).message);
    });
    t.focus();
    return () => {
      ac.abort();
      clearTimeout(ackTimer);
      observer.disconnect();
      clearTimeout(resizeTimer);
      onData.dispose();
      onResize.dispose();
      t.dispose();
      term.current = null;
    };
  }, [id, qc]);

  useEffect(() => {
    if (term.current) term.current.options.theme = dark ? DARK : LIGHT;
  }, [dark]);

  return (
    <div className="terminal-pane" data-testid="terminal" data-session={id} data-state={ended ? 'exited' : 'open'}>
      {error && (
        <div className="field-error" role="alert">
          {error}
        </div>
      )}
      <div className="terminal-host" ref={host} onClick={() => term.current?.focus()} />
      {ended && <div className="terminal-ended muted small">Ended: {ended}. Close the tab, or open a new terminal.</div>}
    </div>
  );
}
