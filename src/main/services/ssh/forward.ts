import { createServer, type Server, type Socket } from 'node:net';
import { AppError } from '../core/errors.ts';
import type { SshConnection } from './connection.ts';

export interface LocalForward {
  localHost: string;
  localPort: number;
  remoteHost: string;
  remotePort: number;
  connections(): number;
  close(): Promise<void>;
}

/**
 * Listens on a local port (loopback by default) and tunnels each accepted TCP connection to
 * remoteHost:remotePort as seen from the server, over the server's one SSH connection.
 */
export async function startLocalForward(
  conn: SshConnection,
  opts: { remoteHost: string; remotePort: number; localPort?: number; localHost?: string },
): Promise<LocalForward> {
  const localHost = opts.localHost ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.pause();
    sock.once('close', () => sockets.delete(sock));
    conn.forwardOut(opts.remoteHost, opts.remotePort).then(
      (channel) => {
        sock.pipe(channel).pipe(sock);
        channel.once('close', () => sock.destroy());
        sock.once('close', () => channel.close());
        sock.resume();
      },
      () => sock.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new AppError(e.code === 'EADDRINUSE' ? 'CONFLICT' : 'INTERNAL', `localPort: ${localHost}:${opts.localPort ?? 0} is not available (${e.code ?? e.message})`)),
    );
    server.listen(opts.localPort ?? 0, localHost, () => resolve());
  });
  const address = server.address();
  return {
    localHost,
    localPort: typeof address === 'object' && address ? address.port : 0,
    remoteHost: opts.remoteHost,
    remotePort: opts.remotePort,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
