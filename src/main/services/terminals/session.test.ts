import { describe, expect, it } from 'vitest';
import { TerminalSession, type TerminalBackend, type TerminalEnd } from './session.ts';

/** An in-memory backend (the real ones are covered against real servers in tests/integration/terminals.test.ts). */
function memoryBackend() {
  let data: (c: Buffer) => void = () => {};
  let end: (e: TerminalEnd) => void = () => {};
  const log: string[] = [];
  const backend: TerminalBackend = {
    write: (d) => log.push(`write:${d}`),
    resize: async (c, r) => void log.push(`resize:${c}x${r}`),
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
    close: () => log.push('close'),
    onData: (cb) => (data = cb),
    onEnd: (cb) => (end = cb),
  };
  return { backend, log, emit: (s: string | Buffer) => data(Buffer.isBuffer(s) ? s : Buffer.from(s)), finish: (e: TerminalEnd) => end(e) };
}

async function take<T>(it: AsyncGenerator<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push((await it.next()).value as T);
  return out;
}

describe('TerminalSession', () => {
  it('decodes UTF-8 split across chunks and replays from any offset', async () => {
    const m = memoryBackend();
    const s = new TerminalSession(m.backend, { cols: 80, rows: 24 });
    const euro = Buffer.from('€');
    m.emit(Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]));
    m.emit(Buffer.concat([euro.subarray(1), Buffer.from('b')]));
    const [all] = await take(s.follow(0), 1);
    expect(all).toEqual({ type: 'output', from: 0, to: 3, data: 'a€b' });
    const [tail] = await take(s.follow(2), 1);
    expect(tail).toEqual({ type: 'output', from: 2, to: 3, data: 'b' });
  });

  it('pauses the backend while unread output exceeds the high-water mark and resumes when read', async () => {
    const m = memoryBackend();
    const s = new TerminalSession(m.backend, { cols: 80, rows: 24 }, { scrollback: 10, highWater: 100, maxEvent: 40 });
    for (let i = 0; i < 12; i++) m.emit('x'.repeat(10));
    expect(m.log).toEqual(['pause']);
    expect(s.stats()).toMatchObject({ total: 120, unread: 120, paused: true });
    const reader = s.follow(0);
    const events = await take(reader, 3);
    expect(events.map((e) => (e.type === 'output' ? [e.from, e.to] : null))).toEqual([
      [0, 40],
      [40, 80],
      [80, 120],
    ]);
    const next = reader.next(); // resumes the generator past the last yield: the reader has caught up
    expect(m.log).toEqual(['pause', 'resume']);
    m.finish({ exitCode: 0, exitSignal: null, reason: 'exited with code 0' });
    expect((await next).value).toMatchObject({ type: 'exit', exitCode: 0 });
  });

  it('keeps only the scrollback once read, and tells a late reader what it missed', async () => {
    const m = memoryBackend();
    const s = new TerminalSession(m.backend, { cols: 80, rows: 24 }, { scrollback: 20, highWater: 1000, maxEvent: 1000 });
    const ac = new AbortController();
    const r = s.follow(0, ac.signal);
    for (let i = 0; i < 10; i++) {
      m.emit(String(i).repeat(10));
      await r.next();
    }
    ac.abort();
    await r.next();
    expect(s.stats().buffered).toBeLessThanOrEqual(30);
    const [late] = await take(s.follow(0), 1);
    expect(late!.type === 'output' && late!.from).toBeGreaterThan(0);
    expect(late!.type === 'output' && late!.data.endsWith('9999999999')).toBe(true);
  });

  it('yields the exit after the last output, ignores input after it, and passes resizes once', async () => {
    const m = memoryBackend();
    const s = new TerminalSession(m.backend, { cols: 80, rows: 24 });
    await s.resize(80, 24);
    await s.resize(100, 30);
    s.write('ls\r');
    m.emit('bye');
    m.finish({ exitCode: 2, exitSignal: null, reason: 'exited with code 2' });
    s.write('ignored');
    const events = await take(s.follow(0), 2);
    expect(events[1]).toEqual({ type: 'exit', exitCode: 2, exitSignal: null, reason: 'exited with code 2' });
    expect(m.log).toEqual(['resize:100x30', 'write:ls\r']);
  });
});
