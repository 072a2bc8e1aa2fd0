import { memo, type CSSProperties, type ReactNode } from 'react';
import { parseAnsi, type Span } from './ansi.ts';

export const TAG_COLOURS = ['#3b8eea', '#e5a50a', '#23d18b', '#d670d6', '#29b8db', '#f14c4c', '#b5bd68', '#de935f'];

function spanStyle(s: Span): CSSProperties | undefined {
  if (!s.fg && !s.bg && !s.bold && !s.dim && !s.italic && !s.underline) return undefined;
  return {
    ...(s.fg ? { color: s.fg } : {}),
    ...(s.bg ? { background: s.bg } : {}),
    ...(s.bold ? { fontWeight: 600 } : {}),
    ...(s.dim ? { opacity: 0.7 } : {}),
    ...(s.italic ? { fontStyle: 'italic' } : {}),
    ...(s.underline ? { textDecoration: 'underline' } : {}),
  };
}

/** Splits text around case-insensitive occurrences of `q` (already lower-case), marking them. */
function highlight(text: string, q: string, key: string): ReactNode[] {
  if (!q) return [text];
  const lower = text.toLowerCase();
  const out: ReactNode[] = [];
  let from = 0;
  for (let i = lower.indexOf(q); i >= 0 && out.length < 200; i = lower.indexOf(q, i + q.length)) {
    if (i > from) out.push(text.slice(from, i));
    out.push(<mark key={`${key}-${i}`}>{text.slice(i, i + q.length)}</mark>);
    from = i + q.length;
  }
  if (from < text.length) out.push(text.slice(from));
  return out;
}

export interface LogRowProps {
  text: string;
  /** 2: a restart marker (the follow re-attached), not output. */
  stream: 0 | 1 | 2;
  time: number | null;
  showTime: boolean;
  /** Set when several containers are interleaved. */
  tag: { name: string; colour: string } | null;
  query: string;
  current: boolean;
}

function formatTime(t: number): string {
  const d = new Date(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One log line: time, container tag, text with ANSI colours as spans, search matches marked. Never innerHTML. */
export const LogRow = memo(function LogRow({ text, stream, time, showTime, tag, query, current }: LogRowProps) {
  if (stream === 2) {
    return (
      <div className="log-line log-restart" data-stream="restart" role="separator" aria-label={text}>
        {showTime && <span className="log-time">{time === null ? '' : formatTime(time)}</span>}
        <span className="log-text">↻ {text}</span>
      </div>
    );
  }
  const spans = parseAnsi(text);
  return (
    <div className={`log-line${stream === 1 ? ' log-err' : ''}${current ? ' log-current' : ''}`} data-stream={stream === 1 ? 'err' : 'out'}>
      {showTime && <span className="log-time">{time === null ? '' : formatTime(time)}</span>}
      {tag && (
        <span className="log-tag" style={{ borderColor: tag.colour, boxShadow: `inset 3px 0 0 ${tag.colour}` }}>
          {tag.name}
        </span>
      )}
      <span className="log-text">
        {spans.map((s, i) => (
          <span key={i} style={spanStyle(s)}>
            {highlight(s.text, query, String(i))}
          </span>
        ))}
      </span>
    </div>
  );
});
