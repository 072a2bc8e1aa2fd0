/**
 * Docker log stream parsing: the 8-byte frame headers Docker puts in front of each chunk when a container has
 * no TTY (stream type, 3 zero bytes, payload size as big-endian uint32), line splitting per stream, and the
 * RFC3339Nano timestamp Docker prefixes each line with when asked (`timestamps=true`).
 */

export const STDOUT = 0;
export const STDERR = 1;
export type StreamTag = typeof STDOUT | typeof STDERR;

/** One log line: stream, time in milliseconds since the epoch (with a sub-millisecond fraction) or null, text. */
export interface ParsedLine {
  s: StreamTag;
  t: number | null;
  text: string;
}

/** Longest line kept whole; longer ones are cut (a line without a newline must not grow without bound). */
export const MAX_LINE_BYTES = 256 * 1024;

let cachedSecond = '';
let cachedSecondMs = 0;

/**
 * Splits "2024-05-01T12:34:56.123456789Z text" into its time and text. Seconds are parsed once and cached
 * (consecutive lines nearly always share them), the fraction by hand: this runs once per line.
 */
export function splitTimestamp(line: string): { t: number | null; text: string } {
  const sp = line.indexOf(' ');
  if (sp < 20 || sp > 40 || line.charCodeAt(4) !== 45 /* - */ || line.charCodeAt(10) !== 84 /* T */) return { t: null, text: line };
  const second = line.slice(0, 19);
  let base: number;
  if (second === cachedSecond) base = cachedSecondMs;
  else {
    base = Date.parse(`${second}Z`);
    if (Number.isNaN(base)) return { t: null, text: line };
    cachedSecond = second;
    cachedSecondMs = base;
  }
  let i = 19;
  let fraction = 0;
  let scale = 1000;
  if (line.charCodeAt(i) === 46 /* . */) {
    i++;
    for (; i < sp; i++) {
      const d = line.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      scale /= 10;
      fraction += d * scale;
    }
  }
  let t = base + fraction;
  if (line.charCodeAt(i) !== 90 /* Z */) {
    // An offset instead of Z (not what Docker sends, but valid RFC3339): let Date parse it, keep the fraction.
    const withOffset = Date.parse(line.slice(0, sp));
    if (Number.isNaN(withOffset)) return { t: null, text: line };
    t = withOffset + (fraction % 1);
  }
  return { t, text: line.slice(sp + 1) };
}

/**
 * Incremental parser for one container's log stream. Feed it chunks as they arrive; it calls `emit` once per
 * complete line. Multi-byte characters are safe: lines are cut at the newline byte, which never occurs inside
 * a UTF-8 sequence, and each run of complete lines is decoded at once.
 */
export class LogStreamParser {
  private readonly multiplexed: boolean;
  private readonly timestamps: boolean;
  private readonly emit: (line: ParsedLine) => void;
  private header = Buffer.alloc(8);
  private headerHave = 0;
  private frameLeft = 0;
  private frameStream: StreamTag = STDOUT;
  private readonly carry: [Buffer[], Buffer[]] = [[], []];
  private readonly carryBytes = [0, 0];
  /** Bytes of payload (excluding frame headers) seen so far. */
  bytes = 0;

  constructor(opts: { multiplexed: boolean; timestamps: boolean; emit: (line: ParsedLine) => void }) {
    this.multiplexed = opts.multiplexed;
    this.timestamps = opts.timestamps;
    this.emit = opts.emit;
  }

  push(chunk: Buffer): void {
    if (!this.multiplexed) {
      this.payload(STDOUT, chunk);
      return;
    }
    let pos = 0;
    while (pos < chunk.length) {
      if (this.frameLeft === 0) {
        const take = Math.min(8 - this.headerHave, chunk.length - pos);
        chunk.copy(this.header, this.headerHave, pos, pos + take);
        this.headerHave += take;
        pos += take;
        if (this.headerHave < 8) return;
        this.headerHave = 0;
        this.frameStream = this.header[0] === 2 ? STDERR : STDOUT;
        this.frameLeft = this.header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.frameLeft, chunk.length - pos);
      this.payload(this.frameStream, chunk.subarray(pos, pos + take));
      this.frameLeft -= take;
      pos += take;
    }
  }

  /** End of stream: a last line without a newline is still a line. */
  end(): void {
    for (const s of [STDOUT, STDERR] as const) {
      if (this.carryBytes[s]! > 0) this.flushCarry(s, Buffer.concat(this.carry[s]));
    }
  }

  private payload(s: StreamTag, data: Buffer): void {
    this.bytes += data.length;
    const last = data.lastIndexOf(10);
    if (last < 0) {
      this.carry[s].push(Buffer.from(data));
      this.carryBytes[s]! += data.length;
      if (this.carryBytes[s]! > MAX_LINE_BYTES) this.flushCarry(s, Buffer.concat(this.carry[s]));
      return;
    }
    let text: string;
    if (this.carryBytes[s]! > 0) {
      text = Buffer.concat([...this.carry[s], data.subarray(0, last)]).toString('utf8');
      this.carry[s] = [];
      this.carryBytes[s] = 0;
    } else {
      text = data.toString('utf8', 0, last);
    }
    this.lines(s, text);
    if (last + 1 < data.length) {
      this.carry[s].push(Buffer.from(data.subarray(last + 1)));
      this.carryBytes[s]! += data.length - last - 1;
    }
  }

  private flushCarry(s: StreamTag, buf: Buffer): void {
    this.carry[s] = [];
    this.carryBytes[s] = 0;
    this.lines(s, buf.toString('utf8'));
  }

  private lines(s: StreamTag, text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const end = nl < 0 ? text.length : nl;
      let line = text.slice(start, end);
      if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1); // TTY output ends lines with \r\n
      if (this.timestamps) {
        const { t, text: rest } = splitTimestamp(line);
        this.emit({ s, t, text: rest });
      } else {
        this.emit({ s, t: null, text: line });
      }
      if (nl < 0) return;
      start = nl + 1;
    }
  }
}

/** Docker's `since` takes seconds with a fraction. */
export function dockerSince(ms: number): string {
  return (ms / 1000).toFixed(6);
}
