import { request, type RequestOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { withTimeout } from '../core/async.ts';
import { AppError, errorMessage } from '../core/errors.ts';
import { asSocket } from '../docker/agent.ts';

/** The one thing watchHttp needs of the server's SSH connection (SshConnection has it). */
export interface ForwardingConnection {
  forwardOut(host: string, port: number): Promise<Duplex>;
}

export interface WatchRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path without a query string, e.g. `/api/v1/query`. */
  path: string;
  /** Query parameters, encoded here (PromQL goes here, never spliced into `path`). */
  query?: Record<string, string | number | undefined>;
  /** A value sent as JSON, or a string sent as it is (form data: give `contentType`). */
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Return non-2xx answers instead of failing with them. */
  anyStatus?: boolean;
  /** What is asked, for error messages ("Prometheus", "Alertmanager"). */
  what?: string;
}

export interface WatchResponse {
  status: number;
  text: string;
  /** The body parsed as JSON when it is JSON, else null. */
  json: unknown;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_BODY = 32 * 1024 * 1024;

/**
 * One HTTP request to `127.0.0.1:<port>` on the server, through a `direct-tcpip` channel of its SSH connection
 * (nothing is published beyond the server's loopback). Fails with an AppError: CONNECT_FAILED when nothing
 * listens there, TIMEOUT, or REMOTE_COMMAND_FAILED for a non-2xx answer (unless `anyStatus`).
 */
export async function watchHttp(conn: ForwardingConnection, port: number, req: WatchRequest): Promise<WatchResponse> {
  const what = req.what ?? `the service on 127.0.0.1:${port}`;
  const res = await withTimeout((signal) => send(conn, port, req, what, AbortSignal.any([signal, ...(req.signal ? [req.signal] : [])])), req.timeoutMs ?? DEFAULT_TIMEOUT_MS, `${what} answering ${req.method ?? 'GET'} ${req.path}`);
  if (!req.anyStatus && (res.status < 200 || res.status > 299)) {
    throw new AppError('REMOTE_COMMAND_FAILED', `${what} answered ${req.method ?? 'GET'} ${req.path} with HTTP ${res.status}: ${res.text.slice(0, 300).trim()}`, { status: res.status });
  }
  return res;
}

function pathWithQuery(path: string, query: WatchRequest['query']): string {
  if (!path.startsWith('/')) throw new AppError('INPUT_INVALID', `path: expected a path starting with /, got ${JSON.stringify(path.slice(0, 40))}`);
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.append(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function send(conn: ForwardingConnection, port: number, req: WatchRequest, what: string, signal: AbortSignal): Promise<WatchResponse> {
  const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const contentType = req.contentType ?? (typeof req.body === 'string' ? 'text/plain' : 'application/json');
  const path = pathWithQuery(req.path, req.query);
  return new Promise<WatchResponse>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const r = request({
      host: '127.0.0.1',
      port,
      method: req.method ?? 'GET',
      path,
      signal,
      headers: { Accept: 'application/json', Connection: 'close', ...(body !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } : {}) },
      // Without an agent Node uses this; it calls back asynchronously when this returns undefined.
      createConnection: ((_opts: unknown, cb: (err: Error | null, socket?: Duplex) => void) => {
        conn.forwardOut('127.0.0.1', port).then(
          (ch) => cb(null, asSocket(ch)),
          (e: unknown) => cb(new AppError('CONNECT_FAILED', `${what} is not reachable on the server's 127.0.0.1:${port} (${errorMessage(e)}); is Watch running there?`, undefined, { cause: e })),
        );
        return undefined;
      }) as unknown as RequestOptions['createConnection'],
    });
    r.once('error', (e) => reject(signal.aborted ? signal.reason : e instanceof AppError ? e : new AppError('CONNECT_FAILED', `${what} on 127.0.0.1:${port}: ${errorMessage(e)}`, undefined, { cause: e })));
    r.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        size += b.length;
        if (size > MAX_BODY) {
          res.destroy();
          reject(new AppError('REMOTE_COMMAND_FAILED', `${what} answered with more than ${MAX_BODY / 1024 / 1024} MiB`));
          return;
        }
        chunks.push(b);
      });
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        if (/json/i.test(res.headers['content-type'] ?? '') || /^\s*[[{]/.test(text)) {
          try {
            json = JSON.parse(text);
          } catch {
            json = null;
          }
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    r.end(body);
  });
}
