import { useQuery } from '@tanstack/react-query';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { queryUtils } from '../../lib/rpc.ts';
import { downloadBuffer } from './download.ts';
import { LogRow, TAG_COLOURS, type LogRowProps } from './LogRow.tsx';
import type { LogsParams } from './params.ts';
import { offsetFor, useFixedRows } from './rows.ts';
import { LogSearch } from './search.ts';
import { BUFFER_LINES, useLogStream } from './useLogStream.ts';

const ROW_HEIGHT = 20;
/** Rows rendered beyond each edge of the visible ones. */
const OVERSCAN = 10;

/** A row at its place in the list: rendered once while it stays in the window (scrolling moves the others). */
const PlacedRow = memo(function PlacedRow({ seq, index, ...row }: LogRowProps & { seq: number; index: number }) {
  return (
    <div className="log-row" style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${index * ROW_HEIGHT}px)` }} data-seq={seq}>
      <LogRow {...row} />
    </div>
  );
});

/**
 * The live view of one stream: a virtualised list over the ring buffer, with search (from the newest match back),
 * only the matching lines, pause, timestamps and download. Containers of several servers are labelled server/name.
 */
export function LogView({ params }: { params: LogsParams }) {
  const { buffer, state } = useLogStream(params);
  const servers = useQuery(queryUtils().servers.list.queryOptions());
  const [onlyMatching, setOnlyMatching] = useState(false);
  const [following, setFollowing] = useState(true);
  const [showTime, setShowTime] = useState(true);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState<number | null>(null);
  const [search] = useState(() => new LogSearch());
  const scrollRef = useRef<HTMLDivElement>(null);

  const first = buffer.first;
  const filtered = onlyMatching && query !== '';
  if (filtered) search.update(buffer);
  const count = filtered ? search.count : buffer.length;
  const seqAt = (index: number) => (filtered ? search.at(index) : first + index);
  const indexOf = (seq: number) => (filtered ? search.position(seq) - 1 : seq - buffer.first);
  // New lines arrive with each version: scan them for the search.
  useEffect(() => search.update(buffer), [state.version, search, buffer]);

  const rows = useFixedRows(scrollRef, count, ROW_HEIGHT, OVERSCAN, following && count > 0);

  const goTo = (dir: 1 | -1) => {
    search.update(buffer);
    const seq = search.step(current, dir);
    if (seq === null) return;
    setFollowing(false);
    setCurrent(seq);
    const el = scrollRef.current;
    if (el) el.scrollTop = offsetFor(indexOf(seq), ROW_HEIGHT, el.clientHeight, 'center');
  };

  const onQuery = (q: string) => {
    setQuery(q);
    search.set(q, buffer);
    setCurrent(null);
  };

  const several = state.containers.length > 1;
  // The stream names the containers in the order asked for: the first server's, then each of `also`.
  const serverOf = [params.containerIds.map(() => params.serverId), ...(params.also ?? []).map((g) => g.containerIds.map(() => g.serverId))].flat();
  const multiServer = new Set(serverOf).size > 1;
  const serverName = (id: string | undefined) => servers.data?.find((srv) => srv.id === id)?.name ?? id ?? '?';
  const labels = state.containers.map((c, i) => (multiServer ? `${serverName(serverOf[i])}/${c.name}` : c.name));
  const names = labels.join(', ') || params.containerIds.join(', ');
  // The same tag objects from render to render, so rows already on screen are not rendered again.
  const tagKey = labels.join('\n');
  const tags = useMemo(() => tagKey.split('\n').map((name, i) => ({ name, colour: TAG_COLOURS[i % TAG_COLOURS.length]! })), [tagKey]);
  const q = query.toLowerCase();

  return (
    <div className="logs-view">
      <div className="logs-toolbar row">
        <strong className="logs-title">{names}</strong>
        <span className={`badge ${state.status === 'live' ? 'ok' : state.status === 'error' ? 'failed' : ''}`} data-testid="log-status">
          {state.status === 'live' && !following ? 'paused' : state.status}
        </span>
        {state.restarts > 0 && (
          <span className="badge warn" data-testid="log-restarts">
            {state.restarts === 1 ? 'restarted once' : `restarted ${state.restarts}×`}
          </span>
        )}
        <span className="muted" data-testid="log-count" data-received={buffer.end} data-dropped={buffer.dropped}>
          {buffer.end.toLocaleString()} lines{buffer.dropped > 0 ? ` (oldest ${buffer.dropped.toLocaleString()} dropped; keeping ${BUFFER_LINES.toLocaleString()})` : ''}
        </span>
        <div className="spacer" />
        <input
          className="logs-search"
          type="search"
          placeholder="Search…"
          aria-label="Search logs"
          value={query}
          onChange={(e) => onQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              goTo(e.shiftKey ? 1 : -1);
            }
          }}
        />
        <span className="muted" data-testid="log-matches">
          {query ? `${search.position(current)}/${search.count}` : ''}
        </span>
        <button onClick={() => goTo(-1)} disabled={!query} aria-label="Older match" title="Older match (Enter; the first is the newest)">
          ↑
        </button>
        <button onClick={() => goTo(1)} disabled={!query} aria-label="Newer match" title="Newer match (Shift+Enter)">
          ↓
        </button>
        <button aria-pressed={onlyMatching} className={onlyMatching ? 'active' : undefined} onClick={() => setOnlyMatching(!onlyMatching)} data-testid="log-only-matching" title="Show only the lines that match the search">
          Only matching
        </button>
        <button onClick={() => setFollowing(!following)} data-testid="log-pause">
          {following ? 'Pause' : 'Follow'}
        </button>
        <label className="logs-check">
          <input type="checkbox" checked={showTime} onChange={(e) => setShowTime(e.target.checked)} /> Timestamps
        </label>
        <button onClick={() => downloadBuffer(buffer, labels)} disabled={count === 0}>
          Download
        </button>
      </div>
      {state.error && (
        <div className="banner error" role="alert">
          {state.error}
        </div>
      )}
      {several && (
        <div className="logs-legend row">
          {state.containers.map((c, i) => (
            <span key={`${serverOf[i]}/${c.id}`} className="log-tag" style={{ borderColor: TAG_COLOURS[i % TAG_COLOURS.length], boxShadow: `inset 3px 0 0 ${TAG_COLOURS[i % TAG_COLOURS.length]}` }}>
              {labels[i]}
              {state.ended.includes(i) ? ' (ended)' : ''}
            </span>
          ))}
        </div>
      )}
      <div
        ref={scrollRef}
        className="logs-scroll"
        tabIndex={0}
        aria-label="Log lines"
        data-testid="log-scroll"
        onWheel={(e) => {
          if (e.deltaY < 0 && following) setFollowing(false);
        }}
      >
        <div style={{ height: rows.totalHeight, position: 'relative', minWidth: '100%' }}>
          {Array.from({ length: rows.end - rows.start }, (_, i) => {
            const index = rows.start + i;
            const seq = seqAt(index);
            if (!buffer.has(seq)) return null;
            const l = buffer.line(seq);
            return <PlacedRow key={seq} seq={seq} index={index} text={l.text} stream={l.s} time={l.t} showTime={showTime} tag={several ? (tags[l.c] ?? null) : null} query={q} current={seq === current} />;
          })}
        </div>
      </div>
    </div>
  );
}
