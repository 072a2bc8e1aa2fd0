import { stripAnsi } from './ansi.ts';
import type { LogBuffer } from './buffer.ts';

/** Saves what is buffered as a text file: time, container label (when several), stream, text without colours. */
export function downloadBuffer(buffer: LogBuffer, labels: string[]): void {
  const parts: string[] = [];
  const several = labels.length > 1;
  for (let seq = buffer.first; seq < buffer.end; seq++) {
    const l = buffer.line(seq);
    const time = l.t === null ? '' : `${new Date(l.t).toISOString()} `;
    const who = several ? `${labels[l.c] ?? l.c} ` : '';
    parts.push(`${time}${who}${l.s === 2 ? '---' : l.s === 1 ? 'err' : 'out'} ${stripAnsi(l.text)}\n`);
  }
  const blob = new Blob(parts, { type: 'text/plain;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${labels.map((c) => c.replace(/\//g, '_')).join('+') || 'logs'}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
