import { describe, expect, it } from 'vitest';
import { LogStreamParser, splitTimestamp, type ParsedLine } from './log-parse.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

function parse(chunks: Buffer[], multiplexed = true, timestamps = true): ParsedLine[] {
  const out: ParsedLine[] = [];
  const p = new LogStreamParser({ multiplexed, timestamps, emit: (l) => out.push(l) });
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

describe('log stream parsing', () => {
  it('parses RFC3339Nano timestamps to ms with the fraction, and leaves other text alone', () => {
    expect(splitTimestamp('2024-05-01T12:34:56.123456789Z hello world')).toEqual({ t: Date.UTC(2024, 4, 1, 12, 34, 56) + 123.456789, text: 'hello world' });
    expect(splitTimestamp('2024-05-01T12:34:56Z x').t).toBe(Date.UTC(2024, 4, 1, 12, 34, 56));
    expect(splitTimestamp('2024-05-01T14:34:56.5+02:00 y')).toEqual({ t: Date.UTC(2024, 4, 1, 12, 34, 56) + 500, text: 'y' });
    expect(splitTimestamp('not a time at all')).toEqual({ t: null, text: 'not a time at all' });
  });

  it('demultiplexes frames split anywhere, keeps streams apart, joins partial lines, keeps UTF-8 whole', () => {
    const ts = '2024-05-01T00:00:00.000000001Z ';
    const all = Buffer.concat([frame(1, `${ts}out é`), frame(2, `${ts}err 1\n`), frame(1, `ü 1\n${ts}out 2\r\n`), frame(2, `${ts}tail`)]);
    for (const size of [1, 3, 7, 8, 9, all.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
      expect(parse(chunks).map((l) => [l.s, l.text])).toEqual([
        [1, 'err 1'],
        [0, 'out éü 1'],
        [0, 'out 2'],
        [1, 'tail'],
      ]);
    }
  });

  it('reads a TTY container (no frames) as stdout', () => {
    expect(parse([Buffer.from('a\r\nb\n')], false, false)).toEqual([
      { s: 0, t: null, text: 'a' },
      { s: 0, t: null, text: 'b' },
    ]);
  });
});
