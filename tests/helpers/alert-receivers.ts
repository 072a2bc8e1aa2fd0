// Receivers of Watch's alerts for tests: a real SMTP server (npm smtp-server, STARTTLS with its built-in self-signed
// certificate, AUTH checked) and one HTTP server speaking Slack's incoming webhook, Discord's webhook, Telegram's
// Bot API (sendMessage), a generic webhook and a dead man's switch ping URL. Both listen on the test bed's bridge
// address, which the servers' namespaces reach (like s3rver in s3.ts); every message is recorded.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import type { Testbed } from '../testbed/index.ts';

export interface ReceivedMail {
  at: number;
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The AUTH user the client logged in as ('' without AUTH). */
  user: string;
  /** Whether the session was upgraded with STARTTLS. */
  tls: boolean;
}

export interface TestSmtp {
  host: string;
  port: number;
  user: string;
  password: string;
  mails: ReceivedMail[];
  /** Connections refused while down. */
  up: boolean;
  /** Stops listening (clients get "connection refused"). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A real SMTP server on the bed's bridge address: STARTTLS offered, AUTH PLAIN/LOGIN required with user/password. */
export async function startSmtp(bed: Testbed, opts: { user?: string; password?: string } = {}): Promise<TestSmtp> {
  const user = opts.user ?? 'alerts';
  const password = opts.password ?? 'smtp-pass-0f3c9a';
  const mails: ReceivedMail[] = [];
  const make = () =>
    new SMTPServer({
      logger: false,
      authMethods: ['PLAIN', 'LOGIN'],
      closeTimeout: 1000,
      onAuth(auth, _session, cb) {
        if (auth.username === user && auth.password === password) cb(null, { user });
        else cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        simpleParser(stream).then(
          (m) => {
            mails.push({
              at: Date.now(),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: m.subject ?? '',
              text: m.text ?? '',
              user: typeof session.user === 'string' ? session.user : '',
              tls: !!session.secure,
            });
            cb();
          },
          (e: Error) => cb(e),
        );
      },
    });
  let server = make();
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, bed.gateway, resolve));
  const port = (server.server.address() as AddressInfo).port;
  const smtp: TestSmtp = {
    host: bed.gateway,
    port,
    user,
    password,
    mails,
    up: true,
    async down() {
      if (!smtp.up) return;
      smtp.up = false;
      await new Promise<void>((resolve) => server.close(resolve));
    },
    async start() {
      if (smtp.up) return;
      server = make();
      server.on('error', () => undefined);
      await new Promise<void>((resolve) => server.listen(port, bed.gateway, resolve));
      smtp.up = true;
    },
    close: () => smtp.down(),
  };
  return smtp;
}

export interface ReceivedRequest {
  at: number;
  kind: 'slack' | 'discord' | 'telegram' | 'webhook' | 'ping';
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as JSON (or form data as an object), else null. */
  json: Record<string, unknown> | null;
}

export interface TestHttpReceivers {
  base: string;
  /** The URLs to configure: each names its kind in the path. */
  urls: { slack: string; discord: string; telegramApi: string; webhook: string; ping: string };
  telegramToken: string;
  requests: ReceivedRequest[];
  of(kind: ReceivedRequest['kind']): ReceivedRequest[];
  /** While set, the generic webhook answers with this status. */
  webhookStatus: number;
  close(): Promise<void>;
}

function parseBody(body: string, type: string | undefined): Record<string, unknown> | null {
  try {
    if (/json/.test(type ?? '') || /^\s*\{/.test(body)) return JSON.parse(body) as Record<string, unknown>;
    if (/x-www-form-urlencoded/.test(type ?? '')) return Object.fromEntries(new URLSearchParams(body));
  } catch {
    return null;
  }
  return null;
}

/** HTTP doubles of Slack, Discord, Telegram's Bot API, a generic webhook and a ping URL, on the bed's bridge address. */
export async function startHttpReceivers(bed: Testbed): Promise<TestHttpReceivers> {
  const telegramToken = '123456:TEST-telegram-token-7d1e';
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const kind = (['slack', 'discord', 'telegram', 'webhook', 'ping'] as const).find((k) => path.startsWith(`/${k}/`));
      if (!kind) {
        res.writeHead(404).end('not found');
        return;
      }
      const json = parseBody(body, req.headers['content-type']);
      requests.push({ at: Date.now(), kind, method: req.method ?? '', path, headers: req.headers, body, json });
      if (kind === 'slack') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      else if (kind === 'discord') res.writeHead(204).end();
      else if (kind === 'telegram') {
        if (!path.startsWith(`/telegram/bot${telegramToken}/`)) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
          return;
        }
        const method = path.split('/').pop() ?? '';
        const result =
          method === 'getMe'
            ? { id: 123456, is_bot: true, first_name: 'OpenPanel test bot', username: 'openpanel_test_bot' }
            : { message_id: requests.length, date: Math.floor(Date.now() / 1000), chat: { id: Number(json?.chat_id ?? 0), type: 'group' }, text: String(json?.text ?? '') };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
      } else if (kind === 'webhook') res.writeHead(receivers.webhookStatus).end();
      else res.writeHead(200).end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, bed.gateway, resolve));
  const base = `http://${bed.gateway}:${(server.address() as AddressInfo).port}`;
  const receivers: TestHttpReceivers = {
    base,
    urls: {
      slack: `${base}/slack/services/T000/B000/slack-secret-5b2f`,
      discord: `${base}/discord/api/webhooks/42/discord-secret-9c1a`,
      telegramApi: `${base}/telegram`,
      webhook: `${base}/webhook/ntfy-topic-secret-77aa`,
      ping: `${base}/ping/hc-uuid-secret-3e8d`,
    },
    telegramToken,
    requests,
    of: (kind) => requests.filter((r) => r.kind === kind),
    webhookStatus: 200,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return receivers;
}
