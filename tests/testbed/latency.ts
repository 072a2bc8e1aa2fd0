// A loopback TCP proxy that delays every chunk in each direction by `delayMs`, preserving order.
// The kernel here has no sch_netem; a user-space delay line counts round trips faithfully for SSH
// (each direction adds delayMs, so one round trip costs 2 × delayMs more).
import * as net from 'node:net';

export type LatencyProxy = {
  host: '127.0.0.1';
  port: number;
  delayMs: number;
  /** connections accepted so far */
  readonly connections: number;
  close(): Promise<void>;
};

const MAX_QUEUED = 8 * 1024 * 1024;

type Item = { due: number; buf: Buffer | null };

/** Pipe src -> dst through a delay line. `buf: null` marks the end (half-close) of the stream. */
function delayPipe(src: net.Socket, dst: net.Socket, delayMs: number): void {
  const queue: Item[] = [];
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  const pump = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0]!.due <= now + 0.5) {
      const item = queue.shift()!;
      if (item.buf === null) {
        if (!dst.destroyed) dst.end();
        continue;
      }
      queued -= item.buf.length;
      if (!dst.destroyed) dst.write(item.buf);
    }
    if (queued < MAX_QUEUED / 2 && src.isPaused()) src.resume();
    if (queue.length) timer = setTimeout(pump, Math.max(0, queue[0]!.due - performance.now()));
  };
  const push = (buf: Buffer | null): void => {
    queue.push({ due: performance.now() + delayMs, buf });
    if (buf) {
      queued += buf.length;
      if (queued > MAX_QUEUED) src.pause();
    }
    if (!timer) timer = setTimeout(pump, delayMs);
  };
  let ended = false;
  src.on('data', (b: Buffer) => push(b));
  src.on('end', () => {
    ended = true;
    push(null);
  });
  // an abortive close (error/reset) is passed on after the delay as well
  src.on('close', () => {
    if (!ended) setTimeout(() => dst.destroy(), delayMs);
  });
}

/** Start a proxy on 127.0.0.1:<random port> to targetHost:targetPort. */
export function startLatencyProxy(targetHost: string, targetPort: number, delayMs: number): Promise<LatencyProxy> {
  if (!(delayMs >= 0)) throw new Error('delayMs must be >= 0');
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer({ noDelay: true }, (client) => {
    count++;
    const upstream = net.connect({ host: targetHost, port: targetPort, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    const drop = (): void => {
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', () => {}); // passed on by delayPipe's 'close' handler
    upstream.on('error', () => {});
    delayPipe(client, upstream, delayMs);
    delayPipe(upstream, client, delayMs);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address() as net.AddressInfo;
      resolve({
        host: '127.0.0.1',
        port: addr.port,
        delayMs,
        get connections() {
          return count;
        },
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            sockets.clear();
            server.close(() => res());
          }),
      });
    });
  });
}
