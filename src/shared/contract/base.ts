import { oc } from '@orpc/contract';
import { z } from 'zod';

/**
 * Procedure metadata shared by every domain.
 * - `mutating`: the call changes state; the server writes it to the audit log.
 * - `secretFields`: input keys whose values are secrets; they never reach logs or the audit log.
 */
export interface ProcedureMeta {
  mutating?: boolean;
  secretFields?: readonly string[];
}

export const base = oc.$meta<ProcedureMeta>({});

/** Stable error codes. Clients switch on these, never on messages. */
export const ErrorCode = {
  INPUT_INVALID: 'INPUT_INVALID',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN_ORIGIN: 'FORBIDDEN_ORIGIN',
  MALFORMED_MESSAGE: 'MALFORMED_MESSAGE',
  KEYCHAIN_UNAVAILABLE: 'KEYCHAIN_UNAVAILABLE',
  VAULT_LOCKED: 'VAULT_LOCKED',
  VAULT_WRONG_PASSPHRASE: 'VAULT_WRONG_PASSPHRASE',
  VAULT_EXISTS: 'VAULT_EXISTS',
  HOST_KEY_UNKNOWN: 'HOST_KEY_UNKNOWN',
  HOST_KEY_CHANGED: 'HOST_KEY_CHANGED',
  AUTH_FAILED: 'AUTH_FAILED',
  CONNECT_FAILED: 'CONNECT_FAILED',
  TIMEOUT: 'TIMEOUT',
  DOCKER_UNAVAILABLE: 'DOCKER_UNAVAILABLE',
  REMOTE_COMMAND_FAILED: 'REMOTE_COMMAND_FAILED',
  UNSUPPORTED_SYSTEM: 'UNSUPPORTED_SYSTEM',
  PROFILE_INVALID: 'PROFILE_INVALID',
  /** Assistant: a remote AI provider needs the user's consent for this conversation first. */
  CONSENT_REQUIRED: 'CONSENT_REQUIRED',
  /** Assistant: no provider can take the request (none reachable, no key); the message says what each lacks. */
  AI_UNAVAILABLE: 'AI_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The `data` every INPUT_INVALID error carries: one entry per offending field. */
export const InputIssue = z.object({ path: z.string(), message: z.string() });
export type InputIssue = z.infer<typeof InputIssue>;

export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'expected an id of letters, digits, _ or -');
export const Timestamp = z.number().int().nonnegative().describe('milliseconds since the epoch');

type PatchShape<T extends z.ZodRawShape> = { [K in keyof T]: z.ZodOptional<T[K] extends z.ZodDefault<infer I> ? I : T[K]> };
/** The same fields, each optional and without its default: a patch changes only what it names (`.partial()` would fill in the defaults). */
export function patchOf<T extends z.ZodRawShape>(schema: z.ZodObject<T>): z.ZodObject<PatchShape<T>> {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([k, v]) => [k, (v instanceof z.ZodDefault ? (v.unwrap() as z.ZodType) : (v as z.ZodType)).optional()]));
  return z.object(shape).strict() as unknown as z.ZodObject<PatchShape<T>>;
}
