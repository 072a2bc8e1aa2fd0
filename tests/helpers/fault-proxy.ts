// A loopback TCP proxy in front of a real sshd that breaks each connection in a chosen way: a reset or a
// half-close before the k-th chunk of one direction, a corrupted k-th chunk, or a garbage "server" that
// never forwards at all. Only 127.0.0.1 and the given target are contacted.
import * as net from 'node:net';

export type Fault =
  | { kind: 'rst' | 'halfclose'; dir: 'up' | 'down'; k: number }
  | { kind: 'corrupt'; dir: 'up' | 'down'; k: number }
  /** Answers by itself: `text` then (optionally) closes; the target is never contacted. */
  | { kind: 'garbage'; text: string; close: boolean };

export interface FaultProxy {
  port: number;
  /** The fault applied to the next accepted connection. */
  fault: Fault;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Faults actually triggered (a connection that ended before the k-th chunk triggers none). */
  readonly triggered: number;
  /** Client-side sockets still open. */
  readonly open: number;
  close(): Promise<void>;
}

export function startFaultProxy(targetHost: string, targetPort: number): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let triggered = 0;
  const clients = new Set<net.Socket>();
  const proxy: { fault: Fault } = { fault: { kind: 'rst', dir: 'up', k: 1 } };
  const server = net.createServer((client) => {
    accepted++;
    const fault = proxy.fault;
    sockets.add(client);
    clients.add(client);
    client.on('close', () => {
      sockets.delete(client);
      clients.delete(client);
    });
    client.on('error', () => {});
    if (fault.kind === 'garbage') {
      triggered++;
      client.write(fault.text);
      if (fault.close) client.end();
      client.resume();
      return;
    }
    const upstream = net.connect({ host: targetHost, port: targetPort });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => {});
    const counts = { up: 0, down: 0 };
    let broken = false;
    const pipe = (src: net.Socket, dst: net.Socket, dir: 'up' | 'down') => {
      src.on('data', (chunk: Buffer) => {
        if (broken) return;
        if (fault.dir === dir && ++counts[dir] === fault.k) {
          triggered++;
          if (fault.kind === 'corrupt') {
            const bad = Buffer.from(chunk);
            const at = bad.length >> 1;
            bad[at] = bad[at]! ^ 0xff;
            dst.write(bad);
            return;
          }
          broken = true;
          if (fault.kind === 'rst') {
            client.resetAndDestroy();
            upstream.destroy();
          } else {
            client.end();
            upstream.end();
          }
          return;
        }
        dst.write(chunk);
      });
      src.on('end', () => !broken && dst.end());
      src.on('close', () => !broken && dst.destroy());
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        get fault() {
          return proxy.fault;
        },
        set fault(f: Fault) {
          proxy.fault = f;
        },
        get accepted() {
          return accepted;
        },
        get triggered() {
          return triggered;
        },
        get open() {
          return clients.size;
        },
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
