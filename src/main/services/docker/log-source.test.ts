import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogSource, watchStream } from './log-source.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('the log stream pieces shared by container and cluster-app logs', () => {
  it('watchStream finishes once: a clean end flushes, the close after it is not a second finish', async () => {
    const s = new PassThrough();
    const finishes: [string | null, boolean][] = [];
    let readable = 0;
    watchStream(s, () => readable++, (e, flush) => finishes.push([e?.message ?? null, flush]));
    s.end('a\n');
    s.read();
    await tick();
    await tick();
    expect(finishes).toEqual([[null, true]]);
    expect(readable).toBeGreaterThan(0);
  });

  it('watchStream reports an error (no flush) and nothing for the close that follows', async () => {
    const s = new PassThrough();
    const finishes: [string | null, boolean][] = [];
    watchStream(s, () => {}, (e, flush) => finishes.push([e?.message ?? null, flush]));
    s.destroy(new Error('channel lost'));
    await tick();
    await tick();
    expect(finishes).toEqual([['channel lost', false]]);
  });

  it('a LogSource serves its lines in order, the unfinished last line once the stream ends, then ends', async () => {
    const s = new PassThrough();
    const src = new LogSource(0, s, { multiplexed: false, timestamps: false });
    s.write('one\ntwo\nthr');
    src.fill(1);
    expect([src.size, src.emptySince]).toEqual([2, null]);
    expect([src.take().text, src.take().text, src.size]).toEqual(['one', 'two', 0]);
    src.fill(5);
    expect(src.emptySince).toBe(5); // ran dry while open: the interleaving wait starts here
    s.end('ee');
    src.fill(6);
    await tick();
    await tick();
    expect(src.ended).toBe(true);
    expect(src.peek()?.text).toBe('three');
    src.fill(7);
    expect(src.emptySince).toBeNull();
  });
});
