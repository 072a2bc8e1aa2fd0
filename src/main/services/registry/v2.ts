import { request, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { AppError, errorMessage } from '../core/errors.ts';

/** A Docker Registry HTTP API v2 client: basic auth, or a bearer token from the registry's realm (GHCR, Hub, GitLab). */

export interface V2Target {
  /** Names the registry in errors. */
  name: string;
  /** host[:port] as image references name it. */
  host: string;
  username: string;
  password: string;
  ca?: string | null;
  /** A stream to host:port (an SSH channel from the registry's server); default: a direct connection. */
  connect?: () => Promise<Duplex>;
  timeoutMs?: number;
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export const MANIFEST_TYPES = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'].join(', ');

function split(host: string): { hostname: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  const hostname = (m?.[1] ?? host).replace(/^\[|\]$/g, '');
  // Docker Hub's API lives on registry-1.docker.io.
  return { hostname: hostname === 'docker.io' || hostname === 'index.docker.io' ? 'registry-1.docker.io' : hostname, port: Number(m?.[2] ?? 443) };
}

function send(target: V2Target, method: string, path: string, headers: Record<string, string>): Promise<Reply> {
  const { hostname, port } = split(target.host);
  const tlsOpts = { host: hostname, ca: target.ca ?? undefined, ...(isIP(hostname) ? {} : { servername: hostname }) };
  return new Promise<Reply>((resolve, reject) => {
    const req = request({
      host: hostname,
      port,
      method,
      path,
      headers: { ...headers, host: `${isIP(hostname) === 6 ? `[${hostname}]` : hostname}${port === 443 ? '' : `:${port}`}` },
      timeout: target.timeoutMs ?? 15_000,
      createConnection: (_opts, done) => {
        const open = target.connect ? target.connect().then((socket) => tlsConnect({ ...tlsOpts, socket })) : Promise.resolve(tlsConnect({ ...tlsOpts, port }));
        open.then((s) => done(null, s), (e: Error) => done(e, undefined as never));
        return undefined;
      },
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round((target.timeoutMs ?? 15_000) / 1000)} s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.end();
  });
}

function basic(target: V2Target): string {
  return `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
}

function challenge(header: string | undefined): Record<string, string> | null {
  if (!header || !/^Bearer /i.test(header)) return null;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1] as string] = m[2] as string;
  return params.realm ? params : null;
}

function getUrl(url: string, headers: Record<string, string>, ca: string | null | undefined): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = httpsRequest(url, { headers, ca: ca ?? undefined, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
  });
}

/** One authenticated call: basic first; a Bearer challenge is answered with a token fetched with the same credentials. */
export async function call(target: V2Target, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  try {
    const first = await send(target, method, path, { ...headers, authorization: basic(target) });
    const bearer = first.status === 401 ? challenge(first.headers['www-authenticate'] as string | undefined) : null;
    if (!bearer) return first;
    const url = new URL(bearer.realm as string);
    if (url.protocol !== 'https:') throw new Error(`the token realm ${url.origin} is not https`);
    if (bearer.service) url.searchParams.set('service', bearer.service);
    if (bearer.scope) url.searchParams.set('scope', bearer.scope);
    const tokenReply = await getUrl(url.toString(), { authorization: basic(target) }, target.ca);
    if (tokenReply.status !== 200) return tokenReply;
    const parsed = JSON.parse(tokenReply.body.toString('utf8')) as { token?: string; access_token?: string };
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new Error('the token realm answered without a token');
    return await send(target, method, path, { ...headers, authorization: `Bearer ${token}` });
  } catch (e) {
    throw new AppError('CONNECT_FAILED', `registry ${target.name} (${target.host}) could not be reached: ${errorMessage(e)}`);
  }
}

/** Fails naming the registry, the request and the answer. */
export function expectStatus(target: V2Target, reply: Reply, ok: number[], what: string): Reply {
  if (ok.includes(reply.status)) return reply;
  const text = reply.body.toString('utf8').slice(0, 300).trim();
  const code = reply.status === 401 || reply.status === 403 ? 'AUTH_FAILED' : reply.status === 404 ? 'NOT_FOUND' : 'REMOTE_COMMAND_FAILED';
  throw new AppError(code, `registry ${target.name} (${target.host}): ${what} answered HTTP ${reply.status}${text ? `: ${text}` : ''}`);
}

export async function login(target: V2Target): Promise<{ ok: boolean; detail: string }> {
  const reply = await call(target, 'GET', '/v2/');
  if (reply.status === 200) return { ok: true, detail: `logged in to ${target.host} as ${target.username}` };
  if (reply.status === 401 || reply.status === 403) return { ok: false, detail: `${target.host} refused the user name or password (HTTP ${reply.status})` };
  return { ok: false, detail: `${target.host} answered HTTP ${reply.status} at /v2/ (is it a v2 registry?)` };
}
