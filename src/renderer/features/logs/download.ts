import type { LogsContainer } from '../../../shared/contract/logs.ts';
import { stripAnsi } from './ansi.ts';
import type { LogBuffer } from './buffer.ts';

/** Saves what is buffered as a text file: time, container (when several), stream, text without colours. */
export function downloadBuffer(buffer: LogBuffer, containers: LogsContainer[]): void {
  const parts: string[] = [];
  const several = containers.length > 1;
  for (let seq = buffer.first; seq < buffer.end; seq++) {
    const l = buffer.line(seq);
    const time = l.t === null ? '' : `${new Date(l.t).toISOString()} `;
    const who = several ? `${containers[l.c]?.name ?? l.c} ` : '';
    parts.push(`${time}${who}${l.s === 1 ? 'err' : 'out'} ${stripAnsi(l.text)}\n`);
  }
  const blob = new Blob(parts, { type: 'text/plain;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${containers.map((c) => c.name).join('+') || 'logs'}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
