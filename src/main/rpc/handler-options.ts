import type { ProcedureMeta } from '../../shared/contract/base.ts';
import { redact } from '../services/audit/redact.ts';
import type { AppServices } from '../app.ts';
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

function isAsyncIterator(v: unknown): v is AsyncIterator<unknown> & AsyncIterable<unknown> {
  return !!v && typeof v === 'object' && typeof (v as AsyncIterator<unknown>).next === 'function' && Symbol.asyncIterator in v;
}

function targetOf(input: unknown): string | null {
  if (!input || typeof input !== 'object') return null;
  const o = input as Record<string, unknown>;
  for (const k of ['id', 'jobId', 'serverId', 'ref', 'name', 'host']) if (typeof o[k] === 'string') return o[k];
  return null;
}

/** A create names no id in its input: the entry is about the id it returned (so later names resolve). */
function createdId(path: readonly string[], input: unknown, output: unknown): string | null {
  if (!path[path.length - 1]?.startsWith('create')) return null;
  if (!input || typeof input !== 'object' || 'id' in input) return null;
  if (!output || typeof output !== 'object' || isAsyncIterator(output)) return null;
  const id = (output as Record<string, unknown>).id;
  return typeof id === 'string' ? id : null;
}

/**
 * The single interception point of every call on every transport:
 * errors get stable codes, mutating calls are audited (secrets redacted), streams are counted.
 */
export function createClientInterceptor(services: AppServices, getActor: (ctx: unknown) => string) {
  return async (options: InterceptorOptions & { context: unknown }): Promise<unknown> => {
    const meta = options.procedure['~orpc'].meta ?? {};
    const started = Date.now();
    const audit = (result: 'ok' | 'error', errorCode: string | null, output?: unknown) => {
      if (!meta.mutating) return;
      services.audit.record({
        at: started,
        actor: getActor(options.context),
        action: options.path.join('.'),
        target: createdId(options.path, options.input, output) ?? targetOf(options.input),
        input: options.input === undefined ? null : JSON.stringify(redact(options.input, meta.secretFields)),
        result,
        errorCode,
        durationMs: Date.now() - started,
      });
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
