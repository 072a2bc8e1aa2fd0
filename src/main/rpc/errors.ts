import { ORPCError } from '@orpc/client';
import { ValidationError } from '@orpc/contract';
import type { ErrorCode, InputIssue } from '../../shared/contract/base.ts';
import { AppError } from '../services/core/errors.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  INPUT_INVALID: 400,
  PROFILE_INVALID: 400,
  MALFORMED_MESSAGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN_ORIGIN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  VAULT_EXISTS: 409,
  VAULT_LOCKED: 423,
  VAULT_WRONG_PASSPHRASE: 401,
  TIMEOUT: 504,
};

type PathSegment = PropertyKey | { key: PropertyKey };

export function formatPath(path: readonly PathSegment[] | undefined): string {
  if (!path || path.length === 0) return '(input)';
  return path
    .map((p) => (typeof p === 'object' ? p.key : p))
    .map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join('');
}

/** Turns a schema failure into INPUT_INVALID whose message names each field and what was expected. */
export function inputInvalid(issues: readonly { message: string; path?: readonly PathSegment[] | undefined }[]): AppError {
  const list: InputIssue[] = issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
  const summary = list.slice(0, 5).map((i) => `${i.path}: ${i.message}`).join('; ');
  return new AppError('INPUT_INVALID', `Invalid input — ${summary}${list.length > 5 ? ` (+${list.length - 5} more)` : ''}`, { issues: list });
}

/** Every error leaving the API becomes an ORPCError with a stable code and a message for people. */
export function toRpcError(e: unknown): ORPCError<string, unknown> {
  if (e instanceof ORPCError) {
    if (e.code === 'BAD_REQUEST' && e.cause instanceof ValidationError) return toRpcError(inputInvalid(e.cause.issues));
    if (e.cause instanceof ValidationError) return new ORPCError('INTERNAL', { status: 500, message: `The server produced an invalid response: ${e.cause.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}` });
    return e;
  }
  if (e instanceof AppError) {
    // Services name the field at the start of the message ("auth.passphrase: …"): expose it as an issue too.
    const m = e.code === 'INPUT_INVALID' && !e.data ? /^([A-Za-z][\w.[\]]*): (.+)$/s.exec(e.message) : null;
    const data = m ? { issues: [{ path: m[1]!, message: m[2]! }] } : e.data;
    return new ORPCError(e.code, { status: STATUS[e.code] ?? 500, message: e.message, data });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new ORPCError('INTERNAL', { status: 500, message: message || 'internal error' });
}

export function codeOf(e: unknown): string {
  return e instanceof ORPCError || e instanceof AppError ? String(e.code) : 'INTERNAL';
}
