import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { contentSecurityPolicy } from './csp.ts';
import { singleHost } from './host-policy.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

export const MAX_PATH_BYTES = 1024;

/** The request target's path, decoded; null when it is not a URL, not valid percent-encoding or holds control characters. */
export function requestPath(target: string | undefined): string | null {
  let path: string;
  try {
    path = decodeURIComponent(new URL(target ?? '/', 'http://local').pathname);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(path) ? null : path;
}

/** The file's size, or null when it is not a readable regular file. */
function fileSize(path: string): number | null {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

function plain(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' }).end(text);
}

/** Serves the built renderer; an unknown path gets index.html (the app routes on the client). */
export function staticFileHandler(staticDir: string, isOwnHost: (host: string) => boolean) {
  const root = resolve(staticDir);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const host = singleHost(req);
    if (host === null) return plain(res, 400, 'more than one Host header');
    if (!isOwnHost(host)) return plain(res, 403, 'Host not allowed');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'only GET and HEAD');
    if ((req.url ?? '').length > MAX_PATH_BYTES) return plain(res, 414, `request target: longer than ${MAX_PATH_BYTES} bytes`);
    const pathname = requestPath(req.url);
    if (pathname === null) return plain(res, 400, 'malformed request path');
    let file = normalize(join(root, pathname));
    if (file !== root && !file.startsWith(root + sep)) return plain(res, 403, 'outside the app');
    let size = fileSize(file);
    if (size === null) {
      file = join(root, 'index.html');
      size = fileSize(file);
    }
    if (size === null) return plain(res, 404, 'renderer not built: run the setup script');
    res.writeHead(200, {
      'content-length': size,
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': contentSecurityPolicy({ connect: [`ws://${host}`] }),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': extname(file) === '.html' ? 'no-store' : 'public, max-age=3600',
    });
    if (req.method === 'HEAD') res.end();
    // A read error (file replaced mid-read) or a client gone away ends this response only.
    else pipeline(createReadStream(file), res).catch(() => res.destroy());
  };
}
