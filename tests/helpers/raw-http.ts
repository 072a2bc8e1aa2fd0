import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** The HTTP status the server answered with, or null when it sent no status line. */
  status: number | null;
  /** The server closed the connection (or we saw it reset). */
  closed: boolean;
  head: string;
  body: Buffer;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = eol === -1 ? 0 : parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function parse(buf: Buffer, closed: boolean): RawAnswer {
  const end = buf.indexOf('\r\n\r\n');
  const head = end === -1 ? buf.toString('latin1') : buf.subarray(0, end).toString('latin1');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  const body = end === -1 ? Buffer.alloc(0) : buf.subarray(end + 4);
  return { status: m ? Number(m[1]) : null, closed, head, body: /^transfer-encoding: *chunked/im.test(head) ? dechunk(body) : body };
}

/**
 * Sends bytes on a fresh loopback TCP connection and returns what came back once the server closed it.
 * A server that neither answers nor closes within `waitMs` gets our end-of-stream, then `waitMs` more;
 * after that the result says closed: false (the caller's assertion fails on it).
 */
export function rawExchange(port: number, payload: string | Buffer, opts: { waitMs?: number; reset?: boolean } = {}): Promise<RawAnswer> {
  const waitMs = opts.waitMs ?? 1500;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(first);
      clearTimeout(second);
      socket.destroy();
      resolve(parse(Buffer.concat(chunks), closed));
    };
    let second: NodeJS.Timeout | undefined;
    const first = setTimeout(() => {
      socket.end();
      second = setTimeout(() => finish(false), waitMs);
    }, waitMs);
    socket.on('connect', () => {
      socket.write(payload);
      if (opts.reset) socket.resetAndDestroy();
    });
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** A client WebSocket frame, built by hand so it can break the rules (RSV bits, no mask, lying length). */
export function wsFrame(opcode: number, payload: Buffer | string, o: { fin?: boolean; mask?: boolean; rsv?: number; declaredLength?: number } = {}): Buffer {
  const data = Buffer.from(payload);
  const len = o.declaredLength ?? data.length;
  const mask = o.mask ?? true;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 0xff);
  else {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(len));
    head.push(m | 127, ...b);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const masked = Buffer.from(data.map((x, i) => x ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/** A raw, already upgraded WebSocket connection that records the server's frames. */
export interface RawWebSocket {
  socket: Socket;
  frames: ServerFrame[];
  closed: Promise<void>;
  /** Resolves with the first frame matching `pick`, or rejects after `timeoutMs`. */
  next(pick: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame>;
  /** The close code the server sent (null: it closed without a close frame), or rejects after `timeoutMs`. */
  closeCode(timeoutMs?: number): Promise<number | null>;
}

function parseFrames(buf: Buffer, out: ServerFrame[]): Buffer {
  for (;;) {
    if (buf.length < 2) return buf;
    let len = buf[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (buf.length < 4) return buf;
      len = buf.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (buf.length < 10) return buf;
      len = Number(buf.readBigUInt64BE(2));
      at = 10;
    }
    if (buf.length < at + len) return buf;
    out.push({ fin: (buf[0]! & 0x80) !== 0, opcode: buf[0]! & 0x0f, payload: buf.subarray(at, at + len) });
    buf = buf.subarray(at + len);
  }
}

export async function rawWebSocket(port: number, path: string, timeoutMs = 5000): Promise<RawWebSocket> {
  const socket = connect(port, '127.0.0.1');
  const frames: ServerFrame[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let upgraded = false;
  const waiters = new Set<() => void>();
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('WebSocket handshake did not finish')), timeoutMs);
    socket.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = pending.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`handshake refused: ${head}`));
        upgraded = true;
        clearTimeout(timer);
        pending = pending.subarray(end + 4);
        resolve();
      }
      pending = parseFrames(pending, frames);
      waiters.forEach((w) => w());
    });
    socket.once('close', () => {
      clearTimeout(timer);
      waiters.forEach((w) => w());
      if (!upgraded) reject(new Error('closed before the handshake finished'));
    });
  });
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await opened;
  const next = (pick: (f: ServerFrame) => boolean, ms = timeoutMs) =>
    new Promise<ServerFrame>((resolve, reject) => {
      const check = () => {
        const f = frames.find(pick);
        if (f) done(() => resolve(f));
        else if (socket.destroyed) done(() => reject(new Error('socket closed before the expected frame')));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no matching frame within ${ms} ms`))), ms);
      const done = (fn: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        fn();
      };
      waiters.add(check);
      check();
    });
  return {
    socket,
    frames,
    closed,
    next,
    async closeCode(ms = timeoutMs) {
      const f = await next((x) => x.opcode === 8, ms).catch((e: unknown) => {
        if (socket.destroyed) return null;
        throw e;
      });
      return f && f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
    },
  };
}
