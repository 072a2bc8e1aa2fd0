import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { AppError } from '../services/core/errors.ts';

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** Web mode has no login of its own beyond the token, so it is never exposed beyond this machine. */
export function requireLoopback(host: string): void {
  if (isLoopback(host)) return;
  throw new AppError(
    'INPUT_INVALID',
    `host: web mode listens on loopback only (127.0.0.0/8, ::1 or localhost), got "${host}". ` +
      'For remote access, forward a port over SSH from your machine: ssh -L 8080:127.0.0.1:<port> you@this-machine, then open http://127.0.0.1:8080/',
  );
}

/**
 * A Host header that names this machine's loopback (or the bound address), on any port: an SSH local forward
 * (`ssh -L 8080:127.0.0.1:<port>`) makes the browser send its own port. A DNS-rebinding page sends its own
 * domain name here, which is refused.
 */
export function isOwnHost(value: string, boundHost: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return false;
  const name = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return (isLoopback(name) || name === boundHost) && (m[2] === undefined || Number(m[2]) <= 65535);
}

/** A browser's Origin for a page served by us is exactly http:// plus the Host it asked for. */
export function isOwnOrigin(origin: string, hostHeader: string): boolean {
  return origin === `http://${hostHeader}`;
}

/** The request's single Host header; null when there are several (RFC 9112 says answer 400). */
export function singleHost(req: IncomingMessage): string | null {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') count++;
  return count > 1 ? null : (req.headers.host ?? '');
}
