import type { WebSocket } from 'ws';
import { isWellFormedPeerMessage } from './message-guard.ts';

export const WS_CLOSE_MALFORMED = 4400;
export const WS_CLOSE_INTERNAL = 1011;

type Listener = (ev: { data: unknown }) => unknown;

/** What oRPC's WebSocket adapter needs of a socket; `upgrade` is its `handler.upgrade`. */
export type PeerUpgrade = (socket: never) => Promise<void>;

/**
 * Hands a WebSocket to oRPC through a facade that only passes frames that are protocol messages and keeps a
 * failure in one connection inside it: a throwing or rejecting listener closes that socket with 1011.
 */
export function attachPeer(ws: WebSocket, upgrade: PeerUpgrade, onFault: (e: unknown) => void = reportFault): void {
  const messageListeners: Listener[] = [];
  const closeListeners: (() => unknown)[] = [];
  const fail = (e: unknown) => {
    onFault(e);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(WS_CLOSE_INTERNAL, 'INTERNAL_ERROR');
  };
  const call = (fn: () => unknown) => {
    try {
      const result = fn();
      if (result instanceof Promise) result.catch(fail);
    } catch (e) {
      fail(e);
    }
  };
  // ws answers a protocol violation (bad frame, over maxPayload, bad UTF-8) itself with 1002/1007/1009 and
  // then emits 'error'; without a listener that emit would throw out of the process.
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const raw = isBinary ? new Uint8Array(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])) : data.toString();
    if (!isWellFormedPeerMessage(raw)) {
      ws.close(WS_CLOSE_MALFORMED, 'MALFORMED_MESSAGE');
      return;
    }
    for (const l of messageListeners) call(() => l({ data: raw }));
  });
  ws.on('close', () => closeListeners.forEach((l) => call(l)));
  const facade = {
    send: (data: string | Uint8Array) => {
      if (ws.readyState === ws.OPEN) ws.send(data);
    },
    addEventListener: (type: string, fn: Listener) => {
      if (type === 'message') messageListeners.push(fn);
      if (type === 'close') closeListeners.push(fn as () => unknown);
    },
  };
  call(() => upgrade(facade as never));
}

function reportFault(e: unknown): void {
  process.stderr.write(`openpanel web: a WebSocket handler failed; that connection is closed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
}
