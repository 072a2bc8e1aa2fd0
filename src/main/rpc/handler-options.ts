import type { ProcedureMeta } from '../../shared/contract/base.ts';
import type { AppServices } from '../app.ts';
import { auditEntryOf, isAsyncIterator, type AuditCall } from './audit.ts';
import { codeOf, toRpcError } from './errors.ts';

export interface RpcContext {
  /** Who is calling: 'desktop', or 'web:<remote address>'. */
  actor: string;
}

interface InterceptorOptions {
  next: () => Promise<unknown>;
  path: readonly string[];
  input: unknown;
  procedure: { '~orpc': { meta: ProcedureMeta } };
}

/**
 * The single interception point of every call on every transport:
 * errors get stable codes, mutating calls and sensitive reads are audited (secrets redacted), streams are counted.
 */
export function createClientInterceptor(services: AppServices, getActor: (ctx: unknown) => string) {
  return async (options: InterceptorOptions & { context: unknown }): Promise<unknown> => {
    const call: AuditCall = { path: options.path, input: options.input, meta: options.procedure['~orpc'].meta ?? {}, actor: getActor(options.context), started: Date.now() };
    const audit = (result: 'ok' | 'error', errorCode: string | null, output?: unknown) => {
      const entry = auditEntryOf(call, result, errorCode, output);
      if (entry) services.audit.record(entry);
    };
    let output: unknown;
    try {
      output = await options.next();
    } catch (e) {
      const err = toRpcError(e);
      audit('error', codeOf(err));
      throw err;
    }
    audit('ok', null, output);
    if (isAsyncIterator(output)) return services.streams.track(output, toRpcError);
    return output;
  };
}
