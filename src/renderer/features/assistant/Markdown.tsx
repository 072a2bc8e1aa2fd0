import { Fragment, type ReactNode } from 'react';

/**
 * Markdown for model answers, rendered as React elements only: no HTML from the answer ever reaches the DOM as
 * markup (no innerHTML), links are shown as text. Supports fenced code, headings, lists, paragraphs, `code`,
 * **bold** and *italic*. Code blocks get `codeActions` (copy, run…) from the caller.
 */
export function Markdown({ text, codeActions }: { text: string; codeActions?: (lang: string, code: string) => ReactNode }) {
  const blocks: ReactNode[] = [];
  const lines = text.split('\n');
  let i = 0;
  let key = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^(```|~~~)\s*([^\s`]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.startsWith(fence[1]!)) body.push(lines[i++]!);
      i++;
      const code = body.join('\n');
      const lang = (fence[2] ?? '').toLowerCase();
      blocks.push(
        <div className="md-code" key={key++}>
          <div className="md-code-bar">
            <span className="muted small">{lang || 'text'}</span>
            {codeActions?.(lang, code)}
          </div>
          <pre>
            <code>{code}</code>
          </pre>
        </div>,
      );
      continue;
    }
    const h = /^(#{1,4})\s+(.*)$/.exec(line);
    if (h) {
      blocks.push(<div className={`md-h md-h${h[1]!.length}`} key={key++}>{inline(h[2]!)}</div>);
      i++;
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const items: string[] = [];
      const ordered = /^\s*\d+\./.test(line);
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]!)) items.push(lines[i++]!.replace(/^\s*([-*]|\d+\.)\s+/, ''));
      const List = ordered ? 'ol' : 'ul';
      blocks.push(<List key={key++}>{items.map((it, n) => <li key={n}>{inline(it)}</li>)}</List>);
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() && !/^(```|~~~|#{1,4}\s|\s*([-*]|\d+\.)\s)/.test(lines[i]!)) para.push(lines[i++]!);
    blocks.push(<p key={key++}>{inline(para.join(' '))}</p>);
  }
  return <div className="markdown">{blocks}</div>;
}

function inline(text: string): ReactNode {
  const out: ReactNode[] = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*/g;
  let last = 0;
  let k = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(<Fragment key={k++}>{text.slice(last, m.index)}</Fragment>);
    if (m[1] !== undefined) out.push(<code key={k++}>{m[1]}</code>);
    else if (m[2] !== undefined) out.push(<strong key={k++}>{m[2]}</strong>);
    else out.push(<em key={k++}>{m[3]}</em>);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(<Fragment key={k}>{text.slice(last)}</Fragment>);
  return out;
}
