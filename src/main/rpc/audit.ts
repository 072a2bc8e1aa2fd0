import type { ProcedureMeta } from '../../shared/contract/base.ts';
import type { NewAuditEntry } from '../services/activity/service.ts';
import { redact } from '../services/activity/redact.ts';

export function isAsyncIterator(v: unknown): v is AsyncIterator<unknown> & AsyncIterable<unknown> {
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

/** Reads that show a secret: audited like a mutating call, under their own action, with the input they name. */
const SENSITIVE_READS: Record<string, (input: Record<string, unknown>) => { action: string; input: Record<string, unknown> } | null> = {
  'containers.inspect': (input) => (input.reveal === true ? { action: 'containers.revealEnv', input: { serverId: input.serverId, id: input.id } } : null),
};

export interface AuditCall {
  path: readonly string[];
  input: unknown;
  meta: ProcedureMeta;
  actor: string;
  started: number;
}

/** What the audit log records about a call, or null when it is neither mutating nor a sensitive read. */
export function auditEntryOf(call: AuditCall, result: 'ok' | 'error', errorCode: string | null, output?: unknown): NewAuditEntry | null {
  const path = call.path.join('.');
  const read = call.input && typeof call.input === 'object' ? SENSITIVE_READS[path]?.(call.input as Record<string, unknown>) : null;
  if (!call.meta.mutating && !read) return null;
  const input = read ? read.input : call.input;
  return {
    at: call.started,
    actor: call.actor,
    action: read ? read.action : path,
    target: createdId(call.path, call.input, output) ?? targetOf(input),
    input: input === undefined ? null : JSON.stringify(redact(input, call.meta.secretFields)),
    result,
    errorCode,
    durationMs: Date.now() - call.started,
  };
}
