import { RPCHandler } from '@orpc/server/message-port';
import type { AppServices } from '../app.ts';
import { createClientInterceptor, type RpcContext } from '../rpc/handler-options.ts';
import { createRouter } from '../rpc/router.ts';

/** Anything with MessagePort semantics: Electron's MessagePortMain, the DOM's and node:worker_threads' MessagePort. */
export type ServablePort = Parameters<RPCHandler<RpcContext>['upgrade']>[0];

/**
 * Serves the API on a message port (the desktop app's transport). The same router, interceptor and
 * validation as web mode; only the framing differs.
 */
export function createMessagePortServer(services: AppServices, actor: string) {
  const handler = new RPCHandler<RpcContext>(createRouter(services), {
    clientInterceptors: [createClientInterceptor(services, () => actor) as never],
  });
  return {
    serve(port: ServablePort & { start?: () => void }): void {
      void handler.upgrade(port, { context: { actor } });
      port.start?.();
    },
  };
}
