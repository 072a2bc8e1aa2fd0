import { createORPCClient } from '@orpc/client';
import { RPCLink as MessagePortLink } from '@orpc/client/message-port';
import { RPCLink as WebSocketLink } from '@orpc/client/websocket';
import type { ContractRouterClient } from '@orpc/contract';
import { createTanstackQueryUtils } from '@orpc/tanstack-query';
import type { Contract } from '../../shared/contract/index.ts';

export type ApiClient = ContractRouterClient<Contract>;

const TOKEN_KEY = 'openpanel.token';

/** Web mode: the token arrives in the URL fragment once, then lives in sessionStorage (never in a request line of the page). */
function takeWebToken(): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', `${window.location.pathname}#/servers`);
    return m[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function electronPort(): Promise<MessagePort> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (event.source === window && event.data === 'openpanel:port' && event.ports[0]) {
        window.removeEventListener('message', onMessage);
        resolve(event.ports[0]);
      }
    };
    window.addEventListener('message', onMessage);
  });
}

export type Transport = 'websocket' | 'message-port';

export interface Connection {
  client: ApiClient;
  transport: Transport;
  /** Resolves when the socket closes (web mode), so the UI can tell the user. */
  closed: Promise<{ code: number; reason: string }>;
}

export async function connect(): Promise<Connection> {
  if (window.location.protocol === 'http:' || window.location.protocol === 'https:') {
    const token = takeWebToken();
    if (!token) throw new Error('No access token: open the URL printed by `openpanel web` (it ends in #token=…).');
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${window.location.host}/rpc?token=${encodeURIComponent(token)}`);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve(), { once: true });
      ws.addEventListener('error', () => reject(new Error('Could not connect to the OpenPanel server (wrong or expired token?). Restart `openpanel web` and open its new URL.')), { once: true });
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason }), { once: true }));
    return { client: createORPCClient(new WebSocketLink({ websocket: ws })), transport: 'websocket', closed };
  }
  const port = await electronPort();
  port.start();
  return { client: createORPCClient(new MessagePortLink({ port })), transport: 'message-port', closed: new Promise(() => {}) };
}

let current: Connection | null = null;
export function setConnection(c: Connection): void {
  current = c;
}
export function api(): ApiClient {
  if (!current) throw new Error('API not connected yet');
  return current.client;
}
export function queryUtils() {
  return createTanstackQueryUtils(api());
}
